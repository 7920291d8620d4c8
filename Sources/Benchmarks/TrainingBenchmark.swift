import Autograd
import Datasets
import Foundation
import NeuralNetworks
import Support

/// `backprop bench train`: seconds per epoch of the issue's training workloads on the Float32 path
/// (or the engine's), and the anchors' PyTorch and NumPy scripts run in the same session, with the
/// targets as ratios to them (issue 17).
public enum TrainingBenchmark {
    /// One workload: a model preset on a data set at a batch size (SGD lr 0.01 momentum 0.5, as the anchors).
    public struct Workload: Sendable {
        public let letter: String, model: String, data: LabeledData, batch: Int
    }

    /// The three workloads on MNIST's training images: A on all 60,000, B and D on the first 10,000.
    public static func workloads(mnist: LabeledData) -> [Workload] {
        let first10k = mnist.subset(Array(0..<min(10_000, mnist.count)))
        return [Workload(letter: "A", model: "mlp-mnist", data: mnist, batch: 32),
                Workload(letter: "B", model: "cnn-mnist", data: first10k, batch: 64),
                Workload(letter: "D", model: "lenet5", data: first10k, batch: 64)]
    }

    /// A workload's timed epochs.
    public struct Result: Sendable {
        public let workload: Workload
        public let times: [Double], losses: [Double]
        /// Where the time went, when asked for (Float32 path only).
        public let profile: TrainingProfile?
        public var median: Double { times.sorted()[times.count / 2] }
    }

    /// Trains `workload` for `epochs` timed epochs (no warm-up epoch: the median is reported).
    public static func run(_ workload: Workload, epochs: Int, precision: Trainer.Precision, adam: Bool, profile: Bool) throws -> Result {
        var settings = Trainer.Settings()
        settings.batchSize = workload.batch
        settings.precision = precision
        if adam { settings.optimizer = .adam; settings.learningRate = 0.001 }
        guard let spec = ModelSpec.preset(named: workload.model) else { throw WorkbenchFailure.failed("no preset \(workload.model)") }
        let trainer = try Trainer(spec: spec, settings: settings)
        trainer.profiling = profile
        var times: [Double] = [], losses: [Double] = []
        for epoch in 1...max(1, epochs) {
            let start = DispatchTime.now().uptimeNanoseconds
            losses.append(try trainer.epoch(workload.data, seed: UInt64(epoch)).loss)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return Result(workload: workload, times: times, losses: losses, profile: profile ? trainer.profile : nil)
    }

    /// A target of the issue: our epoch at least `ratio` times faster than `reference`'s.
    public struct Target: Sendable {
        public let letter: String, reference: String, ratio: Double
    }
    public static let targets = [Target(letter: "A", reference: "PyTorch", ratio: 5), Target(letter: "A", reference: "NumPy", ratio: 1.5),
                                 Target(letter: "B", reference: "PyTorch", ratio: 2), Target(letter: "D", reference: "PyTorch", ratio: 2)]

    /// Median seconds per epoch of the references, by name ("PyTorch", "NumPy") and workload letter.
    public static func references(python: String, anchors: String, letters: [String]) throws -> [String: [String: Double]] {
        var result = ["PyTorch": try medians(python, anchors + "/bench_torch.py", letters, pattern: #"\[torch workload (\w)"#)]
        if letters.contains("A"), let mlp = try medians(python, anchors + "/bench_numpy_mlp.py", [], pattern: #"\[numpy (MLP)"#)["MLP"] {
            result["NumPy"] = ["A": mlp]     // the NumPy script has the MLP only
        }
        return result
    }

    /// One line per workload: ours, each reference, the ratio and whether the target holds.
    public static func comparison(_ results: [Result], _ references: [String: [String: Double]]) -> [String] {
        results.map { result in
            let letter = result.workload.letter, mine = result.median
            var line = String(format: "%@ backprop %.3f s", letter, mine)
            for name in ["PyTorch", "NumPy"] {
                guard let theirs = references[name]?[letter] else { continue }
                let ratio = theirs / mine
                line += String(format: " | %@ %.3f s (%.2f×", name, theirs, ratio)
                if let target = targets.first(where: { $0.letter == letter && $0.reference == name }) {
                    line += String(format: ", target ≥ %.1f× %@", target.ratio, ratio >= target.ratio ? "met" : "NOT met")
                }
                line += ")"
            }
            return line
        }
    }

    /// The profile as lines of milliseconds per epoch.
    public static func describe(_ profile: TrainingProfile, epochs: Int) -> [String] {
        let scale = 1000 / Double(max(1, epochs))
        var lines = ["  where the time went, ms per epoch (stages: thread time summed over the replicas; phases: wall time)"]
        for stage in profile.stages where stage.forward + stage.backward > 0 {
            lines.append("    " + stage.name.padding(toLength: 18, withPad: " ", startingAt: 0)
                         + String(format: " forward %7.1f  backward %7.1f", stage.forward * scale, stage.backward * scale))
        }
        lines.append(String(format: "    passes (wall) %7.1f   merge %6.1f   update %6.1f", profile.passes * scale, profile.merge * scale, profile.update * scale))
        return lines
    }

    /// Runs a reference script and reads each "[… name …]" block's "median s/epoch" figure.
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
