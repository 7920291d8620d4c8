import ArgumentParser
import Datasets
import Foundation
import NeuralNetworks
import Workbench

extension BenchCommand {
    /// `backprop bench train`: seconds per epoch of the training workloads, for docs/performance.md.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds per epoch: the MNIST MLP 784-50-50-10 (dropout 0.2, batch 32, 60k samples) and the digits and Iris MLPs.")
        @Option(help: "Timed epochs of each workload (median reported).") var epochs = 3

        func run() throws {
            let directory = try LessonLibrary.directory() + "/data"
            let mnist: LabeledData, digits: LabeledData, iris: LabeledData
            do {
                mnist = try Datasets.mnist(directory: directory + "/mnist", training: true)
                digits = try Datasets.digits(path: directory + "/digits.csv.gz")
                iris = try Datasets.iris(path: directory + "/iris.csv")
            } catch { throw WorkbenchFailure.badInput("\(error)") }
            print("training workloads on the engine, SGD lr 0.01 momentum 0.5, \(epochs) timed epochs each (median)")
            for (model, data, batch) in [("mlp-mnist", mnist, 32), ("digits-mlp", digits, 32), ("iris-mlp", iris, 16)] {
                var settings = Trainer.Settings()
                settings.batchSize = batch
                let trainer = try Trainer(spec: ModelSpec.preset(named: model)!, settings: settings)
                var times: [Double] = [], losses: [Double] = []
                for epoch in 1...epochs {
                    let start = Date()
                    losses.append(try trainer.epoch(data, seed: UInt64(epoch)).loss)
                    times.append(Date().timeIntervalSince(start))
                }
                let median = times.sorted()[times.count / 2]
                print(String(format: "%-11@ %6d samples, batch %3d: %.3f s per epoch (%.0f samples/s; epochs %@ s), loss %.4f → %.4f",
                             model as NSString, data.count, batch, median, Double(data.count) / median,
                             times.map { String(format: "%.3f", $0) }.joined(separator: ", ") as NSString, losses.first!, losses.last!))
            }
            print("reference (anchors, this kind of machine): PyTorch 1.03 s, hand-written NumPy 0.35 s per MNIST MLP epoch; target ≤ 0.25 s")
        }
    }
}
