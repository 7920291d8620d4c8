import Foundation
import Testing

// End-to-end tests of `backprop gradcam` and `backprop style` on a digits CNN trained briefly.

/// A directory holding `cnn.json` (digits-cnn, one epoch on 400 images: about 1 s in debug) and `mlp.json` (a digits-mlp of zeros).
private let workspace: Result<String, Error> = Result {
    let directory = try CLI.temporaryDirectory()
    let trained = try CLI.run(["train", "digits-cnn", "--data", "digits", "--epochs", "1", "--limit", "400", "--lr", "0.05", "--momentum", "0.9", "--save", "cnn.json"], in: directory)
    guard trained.status == 0 else { throw CLIFailure(message: "train failed: \(trained.stderr)") }
    let zeros = { (count: Int) in "[" + Array(repeating: "0", count: count).joined(separator: ",") + "]" }
    let mlp = "{\"format\": \"backprop-model\", \"version\": 1, \"model\": \"digits-mlp\", \"data\": \"digits\", \"seed\": 1, "
        + "\"weights\": [\(zeros(64 * 64)), \(zeros(64 * 10))], \"biases\": [\(zeros(64)), \(zeros(10))]}"
    try mlp.write(toFile: directory + "/mlp.json", atomically: true, encoding: .utf8)
    return directory
}

private struct CLIFailure: Error { let message: String }

@Suite("backprop gradcam and style", .serialized)
struct InputGradientCommandTests {
    @Test("gradcam prints the prediction and one α_k per feature map, and draws three panels")
    func gradcam() throws {
        let directory = try workspace.get()
        let result = try CLI.run(["gradcam", "cnn.json", "--index", "3", "-o", "heat.svg"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("predicted class ") })
        #expect(lines.contains { $0.hasPrefix("feature maps A^k: layer 2 (relu), 16 maps of 8×8") })
        // The α table: rows k = 0 … 15, each with a signed α_k.
        let rows = lines.filter { $0.range(of: #"^  \d+ +[+-]\d"#, options: .regularExpression) != nil }
        #expect(rows.count == 16, "\(result.stdout)")
        #expect(lines.last == "wrote heat.svg")
        let svg = try String(contentsOfFile: directory + "/heat.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("Grad-CAM, class") && svg.contains("saliency"))
        // 64 grey pixels for the image, 64 under the overlay, 64 saliency pixels, 2 × 32 colour-bar steps, at least.
        #expect(svg.components(separatedBy: "<rect").count - 1 >= 64 * 3 + 64)
    }

    @Test("gradcam --class explains another class: its score is the one printed")
    func gradcamOtherClass() throws {
        let directory = try workspace.get()
        let result = try CLI.run(["gradcam", "cnn.json", "--index", "3", "--class", "7", "--layer", "1"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("explaining class 7, score y_c = "))
        #expect(result.stdout.contains("feature maps A^k: layer 1 (Conv2d)"))
    }

    @Test("style: the total loss falls, and content, style, start and result are drawn")
    func style() throws {
        let directory = try workspace.get()
        let result = try CLI.run(["style", "cnn.json", "--content", "0", "--style", "1", "--steps", "30", "--every", "10", "-o", "style.svg"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let steps = lines.compactMap { line -> (Int, Double)? in
            let fields = line.split(separator: " ")
            guard fields.count == 4, let step = Int(fields[0]), let total = Double(fields[1]) else { return nil }
            return (step, total)
        }
        #expect(steps.map(\.0) == [0, 10, 20, 30], "\(result.stdout)")
        #expect(steps.last!.1 < steps.first!.1, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("the model predicts: content ") })
        let svg = try String(contentsOfFile: directory + "/style.svg", encoding: .utf8)
        #expect(svg.contains("content p (image 0)") && svg.contains("result x, 30 steps"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 1 + 4 * 64)
    }

    @Test("bad input: one line, exit 2", arguments: [
        (["gradcam", "cnn.json", "--index", "359"], "--index 359: the held-out part of digits has images 0 to 358"),
        (["gradcam", "cnn.json", "--index=-1"], "--index -1: the held-out part of digits has images 0 to 358"),
        (["gradcam", "mlp.json", "--index", "0"], "digits-mlp has no convolution layer"),
        (["gradcam", "nosuch.json", "--index", "0"], "nosuch.json: error: no such file"),
        (["gradcam", "cnn.json", "--index", "0", "--layer", "4"], "layer 4 outputs [256], not feature maps"),
        (["gradcam", "cnn.json", "--index", "0", "--class", "10"], "class 10 does not exist: use 0 to 9"),
        (["gradcam", "cnn.json", "--index", "0", "-o", "heat.png"], "-o heat.png: write the picture to a file ending in .svg"),
        (["style", "cnn.json", "--content", "0", "--style", "400"], "--style 400: the held-out part of digits has images 0 to 358"),
        (["style", "cnn.json", "--content", "0", "--style", "1", "--style-layers", "2,x"], "'x' is not a layer number"),
        (["style", "cnn.json", "--content", "0", "--style", "1", "--content-layer", "5"], "layer 5 outputs [10], not feature maps"),
        (["style", "cnn.json", "--content", "0", "--style", "1", "--start", "grey"], "--start grey: use noise or content"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let directory = try workspace.get()
        let result = try CLI.run(arguments, in: directory)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        let errorLines = result.stderr.split(separator: "\n")
        #expect(errorLines.count == 1 && errorLines.first?.contains(message) == true, "\(result.stderr)")
    }
}
