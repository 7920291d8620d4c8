import Datasets
import NeuralNetworks
import Testing
@testable import ModelFiles
@testable import Support

@Suite("cross-validation and held-out reports, in the library")
struct CrossValidationTests {
    @Test("mean and sample standard deviation of the folds' accuracies")
    func statistics() {
        let folds = [0.9, 1.0, 0.95, 0.85].map { CrossValidation.Fold(accuracy: $0, loss: 0, right: 0, count: 1) }
        let result = CrossValidation(folds: folds)
        #expect(abs(result.mean - 0.925) < 1e-12)
        // Σ(a − 0.925)² = 0.000625 + 0.005625 + 0.000625 + 0.005625 = 0.0125; / 3; √ = 0.0645497…
        #expect(abs(result.deviation - 0.06454972243679028) < 1e-12)
        #expect(CrossValidation(folds: [folds[0]]).deviation == 0)
    }

    @Test("every example of iris is held out once over 3 folds, and each fold reports its own count")
    func irisFolds() throws {
        let parts = try TrainingData.folds("iris", count: 3, seed: 1)
        let spec = try ModelFile.model("iris-mlp").model
        var seen: [Int] = []
        let result = try CrossValidation.run(spec, parts: parts, epochs: 2, settings: .init(), seed: 1) { index, _ in seen.append(index) }
        #expect(seen == [0, 1, 2])
        #expect(result.folds.map(\.count).reduce(0, +) == 150)
        #expect(result.folds.allSatisfy { $0.right <= $0.count && $0.accuracy >= 0 && $0.accuracy <= 1 })
    }
}
