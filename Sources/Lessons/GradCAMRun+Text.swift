import Autograd
import Foundation
import NeuralNetworks
import Support

extension GradCAMRun {
    // MARK: - Steps, checks and the report

    static func number(_ x: Double, _ digits: Int = 4) -> String { TraceFormat.number(x, significantDigits: digits) }
    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x) }
    /// A probability with 5 digits after the point, or 3 significant digits below 0.001.
    static func probability(_ p: Double) -> String { p >= 0.001 ? String(format: "%.5f", p) : TraceFormat.number(p, significantDigits: 3) }

    /// The class's name as the data names it, e.g. `3`.
    public func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : String(c) }

    /// Whether every map's gradient is one value at every position (a GAP head's w_kc / Z).
    static func flat(_ spread: [(low: Double, high: Double)]) -> Bool {
        let scale = spread.map { max(abs($0.low), abs($0.high)) }.max() ?? 0
        return spread.allSatisfy { $0.high - $0.low <= 1e-12 * max(scale, 1e-300) }
    }

    /// The section's steps, each one entry (for `--step`): the data, then each model's.
    public func steps() -> [String] {
        [dataStep()] + models.indices.flatMap { steps(model: $0) }
    }

    /// Model `index`'s steps (from 0): its summary, training, prediction, α, picture and, for a GAP
    /// head, CAM; without the text picture's rows when `pictures` is false (a page draws them as SVG).
    public func steps(model index: Int, pictures: Bool = true) -> [String] { steps(models[index], number: index + 1, pictures: pictures) }

    /// The data set and the image.
    public func dataStep() -> String {
        "data      \(section.data): \(ModelRun.grouped(trainCount)) training images, \(ModelRun.grouped(testCount)) held out, \(height) × \(width) pixels; "
                     + "the image explained is held-out image \(section.image), a \(name(label))"
    }

    func steps(_ result: ModelResult, number: Int, pictures: Bool = true) -> [String] {
        let model = result.model
        var steps: [String] = []
        let settings = model.optimizer == .sgd
            ? "SGD rate \(TraceFormat.number(model.rate))" + (model.momentum > 0 ? " momentum \(TraceFormat.number(model.momentum))" : "")
            : "\(model.optimizer == .adam ? "Adam" : "RMSprop") rate \(TraceFormat.number(model.rate))"
        var text = "model     \(number). \(model.spec.name) (\(model.file)): " + model.spec.layers.map(\.typeName).joined(separator: " → ")
        text += "\n" + ((try? model.spec.renderSummary()) ?? "").split(separator: "\n").map { "          " + $0 }.joined(separator: "\n")
        if let why = model.why { text += "\n      › " + why }
        steps.append(text)

        let epochs = result.losses.count
        let correct = Int((result.heldOutAccuracy / 100 * Double(result.heldOutCount)).rounded())
        steps.append("training  \(epochs) epoch\(epochs == 1 ? "" : "s") of \(ModelRun.grouped(trainCount)) images in batches of \(model.batch), \(settings), seed \(section.seed): "
                     + "loss \(ModelRun.number(result.losses.first ?? 0)) after epoch 1, \(ModelRun.number(result.losses.last ?? 0)) after epoch \(epochs)\n"
                     + "          held-out accuracy \(GradCAMRun.percent(result.heldOutAccuracy)) (\(correct) of \(result.heldOutCount))")

        let first = result.explained[0].cam, second = result.explained[1].cam
        let p = result.probabilities
        var image = "image     held-out image \(section.image), a \(name(label)): the model predicts \(name(first.predictedClass)) (p = \(GradCAMRun.probability(p[first.predictedClass])))"
        image += first.predictedClass == label ? ", right" : ", wrong"
        let other = second.classIndex
        image += result.otherWasPredicted
            ? "; the lesson's other class is the predicted one, so the runner-up \(name(other)) (p = \(GradCAMRun.probability(p[other]))) is explained beside it"
            : section.other == nil ? "; the runner-up is \(name(other)) (p = \(GradCAMRun.probability(p[other])))"
            : "; the other class explained is \(name(other)) (p = \(GradCAMRun.probability(p[other])))"
        steps.append(image)

        let maps = first.featureMaps.shape
        let (channels, area) = (maps[0], maps[1] * maps[2])
        var backward = "backward  A = layer \(first.layer) (\(model.spec.layers[first.layer - 1].typeName) of the last convolution): \(channels) maps of \(maps[1]) × \(maps[2]). "
            + "One backward pass from the score y_c (before the softmax) gives ∂y_c/∂A; α_k is its mean over the \(area) positions of map k:"
        for start in stride(from: 0, to: channels, by: 8) {
            let ks = start..<min(start + 8, channels)
            backward += "\n          " + "k".padding(toLength: 12, withPad: " ", startingAt: 0) + ks.map { String($0).leftPadded(to: 9) }.joined()
            for e in result.explained {
                backward += "\n          " + "α for y_\(name(e.cam.classIndex))".padding(toLength: 12, withPad: " ", startingAt: 0)
                    + ks.map { GradCAMRun.number(e.cam.alphas[$0], 3).leftPadded(to: 9) }.joined()
            }
        }
        let e = result.explained[0]
        if GradCAMRun.flat(e.gradientSpread) {
            backward += "\n      › ∂y_\(name(first.classIndex))/∂A^0 is \(GradCAMRun.number(e.gradientSpread[0].low)) at all \(area) positions of map 0, and so for every map: "
                + "the gradient is one value per map, so α_k is that value."
        } else {
            backward += "\n      › ∂y_\(name(first.classIndex))/∂A^0 runs from \(GradCAMRun.number(e.gradientSpread[0].low)) to \(GradCAMRun.number(e.gradientSpread[0].high)) over the \(area) positions of map 0: "
                + "each position has its own weight in y_c, and α_k, their mean, keeps how much map k counts, not where."
        }
        steps.append(backward)

        var picture = "picture   ReLU(Σ_k α_k A^k), \(maps[1]) × \(maps[2]), "
            + (maps[1] == height && maps[2] == width ? "at the image's size" : "upsampled to \(height) × \(width) by nearest neighbour (each value a block of pixels; "
                + "Selvaraju et al. interpolate bilinearly, which draws values the map does not hold)")
            + (pictures ? ", over the image:\n" : ", over the image (drawn below)")
        var panels = [TextPicture.Panel(title: "image (\(name(label)))", cells: TextPicture.grey(pixels, height: height, width: width))]
        for e in result.explained {
            panels.append(TextPicture.Panel(title: "Grad-CAM y_\(name(e.cam.classIndex))", cells: TextPicture.overlay(e.upsampled, on: pixels, height: height, width: width)))
        }
        if pictures { picture += TextPicture.panels(panels, indent: 10) }
        for e in result.explained {
            let heat = e.cam.heatMap.storage
            let hottest = heat.indices.max { heat[$0] < heat[$1] } ?? 0
            picture += "\n          y_\(name(e.cam.classIndex)): " + ((heat.max() ?? 0) > 0
                ? "largest \(GradCAMRun.number(heat[hottest])) at row \(hottest / maps[2]), column \(hottest % maps[2]) of the map; "
                    + "\(Int((e.inkShare * 100).rounded()))% of the map's sum lies on the ink; \(heat.filter { $0 > 0 }.count) of \(heat.count) positions > 0"
                : "every entry of Σ_k α_k A^k is 0 or less: ReLU leaves nothing to show")
        }
        if pictures { picture += "\n          key: each pixel is the map in tenths of its largest value (1–9; · below a tenth; blank at 0), then the image's ink ░▒▓█" }
        steps.append(picture)

        if let comparison = result.cam {
            var cam = "CAM       this head is global average pooling and one linear layer: y_c = Σ_k w_kc · mean(A^k) + b_c, "
                + "so ∂y_c/∂A^k = w_kc / Z at every position (Z = \(comparison.positions)) and α_k = w_kc / Z: "
                + "Grad-CAM's weights are CAM's (Zhou et al., CVPR 2016) divided by Z, and its map ReLU(Σ_k w_kc A^k) / Z."
            for (index, e) in result.explained.enumerated() {
                let largest = e.cam.heatMap.storage.max() ?? 0
                let agree = comparison.mapDifference[index] <= 1e-9 * max(largest, 1e-300) && comparison.alphaDifference[index] <= 1e-9 * (e.cam.alphas.map(abs).max() ?? 0)
                cam += "\n          y_\(name(e.cam.classIndex)): largest |α_k − w_kc/Z| = \(GradCAMRun.number(comparison.alphaDifference[index], 2)), "
                    + "largest |Grad-CAM − CAM/Z| = \(GradCAMRun.number(comparison.mapDifference[index], 2))"
                    + (agree ? " (the maps agree; the colour scale removes the factor 1/Z)" : " (more than rounding: see the checks)")
            }
            steps.append(cam)
        }
        return steps
    }

    /// The checks, each ✓ or ✗, the engine's figure beside the bar or the tolerance.
    public func checkLines() -> [String] {
        guard !results.isEmpty else { return [] }
        var lines = ["grad-cam checks (the lesson's own: the engine's α and maps against computations without backward, and bars)"]
        for result in results {
            let check = result.check
            let mark = result.passed ? "✓" : "✗"
            let head = "  \(mark) model \(check.model) \(check.quantity.rawValue)"
            switch check.quantity {
            case .heldOutAccuracy:
                lines.append(head + "   at least \(TraceFormat.number(check.atLeast!))%   engine \(GradCAMRun.percent(result.engine))")
            case .alpha:
                lines.append(head + "   largest |α by backward − α by central differences| = \(GradCAMRun.number(result.engine, 2))   tolerance \(TraceFormat.number(check.tolerance))")
            case .cam:
                lines.append(head + "   largest |α − w_kc/Z| and |Grad-CAM − CAM/Z| = \(GradCAMRun.number(result.engine, 2))   tolerance \(TraceFormat.number(check.tolerance))")
            }
            if let why = check.why { lines.append("      › " + why) }
        }
        return lines
    }

    /// The machine-readable part of a lesson report.
    public func json() -> JSONValue {
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map(JSONValue.number)) }
        return .object([
            "data": .string(section.data), "image": .number(Double(section.image)), "label": .number(Double(label)), "full": .bool(full),
            "models": .array(models.map { result in
                .object([
                    "file": .string(result.model.file), "parameters": .number(Double(result.parameterCount)),
                    "losses": numbers(result.losses), "held_out_accuracy": .number(result.heldOutAccuracy),
                    "predicted": .number(Double(result.predicted)),
                    "classes": .array(result.explained.map { e in
                        .object(["class": .number(Double(e.cam.classIndex)), "score": .number(e.cam.scores[e.cam.classIndex]),
                                 "alphas": numbers(e.cam.alphas), "finite_difference_alphas": numbers(e.finiteDifferenceAlphas),
                                 "heat_map": numbers(e.cam.heatMap.storage), "ink_share": .number(e.inkShare)])
                    }),
                    "cam": result.cam.map { .object(["positions": .number(Double($0.positions)), "alpha_difference": numbers($0.alphaDifference),
                                                     "map_difference": numbers($0.mapDifference)]) } ?? .null,
                ])
            }),
            "checks": .array(results.map { result in
                .object(["model": .number(Double(result.check.model)), "quantity": .string(result.check.quantity.rawValue),
                         "engine": .number(result.engine), "passed": .bool(result.passed),
                         "at_least": result.check.atLeast.map(JSONValue.number) ?? .null,
                         "tolerance": result.check.quantity == .heldOutAccuracy ? .null : .number(result.check.tolerance)])
            }),
        ])
    }
}

/// Small images as text, two characters a pixel (a terminal cell is about twice as tall as wide).
enum TextPicture {
    struct Panel {
        let title: String
        /// One string per row, each `2 · width` characters.
        let cells: [String]
    }

    static let shades: [Character] = [" ", "░", "▒", "▓", "█"]

    /// The shade of `value` in 0…`maximum`: blank for none, █ for the largest.
    static func shade(_ value: Double, _ maximum: Double) -> Character {
        guard maximum > 0, value > 0 else { return " " }
        return shades[min(shades.count - 1, max(1, Int((value / maximum * Double(shades.count - 1)).rounded())))]
    }

    /// Grey levels as shades, each pixel doubled.
    static func grey(_ values: [Double], height: Int, width: Int) -> [String] {
        let maximum = values.max() ?? 0
        return (0..<height).map { i in String((0..<width).flatMap { j in Array(repeating: shade(values[i * width + j], maximum), count: 2) }) }
    }

    /// The map's value in tenths of its largest (1–9, · below a tenth, blank at 0), then the image's shade.
    static func overlay(_ heat: [Double], on image: [Double], height: Int, width: Int) -> [String] {
        let ink = image.max() ?? 0, hottest = heat.max() ?? 0
        return (0..<height).map { i in
            String((0..<width).flatMap { j -> [Character] in
                let h = heat[i * width + j]
                let level: Character = hottest <= 0 || h <= 0 ? " " : h < hottest / 10 ? "·" : Character(String(min(9, Int(h / hottest * 10))))
                return [level, shade(image[i * width + j], ink)]
            })
        }
    }

    /// Panels side by side under their titles, `indent` spaces before each line.
    static func panels(_ panels: [Panel], indent: Int) -> String {
        let widths = panels.map { max($0.title.count, ($0.cells.first?.count ?? 0) + 2) }
        let gap = "   ", pad = String(repeating: " ", count: indent)
        var lines = [pad + zip(panels, widths).map { $0.title.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: gap)]
        let rows = panels.map(\.cells.count).max() ?? 0
        for row in 0..<rows {
            // Each row between bars, so blank pixels keep their place.
            lines.append(pad + zip(panels, widths).map { panel, width in
                let cells = row < panel.cells.count ? panel.cells[row] : ""
                return ("│" + cells + "│").padding(toLength: width, withPad: " ", startingAt: 0)
            }.joined(separator: gap))
        }
        return lines.map { $0.replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
