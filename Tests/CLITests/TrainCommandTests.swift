import Foundation
import Testing

// End-to-end tests of `backprop train`, `evaluate` and `summary`.

@Suite("backprop train and evaluate", .serialized)
struct TrainCommandTests {
    @Test("train --save, then evaluate: the saved model gives the same held-out loss and accuracy")
    func saveAndEvaluate() throws {
        let directory = try CLI.temporaryDirectory()
        let trained = try CLI.run(["train", "digits-mlp", "--data", "digits", "--epochs", "2", "--lr", "0.05", "--momentum", "0.9", "--save", "m.json"], in: directory)
        #expect(trained.status == 0, "\(trained.stderr)")
        let heldOut = try #require(trained.stdout.split(separator: "\n").first { $0.hasPrefix("held-out:") })
        let evaluated = try CLI.run(["evaluate", "m.json"], in: directory)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.split(separator: "\n").contains(heldOut), "\(evaluated.stdout)")
        #expect(evaluated.stdout.contains("confusion matrix"))
    }

    @Test("bad input: one line, exit 2", arguments: [
        (["evaluate", "bad.json"], "bad.json: not a saved model: no \"format\""),
        (["train", "nosuch", "--data", "digits"], "unknown model 'nosuch'"),
        (["train", "digits-mlp", "--data", "cifar"], "--data cifar: use iris, digits or mnist"),
        (["train", "digits-mlp", "--data", "digits", "--optimizer", "lbfgs"], "--optimizer lbfgs: use sgd, adam or rmsprop"),
        (["train", "keras-cnn", "--data", "mnist", "--limit", "10"], "layer 11: Reshape cannot be trained yet"),
        (["summary", "nosuch"], "unknown model 'nosuch'"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        try "{\"weights\": []}".write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
        let result = try CLI.run(arguments, in: directory, environment: ["BACKPROP_LESSONS": CLI.packageRoot.appendingPathComponent("lessons").path])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").first?.contains(message) == true, "\(result.stderr)")
    }

    @Test("summary prints the notes' parameter counts")
    func summary() throws {
        let result = try CLI.run(["summary", "mlp-256"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Total parameters: 203,530"))
    }
}
