import Foundation
import NeuralNetworks
import TOMLKit
import Support

/// A model written as a TOML file: its name, the shape of one input, and its layers in order.
///
/// ```toml
/// name = "my-mlp"
/// input = [1, 28, 28]
/// [[layer]]
/// type = "flatten"
/// [[layer]]
/// type = "linear"
/// outputs = 50
/// ```
///
/// Every mistake is one line `FILE:LINE:COLUMN: error: …` pointing at the key, the value or the
/// `[[layer]]` it concerns, with a "did you mean" for a misspelt key or layer type. The format is in
/// docs/models.md.
public struct ModelFile: Sendable {
    /// The model it describes, checked: its shapes fit and its sizes are within `Limits`.
    public let spec: ModelSpec
    /// The model compiled: its shapes and parameters.
    public let model: CompiledModel
    /// The path it was read from, for messages.
    public let file: String
    /// Where each `[[layer]]` starts (1-based line and column), for messages about a layer.
    let layerPositions: [TOMLPosition]

    /// Reads and checks a model file.
    /// - Throws: `WorkbenchFailure.badInput` with `file:line:column` and what is wrong.
    public init(file: String) throws(WorkbenchFailure) {
        try self.init(text: try InputFile.text(file, limit: 1_000_000), file: file)
    }

    /// Reads and checks model-file text (`file` names it in messages and gives the default name).
    public init(text: String, file: String) throws(WorkbenchFailure) {
        let table = try TOMLGuard.table(text, file: file)
        let locator = TOMLLocator(text: text)
        func fail(_ position: TOMLPosition, _ message: String) -> WorkbenchFailure {
            .badInput("\(message)", at: SourceLocation(file: file, line: position.line, column: position.column))
        }
        let top = TOMLPosition(line: 1, column: 1)

        for key in table.keys.sorted() where !ModelFile.topKeys.contains(key) {
            throw fail(locator.key(key, in: nil) ?? top, "unknown key '\(key)'" + ModelFile.suggestion(for: key, among: ModelFile.topKeys))
        }
        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let value = table["name"] {
            let position = locator.value("name", in: nil) ?? top
            guard let text = value.string else { throw fail(position, "'name' must be a string, got \(ModelFile.describe(value.tomlValue.type))") }
            guard (1...80).contains(text.count), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw fail(position, "'name' must be 1 to 80 characters on one line")
            }
            name = text
        }
        guard let inputValue = table["input"] else {
            throw fail(top, "missing key 'input': the shape of one example, e.g. input = [1, 28, 28] or input = [4]")
        }
        let inputPosition = locator.value("input", in: nil) ?? top
        let input: [Int]
        do { input = try ModelFile.shape(FieldValue(inputValue), key: "input") } catch { throw fail(inputPosition, error.message) }

        guard let layerValue = table["layer"] else { throw fail(top, "a model needs at least one [[layer]]") }
        guard let layerArray = layerValue.array else {
            throw fail(locator.key("layer", in: nil) ?? top, "'layer' must be a list of tables: write each layer as [[layer]]")
        }
        guard layerArray.count <= ModelFile.Limits.layers else {
            throw fail(locator.key("layer", in: nil) ?? top, "more than \(ModelFile.Limits.layers) layers")
        }
        // Where each layer starts: its [[layer]] header, or the `layer = [...]` key for inline tables.
        let fallback = locator.key("layer", in: nil) ?? top
        let positions = (0..<layerArray.count).map { index in
            locator.layerHeaders.count == layerArray.count ? locator.layerHeaders[index] : fallback
        }
        var layers: [any ModelSpec.Layer] = []
        for (index, item) in layerArray.enumerated() {
            let section = locator.layerHeaders.count == layerArray.count ? index : -1
            guard let entry = item.table else { throw fail(positions[index], "layer \(index + 1) must be a table") }
            var fields: [String: FieldValue] = [:]
            for key in entry.keys { fields[key] = entry[key].map(FieldValue.init) }
            do { layers.append(try ModelFile.layer(fields)) } catch {
                let position = error.key.flatMap { key in
                    error.onValue ? locator.value(key, in: section) : locator.key(key, in: section)
                } ?? positions[index]
                throw fail(position, "layer \(index + 1): \(error.message)")
            }
        }
        let spec = ModelSpec(name: name, inputShape: input, layers: layers)
        do { model = try ModelFile.check(spec) } catch {
            throw fail(error.layer.map { positions[$0 - 1] } ?? inputPosition, error.description)
        }
        self.spec = spec
        self.file = file
        self.layerPositions = positions
    }

    /// A failure about this model, placed at the `[[layer]]` that a leading "layer N: " names.
    ///
    /// For what the trainer refuses after the file was read, e.g. `layer 3: softmax cannot be trained yet`.
    public func failure(_ message: String) -> WorkbenchFailure {
        let scanner = Scanner(string: message)
        scanner.charactersToBeSkipped = nil
        if scanner.scanString("layer ") != nil, let number = scanner.scanInt(), scanner.scanString(":") != nil,
           (1...layerPositions.count).contains(number) {
            let position = layerPositions[number - 1]
            return .badInput("\(message)", at: SourceLocation(file: file, line: position.line, column: position.column))
        }
        return .badInput("\(message)", at: SourceLocation(file: file))
    }

    /// The model a `backprop train` or `summary` argument names: a preset, or a file ending in `.toml`.
    /// - Returns: the model, compiled, and, for a file, the file (to place later errors in it).
    /// - Throws: `WorkbenchFailure.badInput` for an unknown preset or a bad file.
    public static func model(_ argument: String) throws(WorkbenchFailure) -> (spec: ModelSpec, model: CompiledModel, file: ModelFile?) {
        if argument.hasSuffix(".toml") {
            let file = try ModelFile(file: argument)
            return (file.spec, file.model, file)
        }
        guard let spec = ModelSpec.preset(named: argument) else {
            let names = ModelSpec.presets.map(\.name)
            let close = names.min { editDistance(argument, $0) < editDistance(argument, $1) }.flatMap { editDistance(argument, $0) <= 2 ? $0 : nil }
            throw .badInput("unknown model '\(argument)'" + (close.map { "; did you mean '\($0)'?" } ?? "")
                            + "; the models are " + names.joined(separator: ", ") + ", or a model file ending in .toml")
        }
        do { return (spec, try check(spec), nil) } catch { throw .badInput("\(argument): \(error)") }
    }
}

// MARK: - The format: keys, layer types and limits

extension ModelFile {
    /// Size limits, so that no file asks for a layer too big to allocate (a typo like 50000000).
    public enum Limits {
        /// Layers in one model.
        public static let layers = 1_000
        /// Elements of one example at any point: the input and every layer's output.
        public static let elements = 4_000_000
        /// Parameters of one layer and of the whole model (each is a Double, trained with two more
        /// of the same size by momentum or Adam).
        public static let parameters = 20_000_000
        /// A convolution's or a pooling's kernel, stride and padding.
        public static let window = 64
        /// A convolution's filters.
        public static let filters = 4_096
        /// A linear layer's outputs.
        public static let outputs = 1_000_000
    }

    static let topKeys = ["name", "input", "layer"]
    /// "; did you mean 'x'?" when one of `candidates` is within two edits, else the list of them.
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let close = candidates.min { editDistance(word, $0) < editDistance(word, $1) }.flatMap { editDistance(word, $0) <= 2 ? $0 : nil }
        return close.map { "; did you mean '\($0)'?" } ?? "; known: " + candidates.joined(separator: ", ")
    }

    /// "an integer", "a string", … for messages about a value's type.
    static func describe(_ type: TOMLType) -> String {
        switch type {
        case .int: "an integer"
        case .double: "a decimal number"
        case .string: "a string"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "a date or time"
        }
    }
}

// MARK: - Checking a whole model

extension ModelFile {
    /// Why a whole model is refused: at a layer (1-based) or, with `layer` nil, at its input.
    struct ModelProblem: Error, CustomStringConvertible {
        let layer: Int?
        let message: String
        var description: String { layer.map { "layer \($0): " + message } ?? message }
    }

    /// Checks that the layers fit together and stay within `Limits`, one layer at a time, so that no
    /// shape is computed from one that is already too big (no overflow on any file).
    static func check(_ spec: ModelSpec) throws(ModelProblem) -> CompiledModel {
        guard !spec.layers.isEmpty else { throw ModelProblem(layer: nil, message: "a model needs at least one layer") }
        // Checked: [4000000, 4000000, 4000000] has each size within the limit and a product no Int holds.
        guard let inputElements = ModelSpec.entries(of: spec.inputShape), inputElements <= Limits.elements else {
            let shown = ModelSpec.entries(of: spec.inputShape).map { "has \($0) elements" } ?? "\(spec.inputShape) has more elements than an integer can count"
            throw ModelProblem(layer: nil, message: "the input \(shown); the limit is \(Limits.elements)")
        }
        var total = 0
        do {
            return try CompiledModel(spec) { row in
                let elements = ModelSpec.entries(of: row.outputShape) ?? Int.max
                guard elements <= Limits.elements else {
                    return "\(row.layer.typeName) outputs \(row.outputShape) = \(elements) elements per example; the limit is \(Limits.elements)"
                }
                let (sum, overflow) = total.addingReportingOverflow(row.parameters)
                guard !overflow, sum <= Limits.parameters else {
                    let shown = overflow ? "more than an integer can count" : "\(sum)"
                    return "\(row.layer.typeName) brings the model to \(shown) parameters; the limit is \(Limits.parameters)"
                }
                total = sum
                return nil
            }
        } catch {
            throw ModelProblem(layer: error.layer == 0 ? nil : error.layer, message: error.message)
        }
    }
}
