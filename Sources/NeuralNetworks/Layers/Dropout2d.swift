import Autograd
import Datasets

extension ModelSpec {
    /// Channel dropout, PyTorch's `nn.Dropout2d`: in training each feature map of each example is
    /// zeroed with probability `p`, all of its entries at once, and the other maps are scaled by
    /// 1/(1 − p); in evaluation it is the identity. Its input is channels × height × width.
    public struct Dropout2d: Layer, Equatable {
        public let p: Double
        public init(_ p: Double) { self.p = p }

        public var typeName: String { "Dropout2d" }

        public func outputShape(for input: [Int]) throws(LayerError) -> [Int] {
            try requireMaps(input)
            return input
        }

        public func parameters(for input: [Int]) -> ParameterShapes? { nil }

        /// In training, x times a mask of shape [batch, channels, 1, 1] (0 or 1/(1 − p) per map),
        /// broadcast over each map; the graph's multiply gives the gradient mask · upstream.
        public func record(_ x: NodeID, in recording: inout LayerRecording) throws -> NodeID {
            guard recording.training, p > 0 else { return x }
            let maps = [recording.batch, recording.inputShape[0]]
            let keep = 1 / (1 - p)
            var generator = recording.random
            let mask = (0..<maps[0] * maps[1]).map { _ in Double.random(in: 0..<1, using: &generator) < p ? 0 : keep }
            recording.random = generator
            return try recording.graph.apply(.multiply, x, recording.graph.constant(Tensor(shape: maps + [1, 1], storage: mask), name: "mask"))
        }

        /// y = x · mask[m] over `maps` planes of `plane` entries (the kernel of forward, and of
        /// backward with dy for x and dx for y: the layer is linear in x).
        static func scale(_ x: UnsafePointer<Float>, by mask: UnsafePointer<Float>, maps: Int, plane: Int, into y: UnsafeMutablePointer<Float>) {
            for m in 0..<maps {
                let factor = mask[m], from = x + m * plane, to = y + m * plane
                for i in 0..<plane { to[i] = from[i] * factor }
            }
        }
    }
}

extension ModelSpec.Layer where Self == ModelSpec.Dropout2d {
    /// Channel dropout with this probability.
    public static func dropout2d(_ p: Double) -> Self { ModelSpec.Dropout2d(p) }
}

extension ModelSpec.Dropout2d: Float32Layer {
    /// Its own kernel: one draw per map, then `scale` (nothing when p is 0).
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported) {
        if p > 0 { plan.append(.kernel(Kernel(p: Float(p), channels: plan.input[0], plane: plan.input[1] * plan.input[2]))) }
    }

    /// The fused stage. A map is `plane` contiguous entries in every layout the network keeps
    /// (rows [B, C, P] and channel-major [C, B, P]), so one draw per map in memory order serves both.
    final class Kernel: Float32Kernel {
        let p: Float, channels: Int, plane: Int
        /// The last forward's factor per map (0 or 1/(1 − p)); empty after an evaluation pass.
        private(set) var mask: [Float] = []
        private var masked = false

        init(p: Float, channels: Int, plane: Int) { (self.p, self.channels, self.plane) = (p, channels, plane) }

        var name: String { "dropout2d" }
        var stateEntriesPerExample: Int { channels }

        func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, batch: Int, training: Bool,
                     random: inout SeededGenerator) {
            masked = training
            guard training else { y.update(from: x, count: count); return }
            let maps = count / plane, keep = 1 / (1 - p)
            if mask.count != maps { mask = [Float](repeating: 0, count: maps) }
            var generator = random
            for m in 0..<maps { mask[m] = Float(generator.next() >> 40) * 0x1p-24 < p ? 0 : keep }
            random = generator
            mask.withUnsafeBufferPointer { ModelSpec.Dropout2d.scale(x, by: $0.baseAddress!, maps: maps, plane: plane, into: y) }
        }

        func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                      count: Int, batch: Int) {
            guard masked else { dx.update(from: dy, count: count); return }
            mask.withUnsafeBufferPointer { ModelSpec.Dropout2d.scale(dy, by: $0.baseAddress!, maps: count / plane, plane: plane, into: dx) }
        }
    }
}
