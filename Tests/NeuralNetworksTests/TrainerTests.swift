import Datasets
import Foundation
import NeuralNetworks
import Testing

// Training on the engine: seeded runs are repeatable, the loss falls, and the digits MLP learns.

private let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("lessons/data").path

@Suite("Training", .serialized)
struct TrainerTests {
    @Test("on the engine (float64, a graph per batch) the digits MLP passes 90% held-out in 8 epochs; the same seed gives the same model")
    func digits() throws {
        let (train, test) = try Datasets.digits(path: data + "/digits.csv.gz").split(heldOut: 0.2, seed: 1)
        var settings = Trainer.Settings()
        settings.precision = .float64
        settings.learningRate = 0.05; settings.momentum = 0.9; settings.batchSize = 32; settings.seed = 1
        let spec = try #require(ModelSpec.preset(named: "digits-mlp"))
        let trainer = try Trainer(spec: spec, settings: settings)
        #expect(trainer.parameterCount == 64 * 64 + 64 + 64 * 10 + 10)
        var losses: [Double] = []
        for epoch in 1...8 { losses.append(try trainer.epoch(train, seed: UInt64(epoch)).loss) }
        #expect(losses.last! < losses.first! / 3, "losses \(losses)")
        let result = try trainer.evaluate(test)
        #expect(result.accuracy > 0.90, "held-out accuracy \(result.accuracy)")
        #expect(result.confusion.flatMap { $0 }.reduce(0, +) == test.count)

        let again = try Trainer(spec: spec, settings: settings)
        _ = try again.epoch(train, seed: 1)
        let first = try Trainer(spec: spec, settings: settings)
        _ = try first.epoch(train, seed: 1)
        #expect(again.weights == first.weights)
    }

    @Test("the digits CNN (conv 3×3, relu, max-pool, linear) passes 90% held-out in 4 epochs")
    func digitsCNN() throws {
        let (train, test) = try Datasets.digits(path: data + "/digits.csv.gz").split(heldOut: 0.2, seed: 1)
        var settings = Trainer.Settings()
        settings.learningRate = 0.05; settings.momentum = 0.9; settings.batchSize = 32; settings.seed = 1
        let trainer = try Trainer(spec: try #require(ModelSpec.preset(named: "digits-cnn")), settings: settings)
        #expect(trainer.parameterCount == 16 * 9 + 16 + 16 * 4 * 4 * 10 + 10)
        for epoch in 1...4 { _ = try trainer.epoch(train, seed: UInt64(epoch)) }
        let accuracy = try trainer.evaluate(test).accuracy
        #expect(accuracy > 0.90, "held-out accuracy \(accuracy)")
    }

    @Test("the profile times every stage of the Float32 path when asked, and stays empty when not")
    func profile() throws {
        let (train, _) = try Datasets.digits(path: data + "/digits.csv.gz").split(heldOut: 0.2, seed: 1)
        var settings = Trainer.Settings()
        settings.batchSize = 64; settings.seed = 1
        let trainer = try Trainer(spec: try #require(ModelSpec.preset(named: "digits-cnn")), settings: settings)
        _ = try trainer.epoch(train, seed: 1)
        let off = try #require(trainer.profile)
        #expect(off.passes == 0 && off.stages.allSatisfy { $0.forward == 0 && $0.backward == 0 })
        trainer.profiling = true
        _ = try trainer.epoch(train, seed: 2)
        let on = try #require(trainer.profile)
        #expect(on.stages.map(\.name) == ["conv 1→16 3×3", "maxPool 2×2", "relu", "flatten", "linear 256→10"], "\(on.stages.map(\.name))")
        #expect(on.stages.allSatisfy { $0.forward > 0 }, "every stage timed forward")
        #expect(on.stages.dropFirst().allSatisfy { $0.backward > 0 }, "every stage after the first timed backward")
        #expect(on.passes > 0 && on.update > 0)
        #expect(on.stages.map { $0.forward + $0.backward }.reduce(0, +) < 2.5 * on.passes, "thread time within the replicas' wall time")
    }

    @Test("Adam trains the digits MLP past 90% held-out in 3 epochs")
    func adam() throws {
        let (train, test) = try Datasets.digits(path: data + "/digits.csv.gz").split(heldOut: 0.2, seed: 2)
        var settings = Trainer.Settings()
        settings.optimizer = .adam; settings.learningRate = 0.01; settings.seed = 2
        let trainer = try Trainer(spec: try #require(ModelSpec.preset(named: "digits-mlp")), settings: settings)
        for epoch in 1...3 { _ = try trainer.epoch(train, seed: UInt64(epoch)) }
        let accuracy = try trainer.evaluate(test).accuracy
        #expect(accuracy > 0.90, "held-out accuracy \(accuracy)")
    }

    @Test("layers that cannot be trained yet (the Keras CNN's reshape output) are refused with the layer named")
    func unsupported() throws {
        let spec = try #require(ModelSpec.preset(named: "keras-cnn"))
        do { _ = try Trainer(spec: spec, settings: .init()); Issue.record("keras-cnn should be refused") } catch {
            #expect(error.description.hasPrefix("layer 11: Reshape to [1, 10, 10] makes the output a map, not one score per class"), "\(error)")
        }
        // LeNet-5's average pooling can.
        #expect(try Trainer(spec: try #require(ModelSpec.preset(named: "lenet5")), settings: .init()).parameterCount == 61_706)
    }
}
