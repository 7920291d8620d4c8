import Autograd

extension ModelSpec {
    /// Dropout, PyTorch's `nn.Dropout`: in training each entry is zeroed with probability `p` and the
    /// rest scaled by 1/(1 − p); in evaluation it is the identity.
    public struct Dropout: Layer, Equatable {
        public let p: Double
        public init(_ p: Double) { self.p = p }
        public var typeName: String { "Dropout" }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] { input }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            guard recording.training, p > 0 else { return x }
            let shape = recording.graph.shape(of: x)
            let keep = 1 / (1 - p)
            // A local copy of the generator: drawing through a stored property paid an exclusivity
            // check per entry (10% of an MNIST step).
            var generator = recording.random
            let mask = (0..<shape.reduce(1, *)).map { _ in Double.random(in: 0..<1, using: &generator) < p ? 0 : keep }
            recording.random = generator
            return try recording.graph.apply(.multiply, x, recording.graph.constant(Tensor(shape: shape, storage: mask)))
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Dropout {
    /// Dropout with this probability.
    public static func dropout(_ p: Double) -> Self { ModelSpec.Dropout(p) }
}

extension ModelSpec.Dropout: Float32Layer {
    /// A mask of 0 and 1/(1 − p) drawn per entry (`Float32Network.Stage.dropout`); nothing when p is 0.
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        if p > 0 { plan.append(.dropout(Float(p))) }
    }
}
