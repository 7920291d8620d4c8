import Autograd

extension ModelSpec {
    /// A fully connected layer, PyTorch's `nn.Linear`: y = x W + b, W of shape [inputs, outputs]
    /// (its inputs come from the previous shape, which must be a vector).
    public struct Linear: Layer, Equatable {
        public let outputs: Int
        public init(outputs: Int) { self.outputs = outputs }

        public var typeName: String { "Linear" }

        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] {
            guard input.count == 1 else { throw LayerError("needs a vector, got shape \(input) (add a flatten first)") }
            guard outputs > 0 else { throw LayerError("needs at least one output") }
            return [outputs]
        }

        public func parameters(for input: [Int]) -> ParameterShapes? {
            ParameterShapes(weight: [input[0], outputs], bias: [outputs], fanIn: input[0])
        }

        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            let (w, b) = try recording.nextParameters()
            return try recording.graph.apply(.add, try recording.graph.apply(.matmul, x, w), b)
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Linear {
    /// A linear layer with this many outputs.
    public static func linear(outputs: Int) -> Self { ModelSpec.Linear(outputs: outputs) }
}

extension ModelSpec.Linear: Float32Layer {
    /// One `sgemm` of the batch's rows with W, the bias added first (`Float32Network.Stage.linear`).
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        guard plan.input.count == 1 else { throw plan.unsupported("linear needs a vector input; add a flatten") }
        plan.append(.linear(parameter: plan.nextParameter(), inputs: plan.input[0], outputs: outputs))
    }
}
