import Foundation
import Support

/// Training curves: the loss and accuracy after each epoch, and the loss of each mini-batch, drawn as
/// a small self-contained SVG (`backprop train --curves FILE.svg`).
///
/// The picture has two panels over the same epoch axis. The upper one shows the loss: every batch's
/// loss as a faint line, the epoch's mean training loss as a solid line with one point per epoch, and
/// the held-out loss dashed. The lower one shows the training and held-out accuracy. Each point
/// carries its exact figure twice: in `data-epoch`/`data-value` attributes (Swift's shortest exact
/// form of the Double) and in a `<title>` a browser shows as a tooltip.
public struct TrainingCurves: Sendable {
    /// The figures of one epoch; accuracies are fractions (0.9721 for 97.21%).
    public struct Epoch: Sendable, Equatable {
        public let epoch: Int
        public let trainingLoss: Double
        public let trainingAccuracy: Double
        public let heldOutLoss: Double?
        public let heldOutAccuracy: Double?

        public init(epoch: Int, trainingLoss: Double, trainingAccuracy: Double, heldOutLoss: Double? = nil, heldOutAccuracy: Double? = nil) {
            self.epoch = epoch
            self.trainingLoss = trainingLoss
            self.trainingAccuracy = trainingAccuracy
            self.heldOutLoss = heldOutLoss
            self.heldOutAccuracy = heldOutAccuracy
        }
    }

    /// One mini-batch's mean loss, at `position` epochs from the start (2.5: halfway through epoch 3).
    public struct BatchLoss: Sendable, Equatable {
        public let position: Double
        public let loss: Double
    }

    /// The picture's heading, e.g. `digits-mlp on digits, batch 32, SGD lr 0.05 momentum 0.9`.
    public var title: String
    public private(set) var epochs: [Epoch] = []
    public private(set) var batchLosses: [BatchLoss] = []
    /// The running mean and count of the current epoch's last batch, to take the next batch's own loss from.
    private var previous: (epoch: Int, seen: Int, mean: Double) = (0, 0, 0)

    /// At most this many points of the per-batch line are drawn: consecutive batches are averaged
    /// into that many (an MNIST epoch has 1,875 batches of 32), which keeps the file small.
    public static let maximumBatchPoints = 1_000

    public init(title: String) { self.title = title }

    /// Adds an epoch's figures.
    public mutating func add(_ epoch: Epoch) { epochs.append(epoch) }

    /// Adds one batch's loss, recovered from the running mean the trainer reports after each batch:
    /// batch loss = (mean × seen − previous mean × previous seen) / (seen − previous seen).
    ///
    /// - Parameters:
    ///   - epoch: 1-based; `batch` of `batches` is 1-based within it.
    ///   - seen: examples of this epoch seen so far, this batch included.
    ///   - runningMean: the mean loss over those examples.
    public mutating func addBatch(epoch: Int, batch: Int, of batches: Int, seen: Int, runningMean: Double) {
        if previous.epoch != epoch { previous = (epoch, 0, 0) }
        let examples = seen - previous.seen
        guard examples > 0, batches > 0 else { return }
        let loss = (runningMean * Double(seen) - previous.mean * Double(previous.seen)) / Double(examples)
        previous = (epoch, seen, runningMean)
        batchLosses.append(BatchLoss(position: Double(epoch - 1) + Double(batch) / Double(batches), loss: loss))
    }

    /// Adds one batch's own mean loss at `position` epochs from the start (a lesson's run knows it).
    public mutating func addBatch(position: Double, loss: Double) {
        batchLosses.append(BatchLoss(position: position, loss: loss))
    }

    /// The per-batch line as drawn: at most `maximumBatchPoints`, consecutive batches averaged.
    func drawnBatchLosses() -> [BatchLoss] {
        let finite = batchLosses.filter { $0.loss.isFinite }
        guard finite.count > Self.maximumBatchPoints else { return finite }
        let groups = Self.maximumBatchPoints
        return (0..<groups).map { group in
            let slice = finite[(group * finite.count / groups)..<((group + 1) * finite.count / groups)]
            return BatchLoss(position: slice.map(\.position).reduce(0, +) / Double(slice.count),
                             loss: slice.map(\.loss).reduce(0, +) / Double(slice.count))
        }
    }
}

// MARK: - Axes

extension TrainingCurves {
    /// Round tick values covering low...high, about `count` of them, at steps of 1, 2 or 5 × 10ⁿ.
    static func ticks(from low: Double, to high: Double, count: Int = 5) -> (values: [Double], step: Double) {
        let span = high > low ? high - low : max(abs(high), 1)
        let rough = span / Double(count)
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough * 0.999 } ?? 10 * magnitude
        let start = floor(low / step + 1e-9) * step, end = ceil(high / step - 1e-9) * step
        let values = (0...Int(((end - start) / step).rounded())).map { start + Double($0) * step }
        return (values.count >= 2 ? values : [start, start + step], step)
    }

    /// A tick label with as many decimals as the step needs.
    static func label(_ value: Double, step: Double, scale: Double = 1, suffix: String = "") -> String {
        let decimals = max(0, Int(-floor(log10(step * scale) + 1e-9)))
        return String(format: "%.\(decimals)f", value * scale) + suffix
    }
}
