import CBLAS
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
    /// A window's geometry over channel-major planes.
    struct Window {
        let channels: Int, height: Int, width: Int, size: Int, stride: Int, padding: Int
        var outHeight: Int { (height + 2 * padding - size) / stride + 1 }
        var outWidth: Int { (width + 2 * padding - size) / stride + 1 }
        var inputPlane: Int { height * width }
        var outputPlane: Int { outHeight * outWidth }
    }

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
        /// Rows `[B, C, P]` (as the data arrive) to channel-major `[C, B, P]`, before a first convolution on C > 1 channels.
        case channelMajor(channels: Int, plane: Int)
        case logSoftmax
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

    init(spec: ModelSpec, weights: [[Double]], biases: [[Double]], seed: UInt64) throws(Trainer.Unsupported) {
        var stages: [Stage] = []
        var shape = spec.inputShape
        var rowsLayout = true            // [B, …] until the first convolution or pooling
        var parameter = 0
        for (index, layer) in spec.layers.enumerated() {
            func unsupported(_ why: String) -> Trainer.Unsupported { Trainer.Unsupported(description: "layer \(index + 1): \(why)") }
            switch layer {
            case .linear(let outputs):
                guard shape.count == 1 else { throw unsupported("linear needs a vector input; add a flatten") }
                stages.append(.linear(parameter: parameter, inputs: shape[0], outputs: outputs))
                parameter += 1
                shape = [outputs]
            case .conv2d, .maxPool2d, .avgPool2d:
                guard shape.count == 3 else { throw unsupported("\(layer.typeName) needs channels × height × width") }
                if rowsLayout {
                    if shape[0] > 1 { stages.append(.channelMajor(channels: shape[0], plane: shape[1] * shape[2])) }
                    rowsLayout = false
                }
                switch layer {
                case .conv2d(let filters, let kernel, let stride, let padding):
                    let window = Window(channels: shape[0], height: shape[1], width: shape[2], size: kernel, stride: stride, padding: padding)
                    stages.append(.conv(parameter: parameter, filters: filters, window: window))
                    parameter += 1
                    shape = [filters, window.outHeight, window.outWidth]
                case .maxPool2d(let size, let stride), .avgPool2d(let size, let stride):
                    let window = Window(channels: shape[0], height: shape[1], width: shape[2], size: size, stride: stride ?? size, padding: 0)
                    if case .maxPool2d = layer { stages.append(.maxPool(window)) } else { stages.append(.avgPool(window)) }
                    shape = [shape[0], window.outHeight, window.outWidth]
                default: break
                }
            case .flatten:
                if !rowsLayout, shape.count == 3 {
                    stages.append(.flatten(channels: shape[0], plane: shape[1] * shape[2]))
                    rowsLayout = true
                }
                shape = [shape.reduce(1, *)]
            case .dropout(let p):
                if p > 0 { stages.append(.dropout(Float(p))) }
            case .activation("relu"): stages.append(.relu)
            case .activation("sigmoid"): stages.append(.sigmoid)
            case .activation("tanh"): stages.append(.tanh)
            case .activation("log_softmax"):
                guard index == spec.layers.count - 1 else { throw unsupported("log_softmax is only supported as the last layer") }
                stages.append(.logSoftmax)
            default:
                throw unsupported("\(layer.typeName) cannot be trained yet (linear, conv2d, max- and average pooling, flatten, dropout, relu, tanh, sigmoid, log_softmax)")
            }
        }
        guard shape.count == 1 else { throw Trainer.Unsupported(description: "the model must end in a vector of class scores; its output has shape \(shape)") }
        self.classes = shape[0]
        // relu then max-pooling equals max-pooling then relu (relu is monotonic), with the same
        // gradients: the window's first largest entry gets the upstream when it is positive, else
        // nothing. Pooling first runs relu on a quarter of the entries.
        for i in stages.indices.dropLast() {
            if case .relu = stages[i], case .maxPool = stages[i + 1] { stages.swapAt(i, i + 1) }
        }
        self.stages = stages
        var widths = [spec.inputShape.reduce(1, *)]
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
    }

    /// Sizes the workspace for batches of up to `batch` examples.
    /// Bytes of workspace a batch of `batch` examples takes: activations and their gradients,
    /// masks and argmaxes, and the padded inputs of the convolutions (the columns are bounded).
    func workspaceBytes(batch: Int) -> Int {
        var perExample = 2 * widths.reduce(0, +)
        for (index, stage) in stages.enumerated() {
            switch stage {
            case .conv(_, _, let w) where w.stride == 1: perExample += w.channels * (w.height + 2 * w.padding) * (w.width + 2 * w.padding)
            case .maxPool, .dropout: perExample += widths[index + 1]
            default: break
            }
        }
        return perExample * batch * MemoryLayout<Float>.size
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
        for (index, stage) in stages.enumerated() {
            forward(stage, at: index, batch: batch, training: training)
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
                    BLAS.sgemm(false, false, batch, outputs, inputs, x, inputs, w.baseAddress!, outputs, beta: 1, y, outputs)
                }
            case .conv(let p, let filters, let window):
                let spatial = batch * window.outputPlane
                let depth = window.channels * window.size * window.size
                let plane = window.outputPlane
                if window.stride == 1 {
                    padded[index].withUnsafeMutableBufferPointer { Float32Network.pad(x, window, batch: batch, into: $0.baseAddress!) }
                }
                scratch.withUnsafeMutableBufferPointer { cols in
                    weights[p].withUnsafeBufferPointer { w in
                        // A few examples at a time, so their columns stay in cache between im2col and the product.
                        for examples in chunks(batch, window) {
                            let n = examples.count * plane
                            im2col(x, at: index, window, batch: batch, examples: examples, into: cols.baseAddress!)
                            BLAS.sgemm(false, false, filters, n, depth, w.baseAddress!, depth, cols.baseAddress!, n, beta: 0,
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
                    Float32Network.maxPool(x, w, planes: w.channels * batch, into: y, argmax: arg.baseAddress!)
                }
            case .avgPool(let w):
                Float32Network.avgPool(x, w, planes: w.channels * batch, into: y)
            case .relu:
                for i in 0..<outCount { y[i] = x[i] > 0 ? x[i] : 0 }
            case .sigmoid:
                Vector.map(x, y, outCount, Vector.sigmoid)
            case .tanh:
                Vector.map(x, y, outCount, Vector.tanh)
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
                let classes = widths[index]
                for row in 0..<batch {
                    let s = x + row * classes, o = y + row * classes
                    var largest = s[0]
                    for j in 1..<classes { largest = Swift.max(largest, s[j]) }
                    var total: Float = 0
                    for j in 0..<classes { total += Foundation.exp(s[j] - largest) }
                    let shift = largest + Foundation.log(total)
                    for j in 0..<classes { o[j] = s[j] - shift }
                }
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
            backward(stages[index], at: index, batch: batch)
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
                    BLAS.sgemm(true, false, inputs, outputs, batch, x, inputs, dy, outputs, beta: 0, dw.baseAddress!, outputs)
                }
                biasGradients[p].withUnsafeMutableBufferPointer { db in
                    for j in 0..<outputs { db[j] = 0 }
                    for row in 0..<batch { for j in 0..<outputs { db[j] += dy[row * outputs + j] } }
                }
                if needsInput {
                    weights[p].withUnsafeBufferPointer { w in
                        BLAS.sgemm(false, true, batch, inputs, outputs, dy, outputs, w.baseAddress!, outputs, beta: 0, dx, inputs)
                    }
                }
            case .conv(let p, let filters, let window):
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
                        BLAS.sgemm(false, true, filters, depth, n, dy + offset, spatial, cols.baseAddress!, n,
                                   beta: examples.lowerBound == 0 ? 0 : 1, dw.baseAddress!, depth)
                        guard needsInput else { continue }
                        BLAS.sgemm(true, false, depth, n, filters, w.baseAddress!, depth, dy + offset, spatial, beta: 0, cols.baseAddress!, n)
                        for c in 0..<window.channels {
                            (dx + (c * batch + examples.lowerBound) * window.inputPlane).update(repeating: 0, count: examples.count * window.inputPlane)
                        }
                        Float32Network.col2im(cols.baseAddress!, window, batch: batch, examples: examples, into: dx)
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
                dx.update(repeating: 0, count: w.channels * batch * w.inputPlane)
                argmax[index].withUnsafeBufferPointer { arg in
                    for i in 0..<count { dx[Int(arg[i])] += dy[i] }
                }
            case .avgPool(let w):
                guard needsInput else { return }
                Float32Network.avgPoolBackward(dy, w, planes: w.channels * batch, into: dx)
            case .relu:
                guard needsInput else { return }
                for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
            case .sigmoid:
                guard needsInput else { return }
                for i in 0..<count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            case .tanh:
                guard needsInput else { return }
                for i in 0..<count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
            case .dropout:
                guard needsInput else { return }
                masks[index].withUnsafeBufferPointer { mask in
                    for i in 0..<count { dx[i] = dy[i] * mask[i] }
                }
            case .flatten(let channels, let plane):
                guard needsInput else { return }
                for c in 0..<channels {
                    for b in 0..<batch {
                        (dx + (c * batch + b) * plane).update(from: dy + (b * channels + c) * plane, count: plane)
                    }
                }
            case .channelMajor:
                return      // only ever before the first parameter: the data need no gradient
            case .logSoftmax:
                // The loss already folded log-softmax's Jacobian in when the model ends in it:
                // gradient g at the log-probabilities gives g − softmax · Σg per row.
                let classes = widths[index]
                for row in 0..<batch {
                    let o = y + row * classes, g = dy + row * classes, d = dx + row * classes
                    var sum: Float = 0
                    for j in 0..<classes { sum += g[j] }
                    for j in 0..<classes { d[j] = g[j] - Foundation.exp(o[j]) * sum }
                }
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

    // MARK: - Kernels

    /// Columns `[C·K·K, B·H'·W']` of a channel-major batch `[C, B, H, W]` (zeros in the padding).
    static func im2col(_ x: UnsafePointer<Float>, _ w: Window, batch: Int, examples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let spatial = examples.count * oh * ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c * w.size + ki) * w.size + kj) * spatial
                    for b in examples {
                        let plane = x + (c * batch + b) * w.inputPlane
                        let out = row + (b - examples.lowerBound) * oh * ow
                        for oi in 0..<oh {
                            let i = oi * w.stride + ki - w.padding
                            let line = out + oi * ow
                            guard i >= 0 && i < w.height else { line.update(repeating: 0, count: ow); continue }
                            let source = plane + i * w.width
                            if w.stride == 1 {
                                // j = oj + kj − padding: one contiguous run, zeros either side.
                                let first = Swift.min(ow, Swift.max(0, w.padding - kj))
                                let last = Swift.max(first, Swift.min(ow, w.width + w.padding - kj))
                                if first > 0 { line.update(repeating: 0, count: first) }
                                if last > first { (line + first).update(from: source + first + kj - w.padding, count: last - first) }
                                if last < ow { (line + last).update(repeating: 0, count: ow - last) }
                            } else {
                                for oj in 0..<ow {
                                    let j = oj * w.stride + kj - w.padding
                                    line[oj] = j >= 0 && j < w.width ? source[j] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds columns back into a channel-major batch (the reverse of `im2col`, summing overlaps).
    static func col2im(_ columns: UnsafePointer<Float>, _ w: Window, batch: Int, examples: Range<Int>, into x: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let spatial = examples.count * oh * ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c * w.size + ki) * w.size + kj) * spatial
                    for b in examples {
                        let plane = x + (c * batch + b) * w.inputPlane
                        let out = row + (b - examples.lowerBound) * oh * ow
                        for oi in 0..<oh {
                            let i = oi * w.stride + ki - w.padding
                            guard i >= 0 && i < w.height else { continue }
                            let target = plane + i * w.width, line = out + oi * ow
                            if w.stride == 1 {
                                let first = Swift.min(ow, Swift.max(0, w.padding - kj))
                                let last = Swift.max(first, Swift.min(ow, w.width + w.padding - kj))
                                let shifted = target + kj - w.padding
                                for oj in first..<last { shifted[oj] += line[oj] }
                            } else {
                                for oj in 0..<ow {
                                    let j = oj * w.stride + kj - w.padding
                                    if j >= 0 && j < w.width { target[j] += line[oj] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// im2col of stage `index`'s input: from its padded copy when the stride is 1, else from `x`.
    private func im2col(_ x: UnsafePointer<Float>, at index: Int, _ w: Window, batch: Int, examples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        if w.stride == 1 {
            padded[index].withUnsafeBufferPointer { Float32Network.im2colPadded($0.baseAddress!, w, batch: batch, examples: examples, into: columns) }
        } else {
            Float32Network.im2col(x, w, batch: batch, examples: examples, into: columns)
        }
    }

    /// A channel-major batch with a border of `padding` zeros around every plane.
    static func pad(_ x: UnsafePointer<Float>, _ w: Window, batch: Int, into padded: UnsafeMutablePointer<Float>) {
        let (hp, wp) = (w.height + 2 * w.padding, w.width + 2 * w.padding)
        for plane in 0..<(w.channels * batch) {
            let target = padded + plane * hp * wp, source = x + plane * w.inputPlane
            for i in 0..<(w.padding * wp) { target[i] = 0; target[(hp - w.padding) * wp + i] = 0 }
            for i in 0..<w.height {
                let row = target + (i + w.padding) * wp
                for j in 0..<w.padding { row[j] = 0; row[wp - 1 - j] = 0 }
                copy(source + i * w.width, row + w.padding, w.width)
            }
        }
    }

    /// im2col for stride 1 from padded planes: every row of every window is one contiguous run, so
    /// each is a few 8-wide copies with no bounds to test (im2col was a fifth of the CNN's epoch).
    static func im2colPadded(_ padded: UnsafePointer<Float>, _ w: Window, batch: Int, examples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let (hp, wp) = (w.height + 2 * w.padding, w.width + 2 * w.padding)
        let spatial = examples.count * oh * ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c * w.size + ki) * w.size + kj) * spatial
                    for b in examples {
                        let source = padded + (c * batch + b) * hp * wp + ki * wp + kj
                        let out = row + (b - examples.lowerBound) * oh * ow
                        for oi in 0..<oh { copy(source + oi * wp, out + oi * ow, ow) }
                    }
                }
            }
        }
    }

    /// Copies `count` floats eight at a time (the last eight overlapping), or one by one below eight.
    @inline(__always) static func copy(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
        guard count >= 8 else { for k in 0..<count { target[k] = source[k] }; return }
        var k = 0
        while k + 8 <= count {
            UnsafeMutableRawPointer(target + k).storeBytes(of: UnsafeRawPointer(source + k).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            k += 8
        }
        if k < count {
            let last = count - 8
            UnsafeMutableRawPointer(target + last).storeBytes(of: UnsafeRawPointer(source + last).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        }
    }

    /// Floats of im2col columns to build at a time: about 1 MB, so they are still in cache when the product reads them.
    var columnBudget = 1 << 18

    /// The batch in runs of examples whose columns fit `columnBudget` (at least one example each).
    func chunks(_ batch: Int, _ w: Window) -> [Range<Int>] {
        let size = Swift.max(1, Swift.min(batch, columnBudget / Swift.max(1, w.channels * w.size * w.size * w.outputPlane)))
        return stride(from: 0, to: batch, by: size).map { $0 ..< Swift.min(batch, $0 + size) }
    }

    /// Max over each window of each plane; `argmax` records the input offset of the first largest entry.
    static func maxPool(_ x: UnsafePointer<Float>, _ w: Window, planes: Int, into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        if w.size == 2 && w.stride == 2 {
            // The notes' 2 × 2 windows, unrolled; the same order (and first-max rule) as the loop below.
            for plane in 0..<planes {
                let base = plane * w.inputPlane, out = plane * oh * ow
                for oi in 0..<oh {
                    let top = base + 2 * oi * w.width, bottom = top + w.width
                    for oj in 0..<ow {
                        var best = top + 2 * oj, value = x[best]
                        if x[top + 2 * oj + 1] > value { best = top + 2 * oj + 1; value = x[best] }
                        if x[bottom + 2 * oj] > value { best = bottom + 2 * oj; value = x[best] }
                        if x[bottom + 2 * oj + 1] > value { best = bottom + 2 * oj + 1; value = x[best] }
                        y[out + oi * ow + oj] = value
                        argmax[out + oi * ow + oj] = Int32(best)
                    }
                }
            }
            return
        }
        for plane in 0..<planes {
            let base = plane * w.inputPlane, out = plane * oh * ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    var best = base + oi * w.stride * w.width + oj * w.stride
                    var value = x[best]
                    for ki in 0..<w.size {
                        let rowStart = base + (oi * w.stride + ki) * w.width + oj * w.stride
                        for kj in 0..<w.size where x[rowStart + kj] > value {
                            value = x[rowStart + kj]; best = rowStart + kj
                        }
                    }
                    y[out + oi * ow + oj] = value
                    argmax[out + oi * ow + oj] = Int32(best)
                }
            }
        }
    }

    static func avgPool(_ x: UnsafePointer<Float>, _ w: Window, planes: Int, into y: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let scale = 1 / Float(w.size * w.size)
        for plane in 0..<planes {
            let base = plane * w.inputPlane, out = plane * oh * ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    var sum: Float = 0
                    for ki in 0..<w.size {
                        let rowStart = base + (oi * w.stride + ki) * w.width + oj * w.stride
                        for kj in 0..<w.size { sum += x[rowStart + kj] }
                    }
                    y[out + oi * ow + oj] = sum * scale
                }
            }
        }
    }

    static func avgPoolBackward(_ dy: UnsafePointer<Float>, _ w: Window, planes: Int, into dx: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let scale = 1 / Float(w.size * w.size)
        dx.update(repeating: 0, count: planes * w.inputPlane)
        for plane in 0..<planes {
            let base = plane * w.inputPlane, out = plane * oh * ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    let share = dy[out + oi * ow + oj] * scale
                    for ki in 0..<w.size {
                        let rowStart = base + (oi * w.stride + ki) * w.width + oj * w.stride
                        for kj in 0..<w.size { dx[rowStart + kj] += share }
                    }
                }
            }
        }
    }
}

/// `cblas_sgemm` in row-major order, on one thread for small products and two for large ones
/// (OpenBLAS's threads only pay off above a few million multiply-adds).
enum BLAS {
    nonisolated(unsafe) private static var threads: Int32 = 0
    static var cores: Int { Int(available) }
    /// Set while two replicas of a network run side by side: every product then stays on its caller's thread.
    nonisolated(unsafe) static var oneThreadEach = false

    /// Runs `body(0)` and `body(1)` on two threads, each with single-threaded products, and returns both results.
    /// - Precondition: the two calls touch disjoint memory.
    static func pair<T>(_ body: (Int) -> T) -> [T] {
        if threads != 1 { openblas_set_num_threads(1); threads = 1 }
        oneThreadEach = true
        defer { oneThreadEach = false }
        var results = [T?](repeating: nil, count: 2)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let shared = body
                DispatchQueue.concurrentPerform(iterations: 2) { i in out[i] = shared(i) }
            }
        }
        return results.map { $0! }
    }
    private static let available: Int32 = {
        if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int32(text), n >= 1 { return n }
        return Int32(Swift.min(2, ProcessInfo.processInfo.activeProcessorCount))
    }()

    @inline(__always)
    static func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        let wanted: Int32 = m * n * k >= 4_000_000 && !oneThreadEach ? available : 1
        if wanted != threads { openblas_set_num_threads(wanted); threads = wanted }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Elementwise functions eight entries at a time. `Foundation.exp` is a call per entry that the
/// compiler cannot vectorize (13.7% of a LeNet-5 epoch); this exp is Cephes' `expf` polynomial
/// (relative error about 1e-7, as Float's rounding), written on `SIMD8<Float>`.
enum Vector {
    typealias V = SIMD8<Float>

    /// eˣ for x ≤ 0 (what the sigmoid and tanh below need); about 1.6e-38 below −87.
    @inline(__always) static func expNonPositive(_ value: V) -> V {
        let x = value.replacing(with: -87, where: value .< -87)
        // n = round(x·log₂e) by the 1.5·2²³ trick: adding it rounds, and its bit pattern then holds n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: V.self)
    }

    @inline(__always) static func magnitude(_ x: V) -> V { x.replacing(with: -x, where: x .< 0) }

    /// σ(x) = 1/(1 + e^(−x)), from e^(−|x|) so nothing overflows.
    @inline(__always) static func sigmoid(_ x: V) -> V {
        let e = expNonPositive(-magnitude(x))
        let positive = 1 / (1 + e)
        return positive.replacing(with: e * positive, where: x .< 0)
    }

    /// tanh x = sign(x)·(1 − e^(−2|x|)) / (1 + e^(−2|x|)); below |x| = 0.625, where 1 − e cancels,
    /// Cephes' `tanhf` odd polynomial instead.
    @inline(__always) static func tanh(_ x: V) -> V {
        let size = magnitude(x)
        let e = expNonPositive(-2 * size)
        let large = (1 - e) / (1 + e)
        let z = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = p * z * x + x
        return large.replacing(with: -large, where: x .< 0).replacing(with: small, where: size .< 0.625)
    }

    /// y[i] = f(x[i]) for i < count, eight at a time (the tail padded with zeros).
    @inline(__always) static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < count {
            var v = V(repeating: 0)
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let result = f(v)
            for j in 0..<(count - i) { y[i + j] = result[j] }
        }
    }
}
