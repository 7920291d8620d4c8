import ArgumentParser
import Autograd
import Foundation
import NeuralNetworks
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop style MODEL.json --content N --style M`: neural style transfer on a saved CNN.
struct StyleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "style",
        abstract: "Style transfer (000, 004): optimize an image so its feature maps keep one held-out image's content and another's Gram matrices.",
        discussion: """
            L_total = α · ½ Σ (F − P)² + β · Σ_l w_l Σ (G^l − A^l)² / (4 N_l² M_l²), G = F Fᵀ; Adam on the pixels, clipped to [0, 1].
            Layers are numbered as 'backprop summary' prints them; the defaults are the last convolution's
            activation for the content and every convolution's activation for the style (w_l equal).
              backprop style cnn.json --content 0 --style 1 --steps 200 -o style.svg
            """)

    @Argument(help: "The saved model (JSON, from 'backprop train --save').") var file: String
    @Option(help: "The held-out image whose content is kept (p), counted from 0.") var content: Int
    @Option(help: "The held-out image whose style is copied (a), counted from 0.") var style: Int
    @Option(help: "Optimization steps.") var steps = 200
    @Option(help: "α, the weight of the content loss.") var alpha = 1.0
    @Option(help: "β, the weight of the style loss.") var beta = 1000.0
    @Option(help: "Adam's learning rate (pixels per step).") var lr = 0.02
    @Option(help: "The content layer (default: the last convolution's activation).") var contentLayer: Int?
    @Option(help: "The style layers, comma-separated (default: every convolution's activation).") var styleLayers: String?
    @Option(help: "Where the image starts: noise (seeded white noise, as 000) or content.") var start = "noise"
    @Option(help: "The seed of the white noise.") var seed: UInt64 = 1
    @Option(help: "Print the losses every N steps.") var every = 20
    @Option(help: "The data set (default: the one the model was trained on).") var data: String?
    @Option(name: .shortAndLong, help: "Write the content, style and result images side by side to FILE (.svg).") var output: String?

    func validate() throws {
        guard (0...100_000).contains(steps) else { throw ValidationError("--steps \(steps): use 0 to 100000") }
        guard every >= 1 else { throw ValidationError("--every \(every): use a positive number of steps") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr \(lr): use a positive learning rate") }
        guard alpha >= 0, beta >= 0, alpha.isFinite, beta.isFinite, alpha + beta > 0 else {
            throw ValidationError("--alpha \(alpha) --beta \(beta): use weights ≥ 0, not both 0")
        }
        if StyleTransfer.Start(rawValue: start) == nil { throw ValidationError("--start \(start): use noise or content") }
    }

    func run() throws {
        if let output { try PictureOutput.check(output) }
        try RunFiles(inputs: [(file, "the saved model")]).check(output, option: "-o")
        let layers = try styleLayers.map { text in
            try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
                guard let layer = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw WorkbenchFailure.badInput("--style-layers \(text): '\(part)' is not a layer number (write e.g. 2,5)")
                }
                return layer
            }
        }
        let loaded = try LoadedModel(file: file, data: data)
        let contentImage = try loaded.heldOutImage(content, option: "--content")
        let styleImage = try loaded.heldOutImage(style, option: "--style")
        var settings = StyleTransfer.Settings()
        settings.contentLayer = contentLayer; settings.styleLayers = layers
        settings.alpha = alpha; settings.beta = beta; settings.steps = steps; settings.learningRate = lr
        settings.seed = seed; settings.start = StyleTransfer.Start(rawValue: start) ?? .noise
        let transfer: StyleTransfer
        do { transfer = try StyleTransfer(network: loaded.network, content: contentImage, style: styleImage, settings: settings) }
        catch { throw WorkbenchFailure.badInput("\(error)") }

        let names = loaded.test.classNames, spec = loaded.network.spec
        func describe(_ layer: Int) -> String {
            let shape = loaded.network.layerShapes[layer - 1]
            return "\(layer) (\(spec.layers[layer - 1].typeName), \(shape[0]) maps of \(shape[1])×\(shape[2]))"
        }
        print("style transfer on \(loaded.model) from \(file): content p = held-out image \(content) (label \(names[loaded.test.labels[content]])), style a = image \(style) (label \(names[loaded.test.labels[style]]))")
        print("content layer \(describe(transfer.contentLayer)); style layers " + zip(transfer.styleLayers, transfer.styleWeights).map { "\(describe($0)) w = \(String(format: "%g", $1))" }.joined(separator: ", "))
        print("α = \(String(format: "%g", alpha)), β = \(String(format: "%g", beta)); Adam lr \(String(format: "%g", lr)), \(steps) steps from \(settings.start == .noise ? "white noise (seed \(seed))" : "the content image")")
        print("step   L_total        L_content      L_style")
        let started = Date()
        let result: StyleTransfer.Result
        do {
            result = try transfer.run { step, losses in
                guard step % every == 0 || step == steps else { return }
                print(String(format: "%-6d %-14.6g %-14.6g %.6g", step, losses.total, losses.content, losses.style))
            }
        } catch { throw WorkbenchFailure.failed("\(error)") }
        let seconds = Date().timeIntervalSince(started)
        let first = result.losses.first!.total, last = result.losses.last!.total
        print(String(format: "L_total %.6g → %.6g (%.2f%% of the start) in %.2f s", first, last, 100 * last / first, seconds))
        func predicted(_ image: Tensor) throws -> String {
            let scores = try loaded.network.scores(of: image)
            return names[scores.indices.max { scores[$0] < scores[$1] } ?? 0]
        }
        print("the model predicts: content \(try predicted(contentImage)), style \(try predicted(styleImage)), result \(try predicted(result.image))")

        if let output {
            let (height, width) = (spec.inputShape[1], spec.inputShape[2])
            func pixels(_ image: Tensor) -> [Double] { Array(image.storage.prefix(height * width)) }
            let svg = PixelPicture.svg([
                .grey("content p (image \(content))", pixels(contentImage), height: height, width: width),
                .grey("style a (image \(style))", pixels(styleImage), height: height, width: width),
                .grey("start", pixels(result.start), height: height, width: width),
                .grey("result x, \(steps) steps", pixels(result.image), height: height, width: width),
            ], caption: "\(loaded.model): " + String(format: "α = %g, β = %g, L_total %.4g → %.4g", alpha, beta, first, last))
            try PictureOutput.write(svg, to: output)
            print("wrote \(output)")
        }
    }
}
