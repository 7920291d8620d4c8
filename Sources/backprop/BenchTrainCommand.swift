import ArgumentParser
import Datasets
import Foundation
import NeuralNetworks
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages
import Benchmarks

extension BenchCommand {
    /// `backprop bench train`: seconds per epoch of the issue's training workloads, and, with
    /// `--reference`, the anchors' PyTorch and NumPy scripts run in the same session.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds per epoch of the training workloads (MNIST MLP, MNIST CNN, LeNet-5), side by side with PyTorch and NumPy.",
            discussion: """
                Workloads (SGD lr 0.01 momentum 0.5, as the anchors' scripts):
                  A  mlp-mnist, batch 32, the 60,000 MNIST training images
                  B  cnn-mnist, batch 64, the first 10,000
                  D  lenet5,    batch 64, the first 10,000
                With --reference PYTHON, the anchors' bench_torch.py and bench_numpy_mlp.py run right after
                (PYTHON must have torch and numpy; ANCHORS defaults to ../shared/anchors next to the project).
                """)
        @Option(help: "Timed epochs of each workload (median reported).") var epochs = 3
        @Option(help: "Workloads to run: any of A, B, D.") var workloads = "ABD"
        @Option(help: "float32 (the training path) or float64 (a graph per batch on the engine).") var precision = "float32"
        @Option(help: "sgd (the anchors' SGD, lr 0.01 momentum 0.5) or adam (lr 0.001), to compare an Adam epoch with an SGD one.") var optimizer = "sgd"
        @Option(help: "A Python with torch and numpy: run the anchors' reference scripts in the same session.") var reference: String?
        @Option(help: "The anchors directory (bench_torch.py, bench_numpy_mlp.py).") var anchors: String?
        @Flag(help: "After each workload, where its time went: each stage's forward and backward, the merge and the update.") var profile = false

        func validate() throws {
            guard (1...50).contains(epochs) else { throw ValidationError("--epochs \(epochs): use 1 to 50") }
            guard !workloads.isEmpty, workloads.allSatisfy({ "ABD".contains($0) }) else { throw ValidationError("--workloads \(workloads): use letters from A, B, D") }
            guard Trainer.Precision(rawValue: precision) != nil else { throw ValidationError("--precision \(precision): use float32 or float64") }
            guard ["sgd", "adam"].contains(optimizer) else { throw ValidationError("--optimizer \(optimizer): use sgd or adam") }
        }

        func run() throws {
            let directory = try LessonLibrary.directory() + "/data"
            let mnist: LabeledData
            do { mnist = try Datasets.mnist(directory: directory + "/mnist", training: true) }
            catch { throw WorkbenchFailure.badInput("\(error)") }
            BenchCommand.begin()
            defer { BenchCommand.end() }
            print("backprop \(precision), \(optimizer == "adam" ? "Adam lr 0.001" : "SGD lr 0.01 momentum 0.5"), \(epochs) timed epochs each (median), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            var results: [TrainingBenchmark.Result] = []
            for workload in TrainingBenchmark.workloads(mnist: mnist) where workloads.contains(workload.letter) {
                let result = try TrainingBenchmark.run(workload, epochs: epochs, precision: Trainer.Precision(rawValue: precision)!,
                                                       adam: optimizer == "adam", profile: profile)
                results.append(result)
                print(String(format: "%@ %-9@ %6d samples, batch %2d: %.3f s per epoch (%.0f samples/s; epochs %@ s), mean loss %.4f → %.4f",
                             workload.letter, workload.model as NSString, workload.data.count, workload.batch, result.median,
                             Double(workload.data.count) / result.median,
                             result.times.map { String(format: "%.3f", $0) }.joined(separator: ", ") as NSString, result.losses.first!, result.losses.last!))
                if let profile = result.profile, profile.passes > 0 {
                    for line in TrainingBenchmark.describe(profile, epochs: epochs) { print(line) }
                }
            }
            guard let python = reference else {
                print("targets, as ratios to the references run in the same session: A ≥ 5× PyTorch and ≥ 1.5× NumPy, B and D ≥ 2× PyTorch. Run with --reference PYTHON to measure them.")
                return
            }
            let lessons = try LessonLibrary.directory()
            let folder = anchors ?? (URL(fileURLWithPath: lessons).deletingLastPathComponent()
                .appendingPathComponent("../shared/anchors").standardized.path)
            let references = try TrainingBenchmark.references(python: python, anchors: folder, letters: results.map(\.workload.letter))
            print("same session, median seconds per epoch (ratio = reference / backprop):")
            for line in TrainingBenchmark.comparison(results, references) { print(line) }
        }
    }
}
