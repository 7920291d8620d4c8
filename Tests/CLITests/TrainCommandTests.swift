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
        (["evaluate", "bad.json"], "bad.json: error: not a saved model: no \"format\""),
        (["train", "nosuch", "--data", "digits"], "unknown model 'nosuch'"),
        (["train", "digits-mlp", "--data", "cifar"], "--data cifar: use iris, digits or mnist"),
        (["train", "digits-mlp", "--data", "digits", "--optimizer", "lbfgs"], "--optimizer lbfgs: use sgd, adam or rmsprop"),
        (["train", "keras-cnn", "--data", "mnist", "--limit", "10"], "layer 11: Reshape to [1, 10, 10] makes the output a map, not one score per class"),
        (["summary", "nosuch"], "unknown model 'nosuch'"),
        (["train", "cnn-mnist", "--data", "mnist", "--batch", "60000", "--limit", "60000"], "a batch of 60000 examples needs 16498 MB of workspace for cnn-mnist (the limit is 4096 MB); use a smaller --batch"),
        (["train", "digits-mlp", "--data", "mnist", "--folds", "3"], "--folds: cross-validation is for iris and digits"),
        (["train", "iris-mlp", "--data", "iris", "--folds", "3", "--save", "m.json"], "--folds trains one model per fold"),
        (["train", "iris-mlp", "--data", "iris", "--folds", "1"], "--folds 1: use 2 to 50"),
        (["train", "iris-mlp", "--data", "iris", "--optimizer", "adam", "--momentum", "0.9"], "adam takes no momentum"),
        (["train", "iris-mlp", "--data", "iris", "--loss", "l3"], "--loss l3: use cross_entropy, nll, mse, mae, bce, hinge"),
        (["train", "iris-mlp", "--data", "iris", "--precision", "float16"], "--precision float16: use float32 or float64"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        try "{\"weights\": []}".write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
        let result = try CLI.run(arguments, in: directory, environment: ["BACKPROP_LESSONS": CLI.packageRoot.appendingPathComponent("lessons").path])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").first?.contains(message) == true, "\(result.stderr)")
    }

    @Test("--folds: one held-out figure per fold, then their mean; every fold's examples add up to the data set")
    func crossValidation() throws {
        let result = try CLI.run(["train", "iris-mlp", "--data", "iris", "--folds", "3", "--epochs", "5", "--lr", "0.05"])
        #expect(result.status == 0, "\(result.stderr)")
        let folds = result.stdout.split(separator: "\n").filter { $0.hasPrefix("fold ") }
        #expect(folds.count == 3, "\(result.stdout)")
        // "(right of N)": stratified thirds of three classes of 50 are 17 + 17 + 16 per class.
        #expect(folds[0].contains(" of 51)") && folds[1].contains(" of 51)") && folds[2].contains(" of 48)"), "\(folds)")
        let accuracies = folds.compactMap { line in line.split(separator: " ").firstIndex(of: "accuracy").map { Double(line.split(separator: " ")[$0 + 1].dropLast())! } }
        let mean = accuracies.reduce(0, +) / 3
        let summary = try #require(result.stdout.split(separator: "\n").last)
        #expect(summary.hasPrefix(String(format: "cross-validated accuracy: %.2f%%", mean)), "\(summary) vs mean \(mean)")
    }

    @Test("--trace draws the first mini-batch's graph; --optimizer rmsprop, --lr-step, --l2 and --loss train")
    func traceAndSettings() throws {
        let directory = try CLI.temporaryDirectory()
        let result = try CLI.run(["train", "iris-mlp", "--data", "iris", "--epochs", "3", "--optimizer", "rmsprop", "--lr-step", "1",
                                  "--l2", "0.001", "--loss", "hinge", "--trace", "batch.svg"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("RMSprop lr 0.01, lr × 0.1 every 1 epochs, hinge loss, L2 0.001"), "\(result.stdout)")
        let svg = try String(contentsOfFile: directory + "/batch.svg", encoding: .utf8)
        #expect(svg.contains("<svg") && svg.contains("W1") && svg.contains("relu"))
        #expect(result.stdout.contains("the graph of the first mini-batch"))
    }

    @Test("summary prints the notes' parameter counts")
    func summary() throws {
        let result = try CLI.run(["summary", "mlp-256"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Total parameters: 203,530"))
    }
}
