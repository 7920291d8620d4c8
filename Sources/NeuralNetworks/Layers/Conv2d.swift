import Autograd

extension ModelSpec {
    /// A 2-D convolution, PyTorch's `nn.Conv2d`: `filters` maps from square `kernel`s moved by `stride`
    /// over the input with `padding` zeros on each side; W of shape [filters, channels, K, K], b [filters, 1, 1].
    public struct Conv2d: Layer, Equatable {
        public let filters: Int, kernel: Int, stride: Int, padding: Int
        public init(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
            (self.filters, self.kernel, self.stride, self.padding) = (filters, kernel, stride, padding)
        }

        public var typeName: String { "Conv2d" }

        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] {
            try requireMaps(input)
            guard filters > 0, kernel > 0, stride > 0, padding >= 0 else { throw LayerError("needs positive filters, kernel and stride, and padding of 0 or more") }
            guard let height = ModelSpec.checkedOutputSize(input[1], kernel, stride, padding),
                  let width = ModelSpec.checkedOutputSize(input[2], kernel, stride, padding) else {
                throw LayerError("has a padding or kernel too large to compute")
            }
            guard height > 0, width > 0 else { throw LayerError("with a \(kernel)×\(kernel) kernel does not fit a \(input[1])×\(input[2]) input") }
            return [filters, height, width]
        }

        public func parameters(for input: [Int]) -> ParameterShapes? {
            ParameterShapes(weight: [filters, input[0], kernel, kernel], bias: [filters, 1, 1], fanIn: input[0] * kernel * kernel)
        }

        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            let (w, b) = try recording.nextParameters()
            let graph = recording.graph
            return try graph.apply(.add, try graph.apply(.conv2d, x, w, attribute: .window(size: kernel, stride: stride, padding: padding)), b)
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Conv2d {
    /// A convolution: `filters` maps, a square `kernel`, `stride`, zero `padding` on each side.
    public static func conv2d(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) -> Self {
        ModelSpec.Conv2d(filters: filters, kernel: kernel, stride: stride, padding: padding)
    }
}

extension ModelSpec.Conv2d: Float32Layer {
    /// im2col and `sgemm` (or oneDNN) over channel-major planes (`Float32Network.Stage.conv`).
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        let window = try plan.mapsWindow(size: kernel, stride: stride, padding: padding)
        plan.append(.conv(parameter: plan.nextParameter(), filters: filters, window: window))
    }
}
