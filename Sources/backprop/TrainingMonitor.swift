import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// What `backprop train` shows and records while it trains: the progress line redrawn in place on a
/// terminal (plain epoch lines otherwise), and with `--curves` the figures of every batch and epoch,
/// drawn to an SVG after each epoch (atomically, so the file can be watched while training runs).
final class TrainingMonitor {
    private let epochs: Int, examples: Int, batchSize: Int
    private let terminal = isatty(1) == 1
    private var curves: TrainingCurves?
    private let curvesPath: String?
    private var epoch = 0
    private var start = Date(), lastDrawn = Date.distantPast
    private var lineOpen = false

    /// - Parameter curves: the SVG to write, and its heading; nil for none. It is written at once
    ///   (empty axes), so a path that cannot be written fails before training, not after an epoch.
    init(epochs: Int, examples: Int, batchSize: Int, curves: (path: String, title: String)?) throws {
        self.epochs = epochs; self.examples = examples; self.batchSize = batchSize
        self.curvesPath = curves?.path
        self.curves = curves.map { TrainingCurves(title: $0.title) }
        try writeCurves()
    }

    private func writeCurves() throws {
        guard let curves, let curvesPath else { return }
        do { try AtomicFile.write(curves.svg(), to: curvesPath) } catch { throw WorkbenchFailure.badInput("--curves: \(error)") }
    }

    /// Whether the held-out figures are wanted after each epoch (for the curves).
    var wantsHeldOut: Bool { curvesPath != nil }

    func startEpoch(_ epoch: Int) {
        self.epoch = epoch
        start = Date()
        lastDrawn = .distantPast
    }

    /// The trainer's progress callback: batches done, batches, running mean loss and accuracy.
    func batch(_ done: Int, _ total: Int, _ loss: Double, _ accuracy: Double) {
        let seen = min(done * batchSize, examples)
        curves?.addBatch(epoch: epoch, batch: done, of: total, seen: seen, runningMean: loss)
        guard terminal else { return }
        let now = Date()
        // Redraw at most 10 times a second: a terminal write per batch would slow a fast epoch.
        guard now.timeIntervalSince(lastDrawn) >= 0.1 || done == total else { return }
        lastDrawn = now
        let progress = TrainingProgress(epoch: epoch, epochs: epochs, batch: done, batches: total, samples: seen,
                                        loss: loss, accuracy: accuracy, elapsed: now.timeIntervalSince(start))
        print("\r" + progress.line(width: Self.terminalWidth()) + "\u{1B}[K", terminator: "")
        fflush(nil)
        lineOpen = true
    }

    /// Replaces the progress line with the epoch's line, and redraws the curves.
    func finishEpoch(loss: Double, accuracy: Double, heldOut: (loss: Double, accuracy: Double)?) throws {
        let seconds = Date().timeIntervalSince(start)
        if lineOpen { print("\r\u{1B}[K", terminator: ""); lineOpen = false }
        print(TrainingProgress.epochLine(epoch: epoch, epochs: epochs, loss: loss, accuracy: accuracy, seconds: seconds,
                                         samples: examples, heldOut: heldOut))
        fflush(nil)
        curves?.add(.init(epoch: epoch, trainingLoss: loss, trainingAccuracy: accuracy, heldOutLoss: heldOut?.loss, heldOutAccuracy: heldOut?.accuracy))
        try writeCurves()
    }

    /// The terminal's width in columns (80 when it cannot be told).
    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
