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
            let first10k = mnist.subset(Array(0..<10_000))
            let all: [(letter: Character, model: String, data: LabeledData, batch: Int, torch: String)] = [
                ("A", "mlp-mnist", mnist, 32, "1.03"), ("B", "cnn-mnist", first10k, 64, "1.87"), ("D", "lenet5", first10k, 64, "0.92"),
            ]
            BenchCommand.printKernels()
            print("backprop \(precision), \(optimizer == "adam" ? "Adam lr 0.001" : "SGD lr 0.01 momentum 0.5"), \(epochs) timed epochs each (median), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            var ours: [Character: Double] = [:]
            for workload in all where workloads.contains(workload.letter) {
                var settings = Trainer.Settings()
                settings.batchSize = workload.batch
                settings.precision = Trainer.Precision(rawValue: precision)!
                if optimizer == "adam" { settings.optimizer = .adam; settings.learningRate = 0.001 }
                let trainer = try Trainer(spec: ModelSpec.preset(named: workload.model)!, settings: settings)
                trainer.profiling = profile
                var times: [Double] = [], losses: [Double] = []
                for epoch in 1...epochs {
                    let start = Date()
                    losses.append(try trainer.epoch(workload.data, seed: UInt64(epoch)).loss)
                    times.append(Date().timeIntervalSince(start))
                }
                let median = times.sorted()[times.count / 2]
                ours[workload.letter] = median
                print(String(format: "%@ %-9@ %6d samples, batch %2d: %.3f s per epoch (%.0f samples/s; epochs %@ s), mean loss %.4f → %.4f",
                             String(workload.letter), workload.model as NSString, workload.data.count, workload.batch, median,
                             Double(workload.data.count) / median,
                             times.map { String(format: "%.3f", $0) }.joined(separator: ", ") as NSString, losses.first!, losses.last!))
                if let profile = trainer.profile, profile.passes > 0 { print(Self.describe(profile, epochs: epochs)) }
            }
            guard let python = reference else {
                print("anchors' figures for this kind of machine (not measured now): PyTorch A 1.03 s, B 1.87 s, D 0.92 s; NumPy A 0.35 s. Targets: A ≤ 0.25 s, B ≤ 1.0 s, D ≤ 0.6 s. Run with --reference PYTHON for a side-by-side measurement.")
                return
            }
            let lessons = try LessonLibrary.directory()
            let folder = anchors ?? (URL(fileURLWithPath: lessons).deletingLastPathComponent()
                .appendingPathComponent("../shared/anchors").standardized.path)
            let letters = all.map(\.letter).filter { workloads.contains($0) }.map(String.init)
            let torch = try Self.medians(python, folder + "/bench_torch.py", letters, pattern: #"\[torch workload (\w)"#)
            let numpy = workloads.contains("A") ? try Self.medians(python, folder + "/bench_numpy_mlp.py", [], pattern: #"\[numpy (MLP)"#) : [:]
            print("same session, median seconds per epoch (ratio = reference / backprop):")
            for letter in letters {
                let mine = ours[Character(letter)]!
                var line = String(format: "%@ backprop %.3f s", letter, mine)
                if let t = torch[letter] { line += String(format: " | PyTorch %.3f s (%.1f×)", t, t / mine) }
                if letter == "A", let n = numpy["MLP"] { line += String(format: " | NumPy %.3f s (%.1f×)", n, n / mine) }
                print(line)
            }
        }

        /// Runs a reference script and reads each "[… name …]" block's "median s/epoch" figure.
        /// The profile as lines of milliseconds per epoch.
        static func describe(_ profile: TrainingProfile, epochs: Int) -> String {
            let scale = 1000 / Double(epochs)
            var lines = ["  where the time went, ms per epoch (stages: thread time summed over both cores; phases: wall time)"]
            for stage in profile.stages where stage.forward + stage.backward > 0 {
                lines.append(stage.name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: " forward %7.1f  backward %7.1f", stage.forward * scale, stage.backward * scale))
            }
            lines.append(String(format: "    passes (wall) %7.1f   merge %6.1f   update %6.1f", profile.passes * scale, profile.merge * scale, profile.update * scale))
            return lines.joined(separator: "\n")
        }

        static func medians(_ python: String, _ script: String, _ arguments: [String], pattern: String) throws -> [String: Double] {
            guard FileManager.default.fileExists(atPath: script) else { throw WorkbenchFailure.badInput("--anchors: no \(script)") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script] + arguments
            // The references choose their own kernels: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which
            // some machines set for older OpenBLAS builds, would slow NumPy's newer OpenBLAS.
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_CORETYPE"] = nil
            environment["OPENBLAS_L2_SIZE"] = nil
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { throw WorkbenchFailure.badInput("--reference \(python): \(error.localizedDescription)") }
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw WorkbenchFailure.failed("\(script) exited with status \(process.terminationStatus)") }
            var result: [String: Double] = [:], current: String?
            let header = try Regex(pattern)
            for line in output.split(separator: "\n") {
                if let match = line.firstMatch(of: header), let name = match.output[1].substring { current = String(name) }
                if line.contains("median s/epoch"), let current,
                   let number = line.split(separator: ":").last?.split(separator: " ").first.flatMap({ Double($0) }) {
                    result[current] = number
                }
            }
            return result
        }
    }
}
