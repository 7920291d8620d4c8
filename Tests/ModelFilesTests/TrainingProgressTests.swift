import Testing
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams

// The progress line of `backprop train` and the line each epoch leaves, as text.

@Suite("Training progress")
struct TrainingProgressTests {
    static func state(batch: Int, of batches: Int = 45, elapsed: Double) -> TrainingProgress {
        TrainingProgress(epoch: 3, epochs: 20, batch: batch, batches: batches, samples: min(batch * 32, 1438),
                         loss: 0.21434, accuracy: 0.93751, elapsed: elapsed)
    }

    @Test("the line for a few states", arguments: [
        (state(batch: 15, elapsed: 0.01), 100,
         "epoch 3/20 [██████░░░░░░░░░░░░░░] 15/45  loss 0.2143  accuracy 93.8%  48000 samples/s  ETA 0.0 s"),
        (state(batch: 0, elapsed: 0), 100,
         "epoch 3/20 [░░░░░░░░░░░░░░░░░░░░] 0/45  loss 0.2143  accuracy 93.8%  – samples/s  ETA –"),
        (state(batch: 45, elapsed: 2), 100,
         "epoch 3/20 [████████████████████] 45/45  loss 0.2143  accuracy 93.8%  719 samples/s  ETA 0.0 s"),
        (state(batch: 100, of: 1875, elapsed: 12.5), 100,
         "epoch 3/20 [█░░░░░░░░░░░░░░░░░░░] 100/1875  loss 0.2143  accuracy 93.8%  115 samples/s  ETA 3:42"),
        (state(batch: 15, elapsed: 30), 80,
         "epoch 3/20 [██████░░░░░░░░░░░░░░] 15/45  loss 0.2143  accuracy 93.8%  ETA 1:00"),
        (state(batch: 15, elapsed: 30), 70,
         "epoch 3/20 [███░░░░░░░] 15/45  loss 0.2143  accuracy 93.8%  ETA 1:00"),
        (state(batch: 15, elapsed: 30), 55,
         "epoch 3/20 [███░░░░░░░] 15/45  loss 0.2143  ETA 1:00"),
        (state(batch: 15, elapsed: 30), 20,
         "epoch 3/20 [███░░░░"),
    ])
    func line(progress: TrainingProgress, width: Int, expected: String) {
        #expect(progress.line(width: width) == expected)
        #expect(progress.line(width: width).count < width)
    }

    @Test("a long run's ETA in hours; NaN shown as nan")
    func extremes() {
        var progress = Self.state(batch: 1, of: 10_000, elapsed: 2)
        progress.loss = .nan
        #expect(progress.line(width: 200).hasSuffix("loss nan  accuracy 93.8%  16 samples/s  ETA 5:33:18"))
    }

    @Test("the epoch line, with the held-out figures when computed")
    func epochLine() {
        #expect(TrainingProgress.epochLine(epoch: 1, epochs: 20, loss: 1.72544, accuracy: 0.56745, seconds: 0.5, samples: 1438)
                == "epoch 1/20  loss 1.7254  train accuracy 56.75%  0.50 s (2876 samples/s)")
        #expect(TrainingProgress.epochLine(epoch: 2, epochs: 2, loss: 0.5, accuracy: 0.9, seconds: 0, samples: 120, heldOut: (0.25, 0.96667))
                == "epoch 2/2  loss 0.5000  train accuracy 90.00%  0.00 s (– samples/s)  held-out loss 0.2500  accuracy 96.67%")
    }
}
