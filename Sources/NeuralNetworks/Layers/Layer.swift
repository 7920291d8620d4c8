import Autograd
import Datasets

extension ModelSpec {
    /// One layer of a model. Each kind is its own type (`Linear`, `Conv2d`, `MaxPool2d`, `AvgPool2d`,
    /// `Flatten`, `Reshape`, `Dropout`, `Dropout2d`, `Activation`), and everything the workbench does
    /// with a layer is written once, in that type:
    ///
    /// - its output shape from its input shape, with checked arithmetic (`outputShape(for:)`);
    /// - the weight and bias it owns (`parameters(for:)`);
    /// - its forward pass recorded on the engine's graph (`record(_:in:)`), the one recording used by
    ///   the trainer's Float64 path, feature extraction, Grad-CAM and style transfer;
    /// - the fused Float32 stages it runs as in training (`Float32Layer`, internal: the kernels it names).
    ///
    /// `CompiledModel` walks a model's layers once through these and is what every user of a model holds.
    /// Shapes are one example's, channels first, without the batch axis.
    public protocol Layer: Sendable {
        /// The layer's type as a summary shows it: `Linear`, `Conv2d`, `relu`, …
        var typeName: String { get }
        /// The shape of one example's output, given its input's.
        /// - Throws: `LayerError` saying what does not fit (the caller adds the layer's number and type).
        func outputShape(for input: [Int]) throws(LayerError) -> [Int]
        /// The weight and bias the layer owns for this input shape, or nil for a layer without parameters.
        /// Called only on an input `outputShape(for:)` accepted.
        func parameters(for input: [Int]) -> ParameterShapes?
        /// Records the layer's forward pass on `recording.graph`, from `x` (batch axis first).
        func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID
        /// Whether `other` is the same kind of layer with the same settings.
        func isEqual(to other: any Layer) -> Bool
    }

    /// Why a layer cannot take its input's shape (without the layer's number and type).
    public struct LayerError: Error, Sendable, Equatable {
        public let message: String
        public init(_ message: String) { self.message = message }
    }

    /// A layer's weight and bias shapes, and the fan-in of PyTorch's default initialization
    /// (uniform in ±1/√fan-in, for both).
    public struct ParameterShapes: Sendable, Equatable {
        public let weight: [Int], bias: [Int], fanIn: Int
        public init(weight: [Int], bias: [Int], fanIn: Int) { self.weight = weight; self.bias = bias; self.fanIn = fanIn }
    }
}

extension ModelSpec.Layer where Self: Equatable {
    public func isEqual(to other: any ModelSpec.Layer) -> Bool { (other as? Self) == self }
}

extension ModelSpec.Layer {
    /// `input` must be channels × height × width.
    func requireMaps(_ input: [Int]) throws(ModelSpec.LayerError) {
        guard input.count == 3 else { throw ModelSpec.LayerError("needs channels × height × width, got shape \(input)") }
    }

    /// The entries of `shape`, checked.
    func entries(_ shape: [Int]) throws(ModelSpec.LayerError) -> Int {
        guard let value = ModelSpec.entries(of: shape) else { throw ModelSpec.LayerError("has sizes \(shape) whose product an integer cannot hold") }
        return value
    }
}

/// What a layer records into: the graph, the batch, whether it is training, and where its
/// parameters come from (the trainer's parameter leaves, or constants for feature extraction).
public struct LayerRecording {
    public let graph: Graph
    /// Examples in the batch (the first axis of every node).
    public let batch: Int
    /// Training (dropout on) or inference.
    public let training: Bool
    /// The recording layer's output shape for one example, from the compiled model.
    public internal(set) var outputShape: [Int] = []
    /// The recording layer's input shape for one example.
    public internal(set) var inputShape: [Int] = []
    /// Draws for dropout masks.
    public var random: SeededGenerator
    /// The weight and bias nodes of parametric layer `index` (0-based, in model order).
    let makeParameters: (Int) throws -> (weight: NodeID, bias: NodeID)
    private var parameterCount = 0

    public init(graph: Graph, batch: Int, training: Bool, random: SeededGenerator,
                parameters: @escaping (Int) throws -> (weight: NodeID, bias: NodeID)) {
        self.graph = graph; self.batch = batch; self.training = training; self.random = random; self.makeParameters = parameters
    }

    /// The next parametric layer's weight and bias nodes.
    public mutating func nextParameters() throws -> (weight: NodeID, bias: NodeID) {
        defer { parameterCount += 1 }
        return try makeParameters(parameterCount)
    }
}
