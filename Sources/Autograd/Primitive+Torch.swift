import Foundation

// MARK: - Structural primitives added for PyTorch's names: softmax, amax/amin, logsumexp, nll_loss
//
// Each works along one axis (PyTorch's `dim`, the `.axis` attribute) or over every entry (no
// attribute), through `Lanes`. Their backward follows PyTorch's autograd formulas
// (tools/autograd/derivatives.yaml), named beside each entry.

extension Primitive {
    /// A lane reduction (one number per lane) with its backward, per lane: given the lane's
    /// entries, its result and its upstream, the gradient of each entry.
    static func laneReduction(
        _ operation: Operation, _ name: String, local: String,
        forward: @escaping @Sendable (ArraySlice<Double>) -> Double,
        backward: @escaping @Sendable (ArraySlice<Double>, Double, Double) -> [Double]
    ) -> Primitive {
        structural(operation, name, symbol: name, arity: 1, local: [local],
                   forward: { inputs, attribute in
                       let x = inputs[0], lanes = Lanes(x.shape, axis: axis(of: attribute))
                       guard lanes.size > 0 else {
                           return .failure(.invalidOperand(operation: name, reason: "cannot reduce an empty axis of \(Tensor.describe(shape: x.shape))"))
                       }
                       var shape = x.shape
                       if let axis = axis(of: attribute) { shape.remove(at: axis) } else { shape = [] }
                       return .success(Tensor(shape: shape, storage: lanes.reduce(x.storage, forward)))
                   },
                   backward: { inputs, output, upstream, attribute in
                       let x = inputs[0], lanes = Lanes(x.shape, axis: axis(of: attribute))
                       let gradient = lanes.map(x.storage) { lane, number in
                           backward(lane, output.storage[number], upstream.storage[number])
                       }
                       return [Tensor(shape: x.shape, storage: gradient)]
                   })
    }

    /// amax/amin's backward: the upstream split evenly among the entries equal to the result
    /// (PyTorch's `amax`/`amin` backward: `grad · (x == result) / count(x == result)`).
    @Sendable static func evenSplit(_ lane: ArraySlice<Double>, _ result: Double, _ upstream: Double) -> [Double] {
        let ties = lane.reduce(0) { $0 + ($1 == result ? 1 : 0) }
        return lane.map { $0 == result && ties > 0 ? upstream / Double(ties) : 0 }
    }

    static let torchEntries: [Primitive] = [
        /// softmax along an axis: e^(x − max) / Σ e^(x − max), computed as exp(log_softmax); backward
        /// f · (upstream − Σ upstream · f) (PyTorch's `_softmax_backward_data`).
        structural(.softmax, "softmax", symbol: "softmax", arity: 1,
                   local: ["softmax(x) · (upstream − Σ upstream · softmax(x)) (along dim)"],
                   forward: { inputs, attribute in
                       let x = inputs[0]
                       switch logSoftmaxForward(x, axis: axis(of: attribute), name: "softmax") {
                       case .failure(let error): return .failure(error)
                       case .success(let logs): return .success(logs.map { Foundation.exp($0) })
                       }
                   },
                   backward: { inputs, output, upstream, attribute in
                       let lanes = Lanes(inputs[0].shape, axis: axis(of: attribute) ?? (inputs[0].rank == 0 ? nil : inputs[0].rank - 1))
                       let f = lanes.gather(output.storage), g = lanes.gather(upstream.storage)
                       var rows = [Double](repeating: 0, count: f.count)
                       for lane in 0..<lanes.count {
                           let range = lane * lanes.size ..< (lane + 1) * lanes.size
                           let dot = range.reduce(0) { $0 + g[$1] * f[$1] }
                           for j in range { rows[j] = f[j] * (g[j] - dot) }
                       }
                       return [Tensor(shape: inputs[0].shape, storage: lanes.scatter(rows))]
                   }),
        laneReduction(.amax, "amax", local: "upstream split evenly among the largest entries",
                      forward: laneMaximum, backward: evenSplit),
        laneReduction(.amin, "amin", local: "upstream split evenly among the smallest entries",
                      forward: laneMinimum, backward: evenSplit),
        // ∂/∂x logsumexp = e^(x − f), the softmax (PyTorch's `logsumexp_backward`).
        laneReduction(.logsumexp, "logsumexp", local: "exp(x − f), the softmax (along dim)",
                      forward: laneLogSumExp,
                      backward: { lane, result, upstream in lane.map { upstream * Foundation.exp($0 - result) } }),
        /// The mean negative log-likelihood of the target classes: x is [N, C] log-probabilities with
        /// y [N] class indices, or x [C] with y a 0-d index; −(1/N) Σₙ x[n, yₙ]. Backward sends
        /// −upstream/N to each x[n, yₙ] and nothing elsewhere (PyTorch's `nll_loss_backward`); the
        /// class indices get no gradient (PyTorch's are integers), shown as 0.
        structural(.nllLoss, "nll_loss", symbol: "nll_loss", arity: 2,
                   local: ["−upstream/N at each target class, 0 elsewhere", "0 (class indices)"],
                   forward: { inputs, _ in
                       switch targets(inputs[0], inputs[1]) {
                       case .failure(let error): return .failure(error)
                       case .success(let picked):
                           let x = inputs[0].storage
                           let total = picked.reduce(0.0) { $0 + x[$1] }
                           return .success(Tensor(scalar: -total / Double(Swift.max(picked.count, 1))))
                       }
                   },
                   backward: { inputs, _, upstream, _ in
                       var gradient = Tensor.zeros(inputs[0].shape)
                       guard case .success(let picked) = targets(inputs[0], inputs[1]) else { return [gradient, .zeros(inputs[1].shape)] }
                       let share = -upstream.scalar / Double(Swift.max(picked.count, 1))
                       for offset in picked { gradient.storage[offset] += share }
                       return [gradient, .zeros(inputs[1].shape)]
                   }),
        /// The axes in a new order (PyTorch's permute; transpose(x, d0, d1) swaps two); backward
        /// puts the upstream's axes back in the inverse order.
        structural(.permute, "permute", symbol: "permute", arity: 1, local: ["upstream with the axes put back"],
                   forward: { inputs, attribute in
                       guard case .permutation(let dims) = attribute else {
                           return .failure(.invalidOperand(operation: "permute", reason: "no order of the axes given"))
                       }
                       return .success(permuted(inputs[0], dims))
                   },
                   backward: { _, _, upstream, attribute in
                       guard case .permutation(let dims) = attribute else { return [upstream] }
                       var inverse = dims
                       for (position, axis) in dims.enumerated() { inverse[axis] = position }
                       return [permuted(upstream, inverse)]
                   }),
        /// x and y joined along an axis (the other axes equal); backward splits the upstream.
        structural(.concatenate, "cat", symbol: "cat", arity: 2, local: ["upstream's part for x", "upstream's part for y"],
                   forward: { inputs, attribute in
                       let (x, y) = (inputs[0], inputs[1])
                       guard case .axis(let axis) = attribute, x.rank == y.rank, x.rank > 0,
                             (0..<x.rank).allSatisfy({ $0 == axis || x.shape[$0] == y.shape[$0] }) else {
                           return .failure(.shapeMismatch(operation: "cat", left: x.shape, right: y.shape))
                       }
                       let (first, second) = (Lanes(x.shape, axis: axis), Lanes(y.shape, axis: axis))
                       let (a, b) = (first.size * first.inner, second.size * second.inner)
                       var out: [Double] = []
                       out.reserveCapacity(x.count + y.count)
                       for o in 0..<first.outer {
                           out += x.storage[o * a ..< (o + 1) * a]
                           out += y.storage[o * b ..< (o + 1) * b]
                       }
                       var shape = x.shape
                       shape[axis] += y.shape[axis]
                       return .success(Tensor(shape: shape, storage: out))
                   },
                   backward: { inputs, _, upstream, attribute in
                       let (x, y) = (inputs[0], inputs[1])
                       guard case .axis(let axis) = attribute else { return [.zeros(x.shape), .zeros(y.shape)] }
                       let (first, second) = (Lanes(x.shape, axis: axis), Lanes(y.shape, axis: axis))
                       let (a, b) = (first.size * first.inner, second.size * second.inner)
                       var dx: [Double] = [], dy: [Double] = []
                       for o in 0..<first.outer {
                           dx += upstream.storage[o * (a + b) ..< o * (a + b) + a]
                           dy += upstream.storage[o * (a + b) + a ..< (o + 1) * (a + b)]
                       }
                       return [Tensor(shape: x.shape, storage: dx), Tensor(shape: y.shape, storage: dy)]
                   }),
    ]

    /// x with its axes in the order `dims` (a permutation of 0..<rank): result axis i is x's axis dims[i].
    static func permuted(_ x: Tensor, _ dims: [Int]) -> Tensor {
        let shape = dims.map { x.shape[$0] }
        let strides = Tensor.strides(of: x.shape)
        let steps = dims.map { strides[$0] }
        var out = [Double](repeating: 0, count: x.count)
        var index = [Int](repeating: 0, count: shape.count)
        for position in 0..<x.count {
            var offset = 0
            for axis in 0..<shape.count { offset += index[axis] * steps[axis] }
            out[position] = x.storage[offset]
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// The offsets in x of each example's target class, or why the target does not fit.
    static func targets(_ x: Tensor, _ y: Tensor) -> Result<[Int], AutogradError> {
        let batched = x.rank == 2 && y.rank == 1 && y.shape[0] == x.shape[0]
        guard batched || (x.rank == 1 && y.rank == 0) else {
            return .failure(.invalidOperand(operation: "nll_loss", reason: "takes input [N, C] with target [N], or input [C] with a 0-d target; got \(Tensor.describe(shape: x.shape)) and \(Tensor.describe(shape: y.shape))"))
        }
        let classes = x.shape[x.rank - 1]
        var offsets: [Int] = []
        for (n, value) in y.storage.enumerated() {
            guard value == value.rounded(), value >= 0, value < Double(classes) else {
                return .failure(.invalidOperand(operation: "nll_loss", reason: "target \(TraceFormat.number(value)) is not a class index from 0 to \(classes - 1)"))
            }
            offsets.append(n * classes + Int(value))
        }
        return .success(offsets)
    }

    /// log-softmax along `axis` (nil: the last axis; a 0-d tensor is one entry), through the
    /// kernel's row loop on the gathered lanes.
    static func logSoftmaxForward(_ x: Tensor, axis: Int?, name: String) -> Result<Tensor, AutogradError> {
        let lanes = Lanes(x.shape, axis: axis ?? (x.rank == 0 ? nil : x.rank - 1))
        guard x.count > 0 else {
            return .failure(.invalidOperand(operation: name, reason: "needs at least one entry along its dim, got shape \(Tensor.describe(shape: x.shape))"))
        }
        let rows = lanes.gather(x.storage)
        var out = [Double](repeating: 0, count: rows.count)
        rows.withUnsafeBufferPointer { Kernels.logSoftmax($0.baseAddress!, rows: lanes.count, width: lanes.size, into: &out) }
        return .success(Tensor(shape: x.shape, storage: lanes.scatter(out)))
    }

    /// log-softmax's backward along `axis`: upstream − softmax · Σ upstream, lane by lane.
    static func logSoftmaxBackward(_ x: Tensor, _ output: Tensor, _ upstream: Tensor, axis: Int?) -> Tensor {
        let lanes = Lanes(x.shape, axis: axis ?? (x.rank == 0 ? nil : x.rank - 1))
        let y = lanes.gather(output.storage), g = lanes.gather(upstream.storage)
        var gradient = [Double](repeating: 0, count: g.count)
        y.withUnsafeBufferPointer { ys in
            g.withUnsafeBufferPointer { gs in
                Kernels.logSoftmaxBackward(ys.baseAddress!, gs.baseAddress!, rows: lanes.count, width: lanes.size, into: &gradient)
            }
        }
        return Tensor(shape: x.shape, storage: lanes.scatter(gradient))
    }
}
