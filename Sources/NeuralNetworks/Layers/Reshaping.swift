import Autograd

extension ModelSpec {
    /// Everything of one example into one vector, PyTorch's `nn.Flatten`.
    public struct Flatten: Layer, Equatable {
        public init() {}
        public var typeName: String { "Flatten" }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] { [try entries(input)] }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            try recording.graph.apply(.reshape, x, attribute: .shape([recording.batch] + recording.outputShape))
        }
    }

    /// A reshape of one example to `shape` (the element count must agree), PyTorch's `nn.Unflatten`
    /// on the example's axes.
    public struct Reshape: Layer, Equatable {
        public let shape: [Int]
        public init(_ shape: [Int]) { self.shape = shape }
        public var typeName: String { "Reshape" }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] {
            guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), let wanted = ModelSpec.entries(of: shape) else {
                throw LayerError("to \(shape) needs positive sizes whose product an integer can count")
            }
            let have = try entries(input)
            guard wanted == have else { throw LayerError("to \(shape) needs \(wanted) elements, got \(have)") }
            return shape
        }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            try recording.graph.apply(.reshape, x, attribute: .shape([recording.batch] + recording.outputShape))
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Flatten {
    /// Everything into one vector.
    public static var flatten: Self { ModelSpec.Flatten() }
}

extension ModelSpec.Layer where Self == ModelSpec.Reshape {
    /// A reshape to the given shape.
    public static func reshape(_ shape: [Int]) -> Self { ModelSpec.Reshape(shape) }
}

extension ModelSpec.Flatten: Float32Layer {
    /// Channel-major planes back to the engine's rows (`Float32Network.Stage.flatten`); nothing when already rows.
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) { plan.rows() }
}

extension ModelSpec.Reshape: Float32Layer {
    /// Rows hold any shape of one example contiguously: only channel-major planes need turning back.
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) { plan.rows() }
}
