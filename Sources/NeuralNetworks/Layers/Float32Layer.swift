import Autograd
import Datasets

/// A layer the Float32 training path runs: the fused stages (`Float32Network.Stage`, each a forward
/// and a backward kernel over contiguous `Float` buffers) it compiles to. `Float32Network` is built by
/// asking each layer of a `CompiledModel` for its stages; a layer type without this conformance
/// trains only on the engine (`--precision float64`).
protocol Float32Layer: ModelSpec.Layer {
    func appendStages(to plan: inout Float32Plan) throws(Trainer.Unsupported)
}

/// The Float32 network being planned: its stages so far and the layout the activations are in.
///
/// A batch arrives as rows `[B, …]`; convolutions and poolings work on channel-major planes
/// `[C, B, H, W]`, so the first of them turns the rows around and `flatten` turns them back.
struct Float32Plan {
    private(set) var stages: [Float32Network.Stage] = []
    /// Whether the activations are rows `[B, …]` (else channel-major planes).
    private(set) var rowsLayout = true
    /// Parametric layers so far (the index of the next one's weight and bias).
    private(set) var parameters = 0
    /// The current layer's input and output shape for one example (from the compiled model), its
    /// 1-based number and whether it is the model's last.
    var input: [Int] = [], output: [Int] = []
    var layer = 0, isLast = false
    /// The current layer's summary name, for messages.
    var typeName = ""

    func unsupported(_ why: String) -> Trainer.Unsupported { Trainer.Unsupported(description: "layer \(layer): \(why)") }

    mutating func append(_ stage: Float32Network.Stage) { stages.append(stage) }

    /// The index of the current layer's weight and bias, counting it.
    mutating func nextParameter() -> Int {
        defer { parameters += 1 }
        return parameters
    }

    /// The window of a convolution or pooling over the current input's planes, turning rows into
    /// channel-major planes first when needed (a single channel's rows already are).
    mutating func mapsWindow(size: Int, stride: Int, padding: Int) throws(Trainer.Unsupported) -> Kernels.Window {
        guard input.count == 3 else { throw unsupported("\(typeName) needs channels × height × width") }
        if rowsLayout {
            if input[0] > 1 { stages.append(.channelMajor(channels: input[0], plane: input[1] * input[2])) }
            rowsLayout = false
        }
        return Kernels.Window(channels: input[0], height: input[1], width: input[2], size: size, stride: stride, padding: padding)
    }

    /// Back to rows: channel-major planes become `[B, C·H·W]` (`Stage.flatten`).
    mutating func rows() {
        if !rowsLayout, input.count == 3 {
            stages.append(.flatten(channels: input[0], plane: input[1] * input[2]))
            rowsLayout = true
        }
    }
}

/// A fused stage a layer type brings with it (`Float32Network.Stage.kernel`), for a layer whose
/// forward and backward are not among the network's own stages: the type names its kernels here and
/// the network runs them in place, nothing else to change. Shape-preserving (as many entries out as in),
/// in any layout of the batch (it runs between the network's own stages, which choose the layout).
/// Each `Float32Network` plans its own instances, so a kernel may keep state between forward and backward.
protocol Float32Kernel: AnyObject {
    /// The stage's name in `bench train --profile`.
    var name: String { get }
    /// Floats of state per example (a mask), for the workspace's size.
    var stateEntriesPerExample: Int { get }
    /// Forward over `count` entries of `batch` examples; `random` draws a mask when training.
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, batch: Int, training: Bool,
                 random: inout SeededGenerator)
    /// The input's gradient from the output's: dx from dy (x and y are forward's).
    func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                  count: Int, batch: Int)
}
