import Autograd

extension ModelSpec {
    /// An elementwise activation written as a layer: the ones the workbench trains, each recorded
    /// as the engine's op of the same name (PyTorch's `nn.ReLU`, `nn.Tanh`, `nn.Sigmoid`, `nn.LogSoftmax(dim=1)`).
    /// A model file naming any other (softmax, leaky_relu) is refused where it names it.
    public enum Activation: String, Layer, CaseIterable {
        case relu, tanh, sigmoid
        /// Over the class axis; only as the last layer on the Float32 path.
        case logSoftmax = "log_softmax"

        /// Its name, as a model file writes it and a summary shows it.
        public var typeName: String { rawValue }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] { input }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            switch self {
            case .relu: try recording.graph.apply(.relu, x)
            case .tanh: try recording.graph.apply(.tanh, x)
            case .sigmoid: try recording.graph.apply(.sigmoid, x)
            case .logSoftmax: try recording.graph.apply(.logSoftmax, x)
            }
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Activation {
    /// An activation layer.
    public static func activation(_ activation: ModelSpec.Activation) -> Self { activation }
}

extension ModelSpec.Activation: Float32Layer {
    /// `Kernels.activate` (relu, sigmoid, tanh) or `Kernels.logSoftmax`, with their backward kernels.
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        switch self {
        case .relu: plan.append(.relu)
        case .sigmoid: plan.append(.sigmoid)
        case .tanh: plan.append(.tanh)
        case .logSoftmax:
            guard plan.isLast else { throw plan.unsupported("log_softmax is only supported as the last layer") }
            plan.append(.logSoftmax)
        }
    }
}
