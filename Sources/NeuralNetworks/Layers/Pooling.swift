import Autograd

extension ModelSpec {
    /// Max pooling over square windows, PyTorch's `nn.MaxPool2d` (`stride` defaults to the window;
    /// a tie sends the gradient to the window's first largest entry, as PyTorch does).
    public struct MaxPool2d: Layer, Equatable {
        public let size: Int, stride: Int?
        public init(size: Int, stride: Int? = nil) { (self.size, self.stride) = (size, stride) }
        public var typeName: String { "MaxPool2d" }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] { try ModelSpec.poolShape(input, size, stride) }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            try recording.graph.apply(.maxPool2d, x, attribute: .window(size: size, stride: stride ?? size, padding: 0))
        }
    }

    /// Average pooling over square windows, PyTorch's `nn.AvgPool2d` (`stride` defaults to the window).
    public struct AvgPool2d: Layer, Equatable {
        public let size: Int, stride: Int?
        public init(size: Int, stride: Int? = nil) { (self.size, self.stride) = (size, stride) }
        public var typeName: String { "AvgPool2d" }
        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] { try ModelSpec.poolShape(input, size, stride) }
        public func parameters(for input: [Int]) -> ParameterShapes? { nil }
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            try recording.graph.apply(.avgPool2d, x, attribute: .window(size: size, stride: stride ?? size, padding: 0))
        }
    }

    /// A pooling's output: the same channels, each plane pooled.
    static func poolShape(_ input: [Int], _ size: Int, _ stride: Int?) throws(LayerError) -> [Int] {
        guard input.count == 3 else { throw LayerError("needs channels × height × width, got shape \(input)") }
        let step = stride ?? size
        guard size > 0, step > 0 else { throw LayerError("needs a positive window and stride") }
        let (height, width) = (outputSize(input[1], size, step, 0), outputSize(input[2], size, step, 0))
        guard height > 0, width > 0 else { throw LayerError("window \(size) does not fit a \(input[1])×\(input[2]) input") }
        return [input[0], height, width]
    }
}

extension ModelSpec.Layer where Self == ModelSpec.MaxPool2d {
    /// Max pooling over `size`×`size` windows.
    public static func maxPool2d(size: Int, stride: Int? = nil) -> Self { ModelSpec.MaxPool2d(size: size, stride: stride) }
}

extension ModelSpec.Layer where Self == ModelSpec.AvgPool2d {
    /// Average pooling over `size`×`size` windows.
    public static func avgPool2d(size: Int, stride: Int? = nil) -> Self { ModelSpec.AvgPool2d(size: size, stride: stride) }
}

extension ModelSpec.MaxPool2d: Float32Layer {
    /// `Kernels.maxPool` keeping each window's argmax for backward (`Float32Network.Stage.maxPool`).
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        plan.append(.maxPool(try plan.mapsWindow(size: size, stride: stride ?? size, padding: 0)))
    }
}

extension ModelSpec.AvgPool2d: Float32Layer {
    /// `Kernels.avgPool` (`Float32Network.Stage.avgPool`).
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        plan.append(.avgPool(try plan.mapsWindow(size: size, stride: stride ?? size, padding: 0)))
    }
}
