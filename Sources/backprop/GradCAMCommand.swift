import ArgumentParser
import Autograd
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

/// `backprop gradcam MODEL.json --index N`: Grad-CAM and the saliency map of one held-out image.
struct GradCAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcam",
        abstract: "Grad-CAM and the saliency map |∂y_c/∂x| of a held-out image, for a CNN saved by 'backprop train --save'.",
        discussion: """
            α_k = mean over the map of ∂y_c/∂A^k (the engine's gradient), heat map = ReLU(Σ_k α_k A^k).
            y_c is the class score before the softmax. Layers are numbered as 'backprop summary' prints them.
              backprop train digits-cnn --data digits --epochs 4 --lr 0.05 --momentum 0.9 --save cnn.json
              backprop gradcam cnn.json --index 7 -o heat.svg
            """)

    @Argument(help: "The saved model (JSON, from 'backprop train --save').") var file: String
    @Option(help: "The held-out image, counted from 0.") var index: Int
    @Option(name: .customLong("class"), help: "The class c whose score y_c is explained (default: the predicted class).") var classIndex: Int?
    @Option(help: "The layer whose feature maps are weighted (default: the last convolution's activation).") var layer: Int?
    @Option(help: "The data set (default: the one the model was trained on).") var data: String?
    @Option(name: .shortAndLong, help: "Write the image, the heat map over it and the saliency map to FILE (.svg).") var output: String?

    func run() throws {
        if let output { try PictureOutput.check(output) }
        try RunFiles(inputs: [(file, "the saved model")]).check(output, option: "-o")
        let loaded = try LoadedModel(file: file, data: data)
        let image = try loaded.heldOutImage(index, option: "--index")
        let cam: GradCAM
        do { cam = try GradCAM(network: loaded.network, image: image, classIndex: classIndex, layer: layer) }
        catch { throw WorkbenchFailure.badInput("\(error)") }

        let label = loaded.test.labels[index], names = loaded.test.classNames
        let mapShape = cam.featureMaps.shape
        print("Grad-CAM of \(loaded.model) from \(file): held-out image \(index) of \(loaded.test.count) (\(loaded.dataName)), label \(names[label])")
        print("predicted class \(names[cam.predictedClass]) " + String(format: "(probability %.4f)", cam.probabilities[cam.predictedClass])
              + "; explaining class \(names[cam.classIndex]), " + String(format: "score y_c = %.4f", cam.scores[cam.classIndex]))
        print("feature maps A^k: layer \(cam.layer) (\(loaded.network.spec.layers[cam.layer - 1].typeName)), \(mapShape[0]) maps of \(mapShape[1])×\(mapShape[2])")
        print("  k    α_k = mean ∂y_c/∂A^k    mean A^k    α_k · mean A^k")
        let area = mapShape[1] * mapShape[2]
        for (k, alpha) in cam.alphas.enumerated() {
            let meanActivation = cam.featureMaps.storage[k * area ..< (k + 1) * area].reduce(0, +) / Double(area)
            print(String(format: "  %-3d  %+21.4e  %10.4f  %+14.4e", k, alpha, meanActivation, alpha * meanActivation + 0))   // + 0 turns −0 into 0
        }
        let heat = cam.heatMap.storage, hottest = heat.indices.max { heat[$0] < heat[$1] } ?? 0
        print(String(format: "heat map ReLU(Σ α_k A^k): %d×%d, largest %.4g at row %d, column %d; %d of %d positions > 0",
                     mapShape[1], mapShape[2], heat[hottest], hottest / mapShape[2], hottest % mapShape[2], heat.filter { $0 > 0 }.count, heat.count))
        if let maximum = heat.max(), maximum > 0, mapShape[2] <= 16 {
            print("heat map as % of its largest value:")
            for row in 0..<mapShape[1] {
                print("  " + (0..<mapShape[2]).map { String(format: "%3d", Int((100 * heat[row * mapShape[2] + $0] / maximum).rounded())) }.joined(separator: " "))
            }
        }
        let saliency = cam.saliency.storage, brightest = saliency.indices.max { saliency[$0] < saliency[$1] } ?? 0
        let (height, width) = (cam.saliency.shape[0], cam.saliency.shape[1])
        print(String(format: "saliency |∂y_c/∂x|: largest %.4g at row %d, column %d", saliency[brightest], brightest / width, brightest % width))

        if let output {
            let pixels = Array(image.storage.prefix(height * width))
            let upsampled = cam.heatMap(upsampledTo: height, width).storage
            let svg = PixelPicture.svg([
                .grey("image (label \(names[label]))", pixels, height: height, width: width),
                PixelPicture.Panel(title: "Grad-CAM, class \(names[cam.classIndex])", values: upsampled, height: height, width: width,
                                   kind: .overlay(grey: pixels, range: 0...1, maximum: heat.max() ?? 0)),
                PixelPicture.Panel(title: "saliency |∂y_c/∂x|", values: saliency, height: height, width: width,
                                   kind: .heat(maximum: saliency.max() ?? 0)),
            ], caption: "\(loaded.model): held-out image \(index), predicted \(names[cam.predictedClass]), layer \(cam.layer)")
            try PictureOutput.write(svg, to: output)
            print("wrote \(output)")
        }
    }
}

/// The `-o FILE.svg` of the picture commands.
enum PictureOutput {
    static func check(_ path: String) throws {
        guard (path as NSString).pathExtension.lowercased() == "svg" else {
            throw WorkbenchFailure.badInput("-o \(path): write the picture to a file ending in .svg")
        }
    }

    static func write(_ svg: String, to path: String) throws {
        do { try AtomicFile.write(svg, to: path) } catch { throw WorkbenchFailure.badInput("\(error)") }
    }
}
