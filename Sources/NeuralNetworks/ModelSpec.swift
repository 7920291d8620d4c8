import Autograd

/// A model's architecture: its input shape and its layers, from which the output shape and the
/// parameter count of every layer follow (what `backprop summary` prints).
///
/// Shapes are channels-first, as in PyTorch: an MNIST image is `[1, 28, 28]`, a layer's output
/// `[8, 28, 28]` for 8 feature maps (Keras prints the same as `(None, 28, 28, 8)`).
public struct ModelSpec: Sendable, Equatable {
    // One layer is a `Layer` (Layers/Layer.swift), one type per kind: `.linear(outputs:)`,
    // `.conv2d(filters:kernel:stride:padding:)`, `.maxPool2d(size:)`, `.activation(.relu)`, …

    /// A line of the summary: a layer with its shapes and parameter count.
    public typealias Row = CompiledModel.Row

    /// Why a model does not fit together.
    public struct ShapeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The 1-based layer number; 0 for the input shape.
        public let layer: Int
        public let message: String
        public var description: String { layer == 0 ? message : "layer \(layer): \(message)" }
    }

    public let name: String
    public let inputShape: [Int]
    public let layers: [any Layer]

    public init(name: String, inputShape: [Int], layers: [any Layer]) {
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
    }

    public static func == (a: ModelSpec, b: ModelSpec) -> Bool {
        a.name == b.name && a.inputShape == b.inputShape && a.layers.count == b.layers.count
            && zip(a.layers, b.layers).allSatisfy { $0.isEqual(to: $1) }
    }

    /// The entries of `shape` (its sizes multiplied, with checked arithmetic: the engine's
    /// `GraphLimits.entries(of:)`), or nil when a size is negative or the product overflows.
    /// Every size derived from a model goes through this or `CompiledModel`, so no model can wrap around.
    public static func entries(of shape: [Int]) -> Int? { GraphLimits.entries(of: shape) }

    /// Every layer's output shape and parameter count, in order (`CompiledModel(self).rows`).
    /// - Throws: `ShapeError` at the first layer that cannot take its input's shape.
    public func summary() throws(ShapeError) -> [Row] { try CompiledModel(self).rows }

    /// The notes' output size: floor((W + 2P − K) / S) + 1.
    public static func outputSize(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int {
        (input + 2 * padding - kernel) / stride + 1
    }

    /// `outputSize` with checked arithmetic, or nil when it overflows.
    public static func checkedOutputSize(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int? {
        let (twice, o1) = padding.multipliedReportingOverflow(by: 2)
        let (padded, o2) = input.addingReportingOverflow(twice)
        let (span, o3) = padded.subtractingReportingOverflow(kernel)
        guard !o1, !o2, !o3, stride > 0 else { return nil }
        return span / stride + 1
    }

    /// The models of the notes, by name.
    public static let presets: [ModelSpec] = [
        // 000: the MNIST MLP, 784-50-50-10 with dropout 0.2 and log_softmax.
        ModelSpec(name: "mlp-mnist", inputShape: [1, 28, 28], layers: [
            .flatten, .linear(outputs: 50), .activation(.relu), .dropout(0.2),
            .linear(outputs: 50), .activation(.relu), .dropout(0.2),
            .linear(outputs: 10), .activation(.logSoftmax),
        ]),
        // 000: the MNIST CNN, 16 and 32 filters of 5×5 with padding 2, max-pool 2, linear 32·7·7 → 10.
        ModelSpec(name: "cnn-mnist", inputShape: [1, 28, 28], layers: [
            .conv2d(filters: 16, kernel: 5, stride: 1, padding: 2), .activation(.relu), .maxPool2d(size: 2),
            .conv2d(filters: 32, kernel: 5, stride: 1, padding: 2), .activation(.relu), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 10),
        ]),
        // 003: LeNet-5 as the notes' text describes it (padding 2 on the first convolution, so that
        // 16·5·5 reaches fc1; the notes' code omits the padding, which would leave 16·4·4).
        ModelSpec(name: "lenet5", inputShape: [1, 28, 28], layers: [
            .conv2d(filters: 6, kernel: 5, stride: 1, padding: 2), .activation(.sigmoid), .avgPool2d(size: 2),
            .conv2d(filters: 16, kernel: 5), .activation(.sigmoid), .avgPool2d(size: 2),
            .flatten, .linear(outputs: 120), .activation(.sigmoid), .linear(outputs: 84), .activation(.sigmoid),
            .linear(outputs: 10),
        ]),
        // 003: the Iris MLP, 4 inputs, 12 hidden, 3 classes.
        ModelSpec(name: "iris-mlp", inputShape: [4], layers: [.linear(outputs: 12), .activation(.relu), .linear(outputs: 3)]),
        // The workbench's own MLP for scikit-learn's 8×8 digits (the notes train the digits only with a CNN).
        ModelSpec(name: "digits-mlp", inputShape: [1, 8, 8], layers: [
            .flatten, .linear(outputs: 64), .activation(.relu), .linear(outputs: 10),
        ]),
        // The workbench's own small CNN for the 8×8 digits: 16 filters of 3×3, max-pool, linear.
        ModelSpec(name: "digits-cnn", inputShape: [1, 8, 8], layers: [
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: 1), .activation(.relu), .maxPool2d(size: 2),
            .flatten, .linear(outputs: 10),
        ]),
        // 003: 784-256-10.
        ModelSpec(name: "mlp-256", inputShape: [1, 28, 28], layers: [
            .flatten, .linear(outputs: 256), .activation(.relu), .linear(outputs: 10),
        ]),
        // 002: the Keras digit recognizer's CNN, as its summary prints it (Keras' "same" padding).
        ModelSpec(name: "keras-cnn", inputShape: [1, 28, 28], layers: [
            .conv2d(filters: 8, kernel: 5, stride: 1, padding: 2), .maxPool2d(size: 2), .dropout(0.25),
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: 1), .maxPool2d(size: 2), .dropout(0.25),
            .flatten, .linear(outputs: 256), .dropout(0.5), .linear(outputs: 100), .reshape([1, 10, 10]),
        ]),
    ]

    /// The preset called `name`.
    public static func preset(named name: String) -> ModelSpec? { presets.first { $0.name == name } }
}

extension ModelSpec {
    /// The Keras-like table: layer, output shape, parameters, then the total.
    public func renderSummary() throws(ShapeError) -> String { try CompiledModel(self).renderSummary() }
}

extension CompiledModel {
    /// The Keras-like table: layer, output shape, parameters, then the total.
    public func renderSummary() -> String {
        func grouped(_ n: Int) -> String {
            let digits = String(n)
            var result = ""
            for (index, character) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
                result.append(character)
            }
            return result
        }
        var table: [(String, String, String)] = [("Layer (type)", "Output shape", "Param #"), ("input", "[" + inputShape.map(String.init).joined(separator: ", ") + "]", "0")]
        for (index, row) in rows.enumerated() {
            table.append(("\(index + 1) \(row.layer.typeName)", "[" + row.outputShape.map(String.init).joined(separator: ", ") + "]", grouped(row.parameters)))
        }
        let widths = (table.map { $0.0.count }.max()!, table.map { $0.1.count }.max()!, table.map { $0.2.count }.max()!)
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let space = String(repeating: " ", count: max(0, width - text.count))
            return right ? space + text : text + space
        }
        let rule = String(repeating: "─", count: widths.0 + widths.1 + widths.2 + 6)
        var lines = ["Model: \(name)", rule]
        for (index, row) in table.enumerated() {
            lines.append(pad(row.0, widths.0) + "   " + pad(row.1, widths.1) + "   " + pad(row.2, widths.2, right: true))
            if index == 0 { lines.append(rule) }
        }
        lines.append(rule)
        lines.append("Total parameters: \(grouped(rows.map(\.parameters).reduce(0, +)))")
        return lines.joined(separator: "\n")
    }
}
