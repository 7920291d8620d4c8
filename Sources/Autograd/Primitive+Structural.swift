import Foundation

// MARK: - Structural primitives: matmul, transpose, reductions, reshape, indexing
//
// Their local gradient is a Jacobian, so backward returns the vector-Jacobian product directly.
// Each movement op is paired with its inverse: sum's backward copies the upstream back out,
// reshape's reshapes it back, index's scatters it back into zeros.

extension Primitive {
    static func structural(
        _ operation: Operation, _ name: String, symbol: String, arity: Int, local: [String],
        forward: @escaping @Sendable ([Tensor], OperationAttribute?) -> Result<Tensor, AutogradError>,
        backward: @escaping @Sendable ([Tensor], Tensor, Tensor, OperationAttribute?) -> [Tensor]
    ) -> Primitive {
        Primitive(operation: operation, name: name, symbol: symbol, arity: arity, localGradient: local,
                  rule: .structural(forward: forward, backward: backward), kinkDistance: nil)
    }

    static let structuralEntries: [Primitive] = [
        /// Matrix product f = x @ y; ∂/∂x is upstream @ yᵀ and ∂/∂y is xᵀ @ upstream.
        structural(.matmul, "matmul", symbol: "@", arity: 2, local: ["upstream @ yᵀ", "xᵀ @ upstream"],
                   forward: { inputs, _ in
                       guard let product = Tensor.matmul(inputs[0], inputs[1]) else {
                           return .failure(.shapeMismatch(operation: "@", left: inputs[0].shape, right: inputs[1].shape))
                       }
                       return .success(product)
                   },
                   backward: { inputs, _, upstream, _ in
                       let (a, b) = (inputs[0], inputs[1])
                       // Promote vectors to matrices ([k] → [1,k] on the left, [k,1] on the right) and back.
                       let a2 = a.rank == 1 ? a.reshaped([1, a.shape[0]]) : a
                       let b2 = b.rank == 1 ? b.reshaped([b.shape[0], 1]) : b
                       let g2 = upstream.reshaped([a2.shape[0], b2.shape[1]])
                       let da = Tensor.matmul(g2, transposed: false, b2, transposed: true) ?? .zeros(a2.shape)
                       let db = Tensor.matmul(a2, transposed: true, g2, transposed: false) ?? .zeros(b2.shape)
                       return [da.reshaped(a.shape), db.reshaped(b.shape)]
                   }),
        /// Transpose (axes reversed); its backward is the transpose of the upstream.
        structural(.transpose, "transpose", symbol: "ᵀ", arity: 1, local: ["transpose of upstream"],
                   forward: { inputs, _ in .success(inputs[0].transposed()) },
                   backward: { _, _, upstream, _ in [upstream.transposed()] }),
        /// Sum of all entries, or along one axis; backward copies the upstream to every summed entry.
        structural(.sum, "sum", symbol: "sum", arity: 1, local: ["1 for every entry (upstream copied back)"],
                   forward: { inputs, attribute in
                       if case .axis(let axis) = attribute { return .success(inputs[0].sum(alongAxis: axis)) }
                       return .success(inputs[0].sum())
                   },
                   backward: { inputs, _, upstream, attribute in
                       let x = inputs[0]
                       if case .axis(let axis) = attribute { return [upstream.expanded(alongAxis: axis, size: x.shape[axis])] }
                       return [Tensor(repeating: upstream.scalar, shape: x.shape)]
                   }),
        /// Mean of all entries, or along one axis; backward spreads upstream / n over the n entries.
        structural(.mean, "mean", symbol: "mean", arity: 1, local: ["1/n for every entry"],
                   forward: { inputs, attribute in
                       let x = inputs[0]
                       if case .axis(let axis) = attribute {
                           let n = Double(x.shape[axis])
                           return .success(x.sum(alongAxis: axis).map { $0 / n })
                       }
                       return .success(Tensor(scalar: x.storage.reduce(0, +) / Double(x.count)))
                   },
                   backward: { inputs, _, upstream, attribute in
                       let x = inputs[0]
                       if case .axis(let axis) = attribute {
                           let n = Double(x.shape[axis])
                           return [upstream.expanded(alongAxis: axis, size: x.shape[axis]).map { $0 / n }]
                       }
                       return [Tensor(repeating: upstream.scalar / Double(x.count), shape: x.shape)]
                   }),
        /// The same entries under a new shape; backward reshapes the upstream back.
        structural(.reshape, "reshape", symbol: "reshape", arity: 1, local: ["upstream reshaped back"],
                   forward: { inputs, attribute in
                       guard case .shape(let shape) = attribute, shape.reduce(1, *) == inputs[0].count else {
                           return .failure(.invalidOperand(operation: "reshape", reason: "the new shape must keep the number of entries"))
                       }
                       return .success(inputs[0].reshaped(shape))
                   },
                   backward: { inputs, _, upstream, _ in [upstream.reshaped(inputs[0].shape)] }),
        /// The entries selected by `x[...]`; backward scatters the upstream back into zeros (repeats add up).
        structural(.index, "index", symbol: "[]", arity: 1, local: ["upstream scattered back into the selected entries"],
                   forward: { inputs, attribute in
                       guard case .index(let components) = attribute else {
                           return .failure(.invalidOperand(operation: "index", reason: "no index given"))
                       }
                       switch Tensor.resolve(components, in: inputs[0].shape) {
                       case .failure(let error): return .failure(.invalidOperand(operation: "index", reason: error.message))
                       case .success(let resolved):
                           let source = inputs[0].storage
                           return .success(Tensor(shape: resolved.shape, storage: resolved.offsets.map { source[$0] }))
                       }
                   },
                   backward: { inputs, _, upstream, attribute in
                       let x = inputs[0]
                       guard case .index(let components) = attribute,
                             case .success(let resolved) = Tensor.resolve(components, in: x.shape) else { return [.zeros(x.shape)] }
                       var gradient = Tensor.zeros(x.shape)
                       for (position, offset) in resolved.offsets.enumerated() { gradient.storage[offset] += upstream.storage[position] }
                       return [gradient]
                   }),
        /// log-softmax along the last axis, computed as x − max − log Σ exp(x − max) so large scores do
        /// not overflow; backward is upstream − softmax · Σ upstream along that axis (softmax = e^f).
        structural(.logSoftmax, "log_softmax", symbol: "log_softmax", arity: 1,
                   local: ["upstream − softmax(x) · Σ upstream (along the last axis)"],
                   forward: { inputs, _ in
                       let x = inputs[0]
                       guard x.rank >= 1, let width = x.shape.last, width > 0 else {
                           return .failure(.invalidOperand(operation: "log_softmax", reason: "needs a vector or a batch of rows, got shape \(Tensor.describe(shape: x.shape))"))
                       }
                       var out = x.storage
                       for row in stride(from: 0, to: out.count, by: width) {
                           var largest = -Double.infinity
                           for j in row..<(row + width) { largest = max(largest, out[j]) }
                           var total = 0.0
                           for j in row..<(row + width) { total += Foundation.exp(out[j] - largest) }
                           let shift = largest + Foundation.log(total)
                           for j in row..<(row + width) { out[j] -= shift }
                       }
                       return .success(Tensor(shape: x.shape, storage: out))
                   },
                   backward: { inputs, output, upstream, _ in
                       let width = inputs[0].shape.last ?? 1
                       var gradient = upstream.storage
                       for row in stride(from: 0, to: gradient.count, by: width) {
                           var total = 0.0
                           for j in row..<(row + width) { total += upstream.storage[j] }
                           for j in row..<(row + width) { gradient[j] -= Foundation.exp(output.storage[j]) * total }
                       }
                       return [Tensor(shape: inputs[0].shape, storage: gradient)]
                   }),
    ]
}
