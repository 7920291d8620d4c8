import Foundation
import Support

/// Where an epoch of training stands, formatted for `backprop train`'s progress line.
///
/// On a terminal the line is redrawn in place after each batch (at most a few times a second):
///
/// ```
/// epoch 3/20 [██████░░░░░░░░░░░░░░] 15/45  loss 0.2143  accuracy 93.8%  48120 samples/s  ETA 0.1 s
/// ```
///
/// and replaced by `epochLine` when the epoch ends; elsewhere only the epoch lines are printed.
/// Both are pure functions of the figures, so they are tested as text.
public struct TrainingProgress: Sendable, Equatable {
    public var epoch: Int, epochs: Int
    /// Batches done in this epoch, of `batches`.
    public var batch: Int, batches: Int
    /// Examples seen in this epoch so far.
    public var samples: Int
    /// The epoch's mean loss and training accuracy (a fraction) so far.
    public var loss: Double, accuracy: Double
    /// Seconds since the epoch started.
    public var elapsed: Double

    public init(epoch: Int, epochs: Int, batch: Int, batches: Int, samples: Int, loss: Double, accuracy: Double, elapsed: Double) {
        self.epoch = epoch; self.epochs = epochs; self.batch = batch; self.batches = batches
        self.samples = samples; self.loss = loss; self.accuracy = accuracy; self.elapsed = elapsed
    }

    /// The in-place line, at most `width - 1` characters (a line that fills the last column would
    /// wrap on some terminals, and `\r` would then no longer return to its start). Narrow terminals
    /// lose the throughput first, then half the bar, then the accuracy.
    public func line(width: Int = 100) -> String {
        let fraction = batches > 0 ? min(1, max(0, Double(batch) / Double(batches))) : 0
        func bar(_ cells: Int) -> String {
            let full = Int((fraction * Double(cells)).rounded(.down))
            return "[" + String(repeating: "█", count: full) + String(repeating: "░", count: cells - full) + "]"
        }
        let head = "epoch \(epoch)/\(epochs) "
        let count = " \(batch)/\(batches)"
        let lossText = "  loss " + Self.figure(loss, "%.4f")
        let accuracyText = "  accuracy " + Self.figure(accuracy * 100, "%.1f") + "%"
        let speed = "  " + (elapsed > 0 ? String(format: "%.0f", Double(samples) / elapsed) : "–") + " samples/s"
        let eta = "  ETA " + (batch > 0 && elapsed > 0 ? Self.duration(elapsed / Double(batch) * Double(max(0, batches - batch))) : "–")
        let variants = [
            head + bar(20) + count + lossText + accuracyText + speed + eta,
            head + bar(20) + count + lossText + accuracyText + eta,
            head + bar(10) + count + lossText + accuracyText + eta,
            head + bar(10) + count + lossText + eta,
        ]
        let limit = max(1, width - 1)
        return variants.first { $0.count <= limit } ?? String(variants[variants.count - 1].prefix(limit))
    }

    /// The line an epoch leaves behind (the only line when output is not a terminal).
    ///
    /// `epoch 3/20  loss 0.2143  train accuracy 93.75%  0.03 s (48120 samples/s)`, then the held-out
    /// figures when they were computed (`--curves`).
    public static func epochLine(epoch: Int, epochs: Int, loss: Double, accuracy: Double, seconds: Double, samples: Int,
                                 heldOut: (loss: Double, accuracy: Double)? = nil) -> String {
        var line = "epoch \(epoch)/\(epochs)  loss " + figure(loss, "%.4f") + "  train accuracy " + figure(accuracy * 100, "%.2f") + "%  "
            + String(format: "%.2f s", seconds) + " (" + (seconds > 0 ? String(format: "%.0f", Double(samples) / seconds) : "–") + " samples/s)"
        if let heldOut {
            line += "  held-out loss " + figure(heldOut.loss, "%.4f") + "  accuracy " + figure(heldOut.accuracy * 100, "%.2f") + "%"
        }
        return line
    }

    /// A number in `format`, or `nan`/`inf` as they are.
    static func figure(_ value: Double, _ format: String) -> String {
        value.isFinite ? String(format: format, value) : "\(value)"
    }

    /// `0.4 s`, `42 s`, `3:07`, `1:02:05`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        if seconds < 60 { return String(format: "%.0f s", seconds) }
        let whole = min(Int(seconds.rounded()), 359_999)
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
