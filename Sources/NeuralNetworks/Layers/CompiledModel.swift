import Autograd
import Datasets

/// A model compiled once from its description (`ModelSpec`): every layer's input and output shape
/// and its parameters, computed with checked arithmetic in this one place. The summary, the trainer
/// (both paths), feature extraction, Grad-CAM, style transfer, the lessons' narration and exercises
/// and saved models all read a model through this value.
///
/// ```swift
/// let model = try CompiledModel(.preset(named: "digits-cnn")!)
/// model.rows[0].outputShape          // [16, 8, 8]
/// model.parameterShapes[0].weight    // [16, 1, 3, 3]
/// ```
public struct CompiledModel: Sendable {
    /// One layer with its shapes: a line of the summary.
    public struct Row: Sendable, Equatable {
        public let layer: any ModelSpec.Layer
        /// One example's shape into and out of the layer.
        public let inputShape: [Int], outputShape: [Int]
        /// The layer's weight and bias count (0 without parameters).
        public let parameters: Int
        /// The layer's weight and bias shapes, if it has parameters.
        public let parameterShapes: ModelSpec.ParameterShapes?

        public static func == (a: Row, b: Row) -> Bool {
            a.layer.isEqual(to: b.layer) && a.inputShape == b.inputShape && a.outputShape == b.outputShape
                && a.parameters == b.parameters && a.parameterShapes == b.parameterShapes
        }
    }

    public let spec: ModelSpec
    public let rows: [Row]
    /// The weight and bias shapes of every parametric layer, in order (the layout of `Trainer.weights`).
    public let parameterShapes: [ModelSpec.ParameterShapes]
    /// The entries of the input and of every layer's output for one example.
    public let entriesPerExample: Int

    public var name: String { spec.name }
    public var inputShape: [Int] { spec.inputShape }
    public var layers: [any ModelSpec.Layer] { spec.layers }
    /// The last layer's output shape (the input's for a model without layers).
    public var outputShape: [Int] { rows.last?.outputShape ?? spec.inputShape }
    /// The number of trainable parameters.
    public var parameterCount: Int { rows.map(\.parameters).reduce(0, +) }

    /// Compiles `spec`, layer by layer.
    ///
    /// Every product and sum is checked: a shape or a parameter count that an `Int` cannot hold is
    /// refused as a `ShapeError` (layer 0 means the input), never computed. `admitting` may refuse a
    /// row (a limit of the caller's, e.g. a model file's sizes) before the next layer is compiled.
    /// - Throws: `ShapeError` at the first layer that cannot take its input's shape or that `admitting` refuses.
    public init(_ spec: ModelSpec, admitting: (Row) -> String? = { _ in nil }) throws(ModelSpec.ShapeError) {
        var shape = spec.inputShape
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), let inputEntries = ModelSpec.entries(of: shape) else {
            throw ModelSpec.ShapeError(layer: 0, message: "the input shape \(shape) must be positive sizes whose product an integer can count")
        }
        var rows: [Row] = [], parameterShapes: [ModelSpec.ParameterShapes] = []
        var total = inputEntries
        for (index, layer) in spec.layers.enumerated() {
            func fail(_ message: String) -> ModelSpec.ShapeError { ModelSpec.ShapeError(layer: index + 1, message: "\(layer.typeName) " + message) }
            func product(_ sizes: [Int]) throws(ModelSpec.ShapeError) -> Int {
                guard let value = ModelSpec.entries(of: sizes) else { throw fail("has sizes \(sizes) whose product an integer cannot hold") }
                return value
            }
            let output: [Int]
            do { output = try layer.outputShape(for: shape) } catch { throw fail(error.message) }
            var count = 0
            let parameters = layer.parameters(for: shape)
            if let parameters {
                let (sum, overflow) = try product(parameters.weight).addingReportingOverflow(try product(parameters.bias))
                guard !overflow else { throw fail("has more parameters than an integer can count") }
                count = sum
                parameterShapes.append(parameters)
            }
            let entries = try product(output)
            let row = Row(layer: layer, inputShape: shape, outputShape: output, parameters: count, parameterShapes: parameters)
            if let refusal = admitting(row) { throw ModelSpec.ShapeError(layer: index + 1, message: refusal) }
            let (sum, overflow) = total.addingReportingOverflow(entries)
            guard !overflow else { throw fail("brings the model to more values per example than an integer can count") }
            total = sum
            rows.append(row)
            shape = output
        }
        self.spec = spec
        self.rows = rows
        self.parameterShapes = parameterShapes
        self.entriesPerExample = total
    }

    /// Records the forward pass of a batch `x` (batch axis first) on `graph`, layer by layer, and
    /// returns every layer's output. The trainer's Float64 path and feature extraction both record
    /// through here; they differ only in where the parameters come from and whether it is training.
    /// - Parameters:
    ///   - random: the draws of dropout's masks (advanced when training).
    ///   - parameters: the weight and bias nodes of parametric layer i (0-based).
    public func record(_ x: NodeID, on graph: Graph, batch: Int, training: Bool, random: inout SeededGenerator,
                       parameters: @escaping (Int) throws -> (weight: NodeID, bias: NodeID)) throws -> [NodeID] {
        var recording = LayerRecording(graph: graph, batch: batch, training: training, random: random, parameters: parameters)
        defer { random = recording.random }
        var h = x, outputs: [NodeID] = []
        for row in rows {
            recording.inputShape = row.inputShape
            recording.outputShape = row.outputShape
            h = try row.layer.record(h, in: &recording)
            outputs.append(h)
        }
        return outputs
    }

    /// The stages of the Float32 path, each layer's own (`Float32Layer`).
    func float32Plan() throws(Trainer.Unsupported) -> Float32Plan {
        var plan = Float32Plan()
        for (index, row) in rows.enumerated() {
            plan.input = row.inputShape
            plan.output = row.outputShape
            plan.layer = index + 1
            plan.isLast = index == rows.count - 1
            plan.typeName = row.layer.typeName
            guard let layer = row.layer as? any Float32Layer else {
                throw plan.unsupported("\(row.layer.typeName) has no Float32 stage; train it with --precision float64")
            }
            try layer.appendStages(to: &plan)
        }
        return plan
    }
}
