import Datasets
import NeuralNetworks
import Testing

// Issue 16: the trainer checks the data against the model at every batch, on both paths, so a
// wrong width cannot read past the workspace and a wrong output count cannot write outside the
// confusion matrix (both crashed the -Ounchecked build).

@Suite("Training refuses data that does not fit the model")
struct DataMismatchTests {
    /// `count` examples of `width` features and labels 0…classes-1.
    static func data(width: Int, classes: Int, count: Int = 8) -> LabeledData {
        LabeledData(features: (0..<count * width).map { Float($0 % 5) / 5 }, featureShape: [width],
                    labels: (0..<count).map { $0 % classes }, classNames: (0..<classes).map(String.init))
    }

    @Test("more outputs than classes, and a different input width, on float32 and float64", arguments: Trainer.Precision.allCases)
    func mismatch(precision: Trainer.Precision) throws {
        var settings = Trainer.Settings()
        settings.precision = precision
        let four = ModelSpec(name: "iris4", inputShape: [4], layers: [.linear(outputs: 4)])
        let trainer = try Trainer(spec: four, settings: settings)
        let iris = Self.data(width: 4, classes: 3)
        #expect(throws: Trainer.Unsupported.self) { try trainer.evaluate(iris) }
        do { _ = try trainer.epoch(iris, seed: 1) } catch {
            #expect("\(error)" == "iris4 does not end in one score per class for the 3 classes of the data (its output has shape [4]); give its last linear layer 3 outputs")
        }
        let wide = Self.data(width: 64, classes: 4)
        do { _ = try trainer.evaluate(wide); Issue.record("a 64-wide data set fed a 4-input model") } catch {
            #expect("\(error)" == "iris4 takes inputs of shape [4], but the data's examples have shape [64]")
        }
        // The matching data trains.
        #expect(try trainer.evaluate(Self.data(width: 4, classes: 4)).confusion.count == 4)
    }
}
