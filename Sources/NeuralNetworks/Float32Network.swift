import Autograd
import Datasets
import Foundation

/// The Float32 training path: the same layers, the same arithmetic and the same parameter layout as
/// the engine's graph (`Trainer` with `.float64`), with each layer's forward and backward fused into
/// one step over contiguous `Float` buffers that are allocated once, not once per batch.
///
/// Why a second path: recording a graph of `Double` tensors per mini-batch costs allocation and
/// broadcasting for every node; the MNIST MLP's epoch took 1.68 s that way against NumPy's 0.66 s.
/// Here a batch allocates nothing, products go through OpenBLAS's `sgemm`, and convolutions im2col
/// the whole batch into one product. The engine stays the reference: the tests compare this path's
/// loss and every parameter gradient with `graph.backward` on the same batch and parameters.
///
/// Between convolutions a batch is kept channel-major, `[C, B, H, W]`, so that one product
/// `W[F, C·K·K] × columns[C·K·K, B·H'·W']` gives the next layer's `[F, B, H', W']` without a transpose;
/// `flatten` turns it back into the engine's `[B, C·H·W]` rows.
final class Float32Network {
    /// A window's geometry over channel-major planes (the kernels layer's).
    typealias Window = Kernels.Window

    enum Stage {
        /// `[B, inputs] × W[inputs, outputs] + b`.
        case linear(parameter: Int, inputs: Int, outputs: Int)
        /// `W[F, C·K·K] × im2col(x)` + b, channel-major in and out.
        case conv(parameter: Int, filters: Int, window: Window)
        case maxPool(Window), avgPool(Window)
        case relu, sigmoid, tanh
        case dropout(Float)
        /// Channel-major `[C, B, P]` to rows `[B, C·P]`.
        case flatten(channels: Int, plane: Int)
        /// Rows `[B, C, P]` to channel-major `[C, B, P]`, before a convolution or pooling on C > 1
        /// channels that follows the data or a reshape.
        case channelMajor(channels: Int, plane: Int)
        case logSoftmax
        /// A layer type's own kernels (`Float32Kernel`), shape-preserving.
        case kernel(any Float32Kernel)
    }

    let stages: [Stage]
    /// Entries per example at each stage's output (index 0: the input).
    let widths: [Int]
    /// Whether a stage must send a gradient to its input (false before the first parameter).
    let needsInputGradient: [Bool]
    let classes: Int
    /// Multiply-adds of one example's forward pass (roughly): whether a batch is worth two threads.
    let work: Int
    var weights: [[Float]], biases: [[Float]]
    var weightGradients: [[Float]], biasGradients: [[Float]]

    // Workspace, sized for `capacity` examples.
    private(set) var capacity = 0
    private(set) var activations: [[Float]] = []     // activations[i]: the input of stage i; last: the scores
    private var gradients: [[Float]] = []       // same shapes
    private var scratch: [Float] = []           // im2col columns of one chunk of examples
    private var padded: [[Float]] = []          // per stride-1 convolution: its input with the zero border, kept for backward
    private var argmax: [[Int32]] = []          // per max-pool stage
    private(set) var masks: [[Float]] = []           // per dropout stage
    private var random: SeededGenerator
    /// oneDNN plans of the convolution stages, by stage and batch size (none when oneDNN is not in use).
    private var convolutions: [Int: Kernels.Convolution] = [:]
    /// Whether convolutions go through oneDNN (`Kernels.convolutionLibrary`) or im2col and `gemm`;
    /// tests set it to compare the two.
    var usesConvolutionLibrary = Kernels.convolutionLibrary != nil {
        didSet { blocked = Self.blockedLayouts(stages, library: usesConvolutionLibrary) }
    }
    /// Per activation (index i: the input of stage i), whether it is in oneDNN's blocked layout
    /// (`Kernels.Blocked`) rather than channel-major planes: from a convolution with a multiple of 16
    /// filters, through activations, dropout and 2 × 2 max pooling, to the next convolution or flatten,
    /// so that oneDNN reorders nothing around its convolutions.
    private(set) var blocked: [Bool] = []
    /// Seconds in each stage, forward and backward, summed while `profiling` (`bench train --profile`).
    var profiling = false
    private(set) var stageSeconds: [(forward: Double, backward: Double)] = []

    /// Stage `index`'s oneDNN plan at this batch size, made at first use; nil to run im2col and `gemm`.
    private func convolution(at index: Int, batch: Int) -> Kernels.Convolution? {
        guard usesConvolutionLibrary, case .conv(_, let filters, let window) = stages[index] else { return nil }
        let key = index << 40 | batch
        if let plan = convolutions[key] { return plan }
        let plan = Kernels.Convolution(window, filters: filters, batch: batch, inputGradient: needsInputGradient[index],
                                       blockedInput: blocked[index], blockedOutput: blocked[index + 1])
        convolutions[key] = plan
        return plan
    }

    /// The network of `spec` (compiled here): for tests that build one directly.
    convenience init(spec: ModelSpec, weights: [[Double]], biases: [[Double]], seed: UInt64) throws(Trainer.Unsupported) {
        try self.init(model: try Trainer.compile(spec), weights: weights, biases: biases, seed: seed)
    }

    /// The network of a compiled model: each layer's own stages (`Float32Layer`), in order.
    init(model: CompiledModel, weights: [[Double]], biases: [[Double]], seed: UInt64) throws(Trainer.Unsupported) {
        var stages = try model.float32Plan().stages
        let shape = model.outputShape
        guard shape.count == 1 else { throw Trainer.Unsupported(description: "the model must end in a vector of class scores; its output has shape \(shape)") }
        self.classes = shape[0]
        // relu then max-pooling equals max-pooling then relu (relu is monotonic), with the same
        // gradients: the window's first largest entry gets the upstream when it is positive, else
        // nothing. Pooling first runs relu on a quarter of the entries.
        for i in stages.indices.dropLast() {
            if case .relu = stages[i], case .maxPool = stages[i + 1] { stages.swapAt(i, i + 1) }
        }
        self.stages = stages
        // Built only from a `CompiledModel`, which multiplied every shape with checked arithmetic.
        var widths = [model.inputShape.reduce(1, *)]
        for stage in stages {
            let last = widths.last!
            switch stage {
            case .linear(_, _, let outputs): widths.append(outputs)
            case .conv(_, let filters, let window): widths.append(filters * window.outputPlane)
            case .maxPool(let window), .avgPool(let window): widths.append(window.channels * window.outputPlane)
            default: widths.append(last)
            }
        }
        self.widths = widths
        var work = 0
        for (index, stage) in stages.enumerated() {
            switch stage {
            case .linear(_, let inputs, let outputs): work += inputs * outputs
            case .conv(_, let filters, let w): work += filters * w.channels * w.size * w.size * w.outputPlane
            default: work += widths[index]
            }
        }
        self.work = work
        var needs: [Bool] = [], seen = false
        for stage in stages {
            needs.append(seen)
            if case .linear = stage { seen = true }
            if case .conv = stage { seen = true }
        }
        self.needsInputGradient = needs
        self.weights = weights.map { $0.map(Float.init) }
        self.biases = biases.map { $0.map(Float.init) }
        self.weightGradients = weights.map { [Float](repeating: 0, count: $0.count) }
        self.biasGradients = biases.map { [Float](repeating: 0, count: $0.count) }
        self.random = SeededGenerator(seed: seed)
        self.argmax = stages.map { _ in [] }
        self.padded = stages.map { _ in [] }
        self.masks = stages.map { _ in [] }
        self.stageSeconds = stages.map { _ in (0, 0) }
        self.blocked = Self.blockedLayouts(stages, library: usesConvolutionLibrary)
    }

    /// Which activations are blocked (see `blocked`) when convolutions go through oneDNN.
    static func blockedLayouts(_ stages: [Stage], library: Bool) -> [Bool] {
        var blocked = [Bool](repeating: false, count: stages.count + 1)
        guard library else { return blocked }
        /// Whether everything after stage `i` up to the next convolution or flatten can run blocked.
        func blockable(after i: Int) -> Bool {
            for stage in stages[(i + 1)...] {
                switch stage {
                case .relu, .sigmoid, .tanh, .dropout: continue
                case .maxPool(let w) where w.size == 2 && w.stride == 2 && w.padding == 0: continue
                case .conv, .flatten: return true
                default: return false
                }
            }
            return false
        }
        for (i, stage) in stages.enumerated() {
            switch stage {
            case .conv(_, let filters, _): blocked[i + 1] = filters % Kernels.Blocked.lanes == 0 && blockable(after: i)
            case .relu, .sigmoid, .tanh, .dropout, .maxPool: blocked[i + 1] = blocked[i]
            default: blocked[i + 1] = false
            }
        }
        return blocked
    }

    func resetProfile() { stageSeconds = stages.map { _ in (0, 0) } }

    /// Seconds since an arbitrary start, for the profile.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// Each stage's name for the profile ("conv 16→32 5×5", "maxPool 2×2", …).
    var stageNames: [String] {
        stages.map { stage in
            switch stage {
            case .linear(_, let inputs, let outputs): return "linear \(inputs)→\(outputs)"
            case .conv(_, let filters, let w): return "conv \(w.channels)→\(filters) \(w.size)×\(w.size)"
            case .maxPool(let w): return "maxPool \(w.size)×\(w.size)"
            case .avgPool(let w): return "avgPool \(w.size)×\(w.size)"
            case .relu: return "relu"
            case .sigmoid: return "sigmoid"
            case .tanh: return "tanh"
            case .dropout: return "dropout"
            case .flatten: return "flatten"
            case .channelMajor: return "channel-major"
            case .logSoftmax: return "logSoftmax"
            case .kernel(let kernel): return kernel.name
            }
        }
    }

    /// Sizes the workspace for batches of up to `batch` examples.
    /// Bytes of workspace a batch of `batch` examples takes: activations and their gradients,
    /// masks and argmaxes, and the padded inputs of the convolutions (the columns are bounded).
    func workspaceBytes(batch: Int) -> Int {
        // Checked throughout (a model's sizes come from a file): an overflow reads as "too big".
        func add(_ a: Int, _ b: Int?) -> Int {
            guard let b else { return .max }
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? .max : sum
        }
        var perExample = 0
        for width in widths { perExample = add(perExample, ModelSpec.entries(of: [2, width])) }
        for (index, stage) in stages.enumerated() {
            switch stage {
            case .conv(_, _, let w) where w.stride == 1:
                let height = w.height.addingReportingOverflow(2 * w.padding), width = w.width.addingReportingOverflow(2 * w.padding)
                perExample = add(perExample, height.overflow || width.overflow ? nil : ModelSpec.entries(of: [w.channels, height.partialValue, width.partialValue]))
            case .maxPool, .dropout: perExample = add(perExample, widths[index + 1])
            case .kernel(let kernel): perExample = add(perExample, kernel.stateEntriesPerExample)
            default: break
            }
        }
        return ModelSpec.entries(of: [perExample, batch, MemoryLayout<Float>.size]) ?? .max
    }

    func reserve(_ batch: Int) {
        guard batch > capacity else { return }
        capacity = batch
        activations = widths.map { [Float](repeating: 0, count: $0 * batch) }
        gradients = activations
        for (index, stage) in stages.enumerated() {
            switch stage {
            case .conv(_, _, let w):
                let chunk = chunks(batch, w).first?.count ?? 1
                scratch = [Float](repeating: 0, count: max(scratch.count, w.channels * w.size * w.size * chunk * w.outputPlane))
                if w.stride == 1 {
                    let paddedPlane = (w.height + 2 * w.padding) * (w.width + 2 * w.padding)
                    padded[index] = [Float](repeating: 0, count: w.channels * batch * paddedPlane)
                }
            case .maxPool: argmax[index] = [Int32](repeating: 0, count: widths[index + 1] * batch)
            case .dropout: masks[index] = [Float](repeating: 0, count: widths[index] * batch)
            default: break
            }
        }
    }

    // MARK: - Forward

    /// Runs the batch forward, leaving the scores (or log-probabilities), `[B, classes]`, in the workspace.
    func forward(_ data: LabeledData, indices: [Int], training: Bool) {
        let batch = indices.count
        reserve(batch)
        let width = data.featureCount
        data.features.withUnsafeBufferPointer { source in
            activations[0].withUnsafeMutableBufferPointer { target in
                for (row, index) in indices.enumerated() {
                    (target.baseAddress! + row * width).update(from: source.baseAddress! + index * width, count: width)
                }
            }
        }
        // A blocked layout needs every convolution's oneDNN plan; if one cannot be made, all of them
        // run as im2col and `gemm` on channel-major planes instead.
        if blocked.contains(true) {
            for index in stages.indices {
                if case .conv = stages[index], convolution(at: index, batch: batch) == nil { usesConvolutionLibrary = false; break }
            }
        }
        for (index, stage) in stages.enumerated() {
            let start = profiling ? Self.now() : 0
            forward(stage, at: index, batch: batch, training: training)
            if profiling { stageSeconds[index].forward += Self.now() - start }
        }
    }

    /// The class with the largest score in each of the first `batch` rows (the first one on a tie).
    func predictions(batch: Int) -> [Int] {
        activations[stages.count].withUnsafeBufferPointer { scores in
            (0..<batch).map { row in
                var best = 0
                for j in 1..<classes where scores[row * classes + j] > scores[row * classes + best] { best = j }
                return best
            }
        }
    }

    private func forward(_ stage: Stage, at index: Int, batch: Int, training: Bool) {
        let inCount = widths[index] * batch, outCount = widths[index + 1] * batch
        // Distinct arrays, so the exclusive accesses do not overlap.
        var output = activations[index + 1]
        activations[index + 1] = []
        defer { activations[index + 1] = output }
        activations[index].withUnsafeBufferPointer { xBuffer in
        output.withUnsafeMutableBufferPointer { yBuffer in
            let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
            switch stage {
            case .linear(let p, let inputs, let outputs):
                biases[p].withUnsafeBufferPointer { b in
                    for row in 0..<batch { (y + row * outputs).update(from: b.baseAddress!, count: outputs) }
                }
                weights[p].withUnsafeBufferPointer { w in
                    Kernels.gemm(false, false, batch, outputs, inputs, x, inputs, w.baseAddress!, outputs, beta: 1, y, outputs)
                }
            case .conv(let p, let filters, let window):
                if let plan = convolution(at: index, batch: batch) {
                    weights[p].withUnsafeBufferPointer { w in
                        biases[p].withUnsafeBufferPointer { b in plan.forward(x, w.baseAddress!, b.baseAddress!, into: y) }
                    }
                    return
                }
                let spatial = batch * window.outputPlane
                let depth = window.channels * window.size * window.size
                let plane = window.outputPlane
                if window.stride == 1 {
                    padded[index].withUnsafeMutableBufferPointer { Kernels.pad(x, window, count: window.channels * batch, into: $0.baseAddress!) }
                }
                scratch.withUnsafeMutableBufferPointer { cols in
                    weights[p].withUnsafeBufferPointer { w in
                        // A few examples at a time, so their columns stay in cache between im2col and the product.
                        for examples in chunks(batch, window) {
                            let n = examples.count * plane
                            im2col(x, at: index, window, batch: batch, examples: examples, into: cols.baseAddress!)
                            Kernels.gemm(false, false, filters, n, depth, w.baseAddress!, depth, cols.baseAddress!, n, beta: 0,
                                         y + examples.lowerBound * plane, spatial)
                        }
                    }
                }
                biases[p].withUnsafeBufferPointer { b in
                    for f in 0..<filters {
                        let value = b[f], row = y + f * spatial
                        for i in 0..<spatial { row[i] += value }
                    }
                }
            case .maxPool(let w):
                argmax[index].withUnsafeMutableBufferPointer { arg in
                    if blocked[index] {
                        Kernels.Blocked.maxPool(x, groups: batch * w.channels / Kernels.Blocked.lanes, height: w.height, width: w.width,
                                                into: y, argmax: arg.baseAddress!)
                    } else {
                        Kernels.maxPool(x, w, count: w.channels * batch, into: y, argmax: arg.baseAddress!)
                    }
                }
            case .avgPool(let w):
                Kernels.avgPool(x, w, count: w.channels * batch, into: y)
            case .relu: Kernels.activate(.relu, x, y, outCount)
            case .sigmoid: Kernels.activate(.sigmoid, x, y, outCount)
            case .tanh: Kernels.activate(.tanh, x, y, outCount)
            case .dropout(let p):
                if training {
                    let keep = 1 / (1 - p)
                    var generator = random
                    masks[index].withUnsafeMutableBufferPointer { mask in
                        var i = 0
                        while i < outCount {
                            // Two uniform draws per 64 random bits (24 bits each, Float's precision).
                            let bits = generator.next()
                            let u0 = Float(bits >> 40) * 0x1p-24, u1 = Float((bits >> 8) & 0xFF_FFFF) * 0x1p-24
                            mask[i] = u0 < p ? 0 : keep; y[i] = x[i] * mask[i]
                            if i + 1 < outCount { mask[i + 1] = u1 < p ? 0 : keep; y[i + 1] = x[i + 1] * mask[i + 1] }
                            i += 2
                        }
                    }
                    random = generator
                } else {
                    y.update(from: x, count: inCount)
                }
            case .flatten(let channels, let plane):
                if blocked[index] { Kernels.Blocked.toRows(x, batch: batch, channels: channels, plane: plane, into: y); return }
                // y[b, c·P + p] = x[c, b, p]
                for c in 0..<channels {
                    for b in 0..<batch {
                        (y + (b * channels + c) * plane).update(from: x + (c * batch + b) * plane, count: plane)
                    }
                }
            case .channelMajor(let channels, let plane):
                for b in 0..<batch {
                    for c in 0..<channels {
                        (y + (c * batch + b) * plane).update(from: x + (b * channels + c) * plane, count: plane)
                    }
                }
            case .logSoftmax:
                Kernels.logSoftmax(x, rows: batch, width: widths[index], into: y)
            case .kernel(let kernel):
                kernel.forward(x, y, count: outCount, batch: batch, training: training, random: &random)
            }
        }}
    }

    // MARK: - Loss and backward

    /// The mean `kind` loss of `labels` under the last batch's scores (Loss.swift's kernel), with its
    /// gradient with respect to the scores written into the workspace for `backward`.
    func lossAndGradient(_ kind: LossKind, labels: [Int], indices: [Int]) -> Double {
        let count = indices.count * classes, last = stages.count
        return activations[last].withUnsafeBufferPointer { scores in
            gradients[last].withUnsafeMutableBufferPointer { gradient in
                NeuralNetworks.lossAndGradient(kind, scores: UnsafeBufferPointer(rebasing: scores[0 ..< count]),
                                               labels: indices.lazy.map { labels[$0] }, classes: classes,
                                               gradient: UnsafeMutableBufferPointer(rebasing: gradient[0 ..< count]))
            }
        }
    }

    /// Backward through every stage, from the gradient `lossAndGradient` left; fills the parameter gradients.
    func backward(batch: Int) {
        for index in stride(from: stages.count - 1, through: 0, by: -1) {
            let start = profiling ? Self.now() : 0
            backward(stages[index], at: index, batch: batch)
            if profiling { stageSeconds[index].backward += Self.now() - start }
        }
    }

    private func backward(_ stage: Stage, at index: Int, batch: Int) {
        let count = widths[index + 1] * batch
        let needsInput = needsInputGradient[index]
        var inputGradient = gradients[index]
        gradients[index] = []
        defer { gradients[index] = inputGradient }
        gradients[index + 1].withUnsafeBufferPointer { dyBuffer in
        activations[index].withUnsafeBufferPointer { xBuffer in
        activations[index + 1].withUnsafeBufferPointer { yBuffer in
        inputGradient.withUnsafeMutableBufferPointer { dxBuffer in
            let dy = dyBuffer.baseAddress!, x = xBuffer.baseAddress!, y = yBuffer.baseAddress!, dx = dxBuffer.baseAddress!
            switch stage {
            case .linear(let p, let inputs, let outputs):
                weightGradients[p].withUnsafeMutableBufferPointer { dw in
                    Kernels.gemm(true, false, inputs, outputs, batch, x, inputs, dy, outputs, beta: 0, dw.baseAddress!, outputs)
                }
                biasGradients[p].withUnsafeMutableBufferPointer { db in
                    for j in 0..<outputs { db[j] = 0 }
                    for row in 0..<batch { for j in 0..<outputs { db[j] += dy[row * outputs + j] } }
                }
                if needsInput {
                    weights[p].withUnsafeBufferPointer { w in
                        Kernels.gemm(false, true, batch, inputs, outputs, dy, outputs, w.baseAddress!, outputs, beta: 0, dx, inputs)
                    }
                }
            case .conv(let p, let filters, let window):
                if let plan = convolution(at: index, batch: batch) {
                    weights[p].withUnsafeBufferPointer { w in
                        weightGradients[p].withUnsafeMutableBufferPointer { dw in
                            biasGradients[p].withUnsafeMutableBufferPointer { db in
                                plan.backward(x, dy, w.baseAddress!, dx: needsInput ? dx : nil, dw: dw.baseAddress!, db: db.baseAddress!)
                            }
                        }
                    }
                    return
                }
                let spatial = batch * window.outputPlane
                let depth = window.channels * window.size * window.size
                let plane = window.outputPlane
                scratch.withUnsafeMutableBufferPointer { cols in
                weights[p].withUnsafeBufferPointer { w in
                weightGradients[p].withUnsafeMutableBufferPointer { dw in
                    // Chunk by chunk, as forward: the columns are rebuilt (as fast as keeping the whole
                    // batch's, measured, and 1 MB instead of 157 MB for the CNN's evaluation batches), give dW,
                    // then are overwritten by dColumns and added back into dx.
                    for examples in chunks(batch, window) {
                        let n = examples.count * plane, offset = examples.lowerBound * plane
                        im2col(x, at: index, window, batch: batch, examples: examples, into: cols.baseAddress!)
                        Kernels.gemm(false, true, filters, depth, n, dy + offset, spatial, cols.baseAddress!, n,
                                     beta: examples.lowerBound == 0 ? 0 : 1, dw.baseAddress!, depth)
                        guard needsInput else { continue }
                        Kernels.gemm(true, false, depth, n, filters, w.baseAddress!, depth, dy + offset, spatial, beta: 0, cols.baseAddress!, n)
                        for c in 0..<window.channels {
                            (dx + (c * batch + examples.lowerBound) * window.inputPlane).update(repeating: 0, count: examples.count * window.inputPlane)
                        }
                        Kernels.col2im(cols.baseAddress!, window, .channelsFirst(batch: batch), examples: examples, into: dx)
                    }
                }}}
                biasGradients[p].withUnsafeMutableBufferPointer { db in
                    for f in 0..<filters {
                        var sum: Float = 0
                        let row = dy + f * spatial
                        for i in 0..<spatial { sum += row[i] }
                        db[f] = sum
                    }
                }
            case .maxPool(let w):
                guard needsInput else { return }
                argmax[index].withUnsafeBufferPointer { arg in
                    if blocked[index] {
                        Kernels.Blocked.maxPoolBackward(dy, argmax: arg.baseAddress!, groups: batch * w.channels / Kernels.Blocked.lanes,
                                                        height: w.height, width: w.width, into: dx)
                    } else {
                        Kernels.maxPoolBackward(dy, argmax: arg.baseAddress!, w, count: w.channels * batch, into: dx)
                    }
                }
            case .avgPool(let w):
                guard needsInput else { return }
                Kernels.avgPoolBackward(dy, w, count: w.channels * batch, into: dx)
            case .relu:
                guard needsInput else { return }
                Kernels.activationBackward(.relu, y, dy, dx, count)
            case .sigmoid:
                guard needsInput else { return }
                Kernels.activationBackward(.sigmoid, y, dy, dx, count)
            case .tanh:
                guard needsInput else { return }
                Kernels.activationBackward(.tanh, y, dy, dx, count)
            case .dropout:
                guard needsInput else { return }
                masks[index].withUnsafeBufferPointer { mask in
                    for i in 0..<count { dx[i] = dy[i] * mask[i] }
                }
            case .flatten(let channels, let plane):
                guard needsInput else { return }
                if blocked[index] { Kernels.Blocked.fromRows(dy, batch: batch, channels: channels, plane: plane, into: dx); return }
                for c in 0..<channels {
                    for b in 0..<batch {
                        (dx + (c * batch + b) * plane).update(from: dy + (b * channels + c) * plane, count: plane)
                    }
                }
            case .channelMajor(let channels, let plane):
                // Before the first parameter the data need no gradient; after a reshape of a
                // layer's output into maps it goes back to rows: dx[b, c, p] = dy[c, b, p].
                guard needsInput else { return }
                for b in 0..<batch {
                    for c in 0..<channels {
                        (dx + (b * channels + c) * plane).update(from: dy + (c * batch + b) * plane, count: plane)
                    }
                }
            case .logSoftmax:
                // The loss already folded log-softmax's Jacobian in when the model ends in it:
                // gradient g at the log-probabilities gives g − softmax · Σg per row.
                Kernels.logSoftmaxBackward(y, dy, rows: batch, width: widths[index], into: dx)
            case .kernel(let kernel):
                guard needsInput else { return }
                kernel.backward(dy, x, y, dx, count: count, batch: batch)
            }
        }}}}
    }

    /// Calls `body(slot, parameters, gradient)` for every weight (slots 0..<L) and bias (L..<2L), in place.
    func updateParameters(_ body: (Int, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        let layers = weights.count
        for layer in 0..<layers {
            weights[layer].withUnsafeMutableBufferPointer { p in weightGradients[layer].withUnsafeBufferPointer { body(layer, p, $0) } }
            biases[layer].withUnsafeMutableBufferPointer { p in biasGradients[layer].withUnsafeBufferPointer { body(layers + layer, p, $0) } }
        }
    }

    /// This network's parameter gradients become `a · own + b · other's`.
    func mergeGradients(_ other: Float32Network, _ a: Float, _ b: Float) {
        func merge(_ mine: inout [[Float]], _ theirs: [[Float]]) {
            for layer in mine.indices {
                mine[layer].withUnsafeMutableBufferPointer { x in
                    theirs[layer].withUnsafeBufferPointer { y in
                        for i in 0..<x.count { x[i] = a * x[i] + b * y[i] }
                    }
                }
            }
        }
        merge(&weightGradients, other.weightGradients)
        merge(&biasGradients, other.biasGradients)
    }

    // MARK: - Scheduling over the shared kernels (Autograd's Kernels+Windows.swift)

    /// im2col of stage `index`'s input: from its padded copy when the stride is 1, else from `x`.
    private func im2col(_ x: UnsafePointer<Float>, at index: Int, _ w: Window, batch: Int, examples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        if w.stride == 1 {
            padded[index].withUnsafeBufferPointer { Kernels.im2colPadded($0.baseAddress!, w, .channelsFirst(batch: batch), examples: examples, into: columns) }
        } else {
            Kernels.im2col(x, w, .channelsFirst(batch: batch), examples: examples, into: columns)
        }
    }

    /// Floats of im2col columns to build at a time: about 1 MB, so they are still in cache when the product reads them.
    var columnBudget = 1 << 18

    /// The batch in runs of examples whose columns fit `columnBudget` (at least one example each).
    func chunks(_ batch: Int, _ w: Window) -> [Range<Int>] {
        let size = Swift.max(1, Swift.min(batch, columnBudget / Swift.max(1, w.channels * w.size * w.size * w.outputPlane)))
        return stride(from: 0, to: batch, by: size).map { $0 ..< Swift.min(batch, $0 + size) }
    }

}
