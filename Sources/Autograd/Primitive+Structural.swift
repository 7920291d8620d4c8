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
                  rule: .structural(forward: forward, backward: backward), kinkDistance: nil, mask: nil)
    }

    static let structuralEntries: [Primitive] = [
        /// Matrix product f = x @ y (torch.matmul: batched and broadcast over leading axes when
        /// either has more than two, BatchedProduct.swift); ∂/∂x is upstream @ yᵀ and ∂/∂y is xᵀ @ upstream.
        structural(.matmul, "matmul", symbol: "@", arity: 2, local: ["upstream @ yᵀ", "xᵀ @ upstream"],
                   forward: { inputs, _ in
                       if inputs[0].rank > 2 || inputs[1].rank > 2 {
                           guard inputs[0].rank > 0, inputs[1].rank > 0, let product = BatchedProduct(inputs[0].shape, inputs[1].shape) else {
                               return .failure(.shapeMismatch(operation: "@", left: inputs[0].shape, right: inputs[1].shape))
                           }
                           guard let work = product.work, work <= BatchedProduct.maximumWork else {
                               return .failure(.invalidOperand(operation: "@", reason: "the batched product would take more than \(BatchedProduct.maximumWork) multiply-adds"))
                           }
                           return .success(product.forward(inputs[0], inputs[1]))
                       }
                       guard let product = Tensor.matmul(inputs[0], inputs[1]) else {
                           return .failure(.shapeMismatch(operation: "@", left: inputs[0].shape, right: inputs[1].shape))
                       }
                       return .success(product)
                   },
                   backward: { inputs, _, upstream, _ in
                       let (a, b) = (inputs[0], inputs[1])
                       if let batched = BatchedProduct(a.shape, b.shape) { return batched.backward(a, b, upstream) }
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
                       if case .axis(let axis) = attribute { return Result { () throws(AutogradError) in try inputs[0].sum(alongAxis: axis) } }
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
                           return Result { () throws(AutogradError) in try x.sum(alongAxis: axis).map { $0 / n } }
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
                       guard case .shape(let shape) = attribute, GraphLimits.entries(of: shape) == inputs[0].count else {
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
        /// log-softmax along one axis (PyTorch's `dim`; the last axis when none is given), computed
        /// as x − max − log Σ exp(x − max) so large scores do not overflow; backward is
        /// upstream − softmax · Σ upstream along that axis (softmax = e^f). A scalar is a 0-d tensor,
        /// one entry along its only "axis", as in PyTorch: log_softmax of it is 0 and its gradient 0.
        structural(.logSoftmax, "log_softmax", symbol: "log_softmax", arity: 1,
                   local: ["upstream − softmax(x) · Σ upstream (along dim)"],
                   forward: { inputs, attribute in logSoftmaxForward(inputs[0], axis: axis(of: attribute), name: "log_softmax") },
                   backward: { inputs, output, upstream, attribute in
                       [logSoftmaxBackward(inputs[0], output, upstream, axis: axis(of: attribute))]
                   }),
        /// Convolution of a batch x [N, C, H, W] with filters y [F, C, K, K] (cross-correlation, as
        /// in PyTorch and the notes): each window of x times each filter, summed. Through im2col and
        /// a matrix product per example; backward is the same products transposed, and col2im.
        structural(.conv2d, "conv2d", symbol: "conv2d", arity: 2, local: ["upstream correlated back through the filters (col2im of yᵀ @ upstream)", "upstream @ windows of x (im2col)ᵀ"],
                   forward: { inputs, attribute in
                       guard case .window(let size, let stride, let padding) = attribute else {
                           return .failure(.invalidOperand(operation: "conv2d", reason: "no window given"))
                       }
                       let (x, w) = (inputs[0], inputs[1])
                       guard x.rank == 4, w.rank == 4, w.shape[1] == x.shape[1], w.shape[2] == size, w.shape[3] == size else {
                           return .failure(.shapeMismatch(operation: "conv2d", left: x.shape, right: w.shape))
                       }
                       guard let geometry = Convolution(input: x.shape, size: size, stride: stride, padding: padding) else {
                           return .failure(.invalidOperand(operation: "conv2d", reason: "a \(size)×\(size) window does not fit \(Tensor.describe(shape: x.shape))"))
                       }
                       return .success(geometry.forward(x, w))
                   },
                   backward: { inputs, _, upstream, attribute in
                       guard case .window(let size, let stride, let padding) = attribute,
                             let geometry = Convolution(input: inputs[0].shape, size: size, stride: stride, padding: padding) else {
                           return [.zeros(inputs[0].shape), .zeros(inputs[1].shape)]
                       }
                       return geometry.backward(inputs[0], inputs[1], upstream)
                   }),
        /// Max-pooling of x [N, C, H, W] over square windows (padding counts as −∞, as PyTorch's);
        /// backward routes each window's upstream to its largest entry (the first one, on a tie), as
        /// PyTorch's CPU max_pool2d does.
        structural(.maxPool2d, "max_pool2d", symbol: "maxpool", arity: 1, local: ["upstream routed to each window's argmax"],
                   forward: { inputs, attribute in
                       pooling(inputs[0], attribute, "max_pool2d").map { $0.maxPool(inputs[0]).output }
                   },
                   backward: { inputs, _, upstream, attribute in
                       guard case .success(let geometry) = pooling(inputs[0], attribute, "max_pool2d") else { return [.zeros(inputs[0].shape)] }
                       let argmax = geometry.maxPool(inputs[0]).argmax
                       var gradient = Tensor.zeros(inputs[0].shape)
                       for (position, offset) in argmax.enumerated() { gradient.storage[offset] += upstream.storage[position] }
                       return [gradient]
                   }),
        /// Average pooling of x [N, C, H, W] over square windows (padding counts as zeros in the
        /// K·K divisor, PyTorch's count_include_pad=True); backward spreads each window's upstream
        /// evenly over its K·K entries.
        structural(.avgPool2d, "avg_pool2d", symbol: "avgpool", arity: 1, local: ["upstream / K² to every entry of its window"],
                   forward: { inputs, attribute in
                       pooling(inputs[0], attribute, "avg_pool2d").map { $0.averagePool(inputs[0]) }
                   },
                   backward: { inputs, _, upstream, attribute in
                       guard case .success(let geometry) = pooling(inputs[0], attribute, "avg_pool2d") else { return [.zeros(inputs[0].shape)] }
                       return [geometry.averagePoolBackward(upstream)]
                   }),
    ]
}

extension Primitive {
    /// A pooling's geometry, or why x and the window do not fit: x is [N, C, H, W], the window fits
    /// the padded planes and the padding is at most half the window (PyTorch's rule).
    static func pooling(_ x: Tensor, _ attribute: OperationAttribute?, _ name: String) -> Result<Convolution, AutogradError> {
        guard case .window(let size, let stride, let padding) = attribute, x.rank == 4 else {
            return .failure(.invalidOperand(operation: name, reason: "needs [N, C, H, W] or [C, H, W], got \(Tensor.describe(shape: x.shape))"))
        }
        guard padding >= 0, padding <= size / 2 else {
            return .failure(.invalidOperand(operation: name, reason: "padding \(padding) is more than half the \(size)×\(size) window (PyTorch's rule)"))
        }
        guard let geometry = Convolution(input: x.shape, size: size, stride: stride, padding: padding) else {
            return .failure(.invalidOperand(operation: name, reason: "a \(size)×\(size) window with stride \(stride) and padding \(padding) does not fit \(Tensor.describe(shape: x.shape))"))
        }
        return .success(geometry)
    }
}
