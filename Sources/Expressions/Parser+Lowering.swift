import Autograd

/// How each call is recorded: one primitive, or PyTorch's own decomposition of it into primitives
/// (cross_entropy is log_softmax then nll_loss; a conv2d bias is a broadcast add; [C, H, W] is a
/// batch of one), so a trace and a diagram show each step with its local gradient.
extension Parser {
    mutating func lower(_ builtin: Builtin, _ name: String, _ arguments: CallArguments,
                        at position: SourcePosition) throws(ExpressionError) -> NodeID {
        // Every tensor parameter that reaches here was given, or is optional and read with `node`.
        if case .cat = builtin.form { return try concatenate(arguments.nodes("tensors")!, dim: arguments.integer("dim") ?? 0, stacking: false, at: position) }
        if case .stack = builtin.form { return try concatenate(arguments.nodes("tensors")!, dim: arguments.integer("dim") ?? 0, stacking: true, at: position) }
        if case .whereSelect = builtin.form {
            let (condition, chosen, other) = (arguments.node("condition")!, arguments.node("input")!, arguments.node("other")!)
            let inverse = try apply(.equal, condition, graph.constant(0), at: position)
            return try apply(.add, try apply(.masked, chosen, condition, at: position), try apply(.masked, other, inverse, at: position), at: position)
        }
        let input = arguments.node("input")!
        switch builtin.form {
        case .cat, .stack, .whereSelect:
            preconditionFailure("lowered above")
        case .unary(let operation):
            return try apply(operation, input, nil, at: position)
        case .binary(let operation):
            return try apply(operation, input, arguments.node("other")!, at: position)
        case .leakyRelu:
            let slope = arguments.node("negative_slope") ?? graph.constant(0.01)
            return try apply(.leakyRelu, input, slope, at: position)
        case .reduction(let operation):
            let dim = arguments.integer("dim")
            if let dim { _ = try normalized(dim, rank: graph.shape(of: input).count, for: name, at: position) }
            let reduced = try apply(operation, input, nil, attribute: dim.map { .axis($0) }, at: position)
            return try keepingDim(reduced, of: input, dim: dim, arguments.boolean("keepdim") ?? false, at: position)
        case .softmax(let operation):
            let dim = arguments.integer("dim")
            if let dim { _ = try normalized(dim, rank: graph.shape(of: input).count, for: name, at: position) }
            return try apply(operation, input, nil, attribute: dim.map { .axis($0) }, at: position)
        case .reshape:
            return try apply(.reshape, input, nil, attribute: .shape(arguments.shape("shape")!), at: position)
        case .flatten:
            return try flatten(input, arguments, at: position)
        case .conv2d:
            return try conv2d(input, arguments, at: position)
        case .pool(let operation):
            return try pool(operation, name, input, arguments, at: position)
        case .argmax:
            return try argmax(input, arguments, at: position)
        case .transpose:
            let (first, second) = (arguments.integer("dim0"), arguments.integer("dim1"))
            guard let first, let second else {
                if first == nil && second == nil { return try apply(.transpose, input, nil, at: position) }
                throw refuse("transpose", "takes both dim0 and dim1 (two axes swapped), or neither (every axis reversed)", at: position)
            }
            let rank = graph.shape(of: input).count
            var dims = Array(0..<rank)
            let (a, b) = (try normalized(first, rank: rank, for: "transpose", at: position), try normalized(second, rank: rank, for: "transpose", at: position))
            if rank > 0 { dims.swapAt(a, b) }
            return try apply(.permute, input, nil, attribute: .permutation(dims), at: position)
        case .clamp:
            let (low, high) = (arguments.node("min"), arguments.node("max"))
            guard low != nil || high != nil else { throw refuse("clamp", "needs min or max (or both)", at: position) }
            var result = input
            if let low { result = try apply(.clampMin, result, low, at: position) }
            if let high { result = try apply(.clampMax, result, high, at: position) }
            return result
        case .permute:
            return try apply(.permute, input, nil, attribute: .permutation(arguments.shape("dims")!), at: position)
        case .unsqueeze:
            var shape = graph.shape(of: input)
            let dim = try normalized(arguments.integer("dim")!, rank: shape.count + 1, for: "unsqueeze", at: position)
            shape.insert(1, at: dim)
            return try apply(.reshape, input, nil, attribute: .shape(shape), at: position)
        case .squeeze:
            var shape = graph.shape(of: input)
            if let given = arguments.integer("dim") {
                let dim = try normalized(given, rank: shape.count, for: "squeeze", at: position)
                if dim < shape.count && shape[dim] == 1 { shape.remove(at: dim) }
            } else {
                shape.removeAll { $0 == 1 }
            }
            return try apply(.reshape, input, nil, attribute: .shape(shape), at: position)
        case .variance(let squareRoot):
            return try variance(input, arguments, squareRoot: squareRoot, at: position)
        case .loss(let loss):
            return try self.loss(loss, input, arguments.node("target")!, at: position)
        }
    }

    /// A failure of the call itself, at its name.
    func refuse(_ name: String, _ reason: String, at position: SourcePosition) -> ExpressionError {
        ExpressionError(.engine(.invalidOperand(operation: name, reason: reason)), at: position)
    }

    /// `dim` of a value of `rank` in 0..<rank (a 0-d value takes 0 and -1), or the error.
    func normalized(_ dim: Int, rank: Int, for name: String, at position: SourcePosition) throws(ExpressionError) -> Int {
        let size = Swift.max(rank, 1)
        guard dim >= -size && dim < size else {
            throw refuse(name, "dim \(dim) is out of range; here it must be from \(-size) to \(size - 1), as in PyTorch", at: position)
        }
        return dim < 0 ? dim + size : dim
    }

    /// The reduction's result with the reduced axis put back as size 1 when `keepdim` is true.
    mutating func keepingDim(_ reduced: NodeID, of input: NodeID, dim: Int?, _ keepdim: Bool,
                             at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let shape = graph.shape(of: input)
        guard keepdim, !shape.isEmpty else { return reduced }
        var kept = shape
        if let dim { kept[try normalized(dim, rank: shape.count, for: "keepdim", at: position)] = 1 } else { kept = kept.map { _ in 1 } }
        return try apply(.reshape, reduced, nil, attribute: .shape(kept), at: position)
    }

    mutating func flatten(_ input: NodeID, _ arguments: CallArguments, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let shape = graph.shape(of: input)
        if shape.isEmpty { return try apply(.reshape, input, nil, attribute: .shape([1]), at: position) }
        let start = try normalized(arguments.integer("start_dim") ?? 0, rank: shape.count, for: "flatten", at: position)
        let end = try normalized(arguments.integer("end_dim") ?? -1, rank: shape.count, for: "flatten", at: position)
        guard start <= end else { throw refuse("flatten", "start_dim \(start) comes after end_dim \(end)", at: position) }
        let merged = product(shape[start...end])
        let flat = Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...])
        return try apply(.reshape, input, nil, attribute: .shape(flat), at: position)
    }

    /// conv2d(input, weight, bias, stride, padding): a [C, H, W] input is a batch of one; the
    /// bias [F] is added as [F, 1, 1], broadcast over every position.
    mutating func conv2d(_ input: NodeID, _ arguments: CallArguments, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let weight = arguments.node("weight")!
        let (shape, kernel) = (graph.shape(of: input), graph.shape(of: weight))
        guard shape.count == 3 || shape.count == 4 else {
            throw refuse("conv2d", "the input must be [N, C, H, W] or [C, H, W], got \(Tensor.describe(shape: shape))", at: position)
        }
        guard kernel.count == 4, kernel[2] == kernel[3], kernel[1] == shape[shape.count - 3] else {
            throw refuse("conv2d", "the weight must be [F, C, K, K] with C = \(shape[shape.count - 3]) channels of the input (square kernels), got \(Tensor.describe(shape: kernel))", at: position)
        }
        let window = OperationAttribute.window(size: kernel[2], stride: arguments.integer("stride") ?? 1, padding: arguments.integer("padding") ?? 0)
        let batch = shape.count == 3 ? try apply(.reshape, input, nil, attribute: .shape([1] + shape), at: position) : input
        var output = try apply(.conv2d, batch, weight, attribute: window, at: position)
        if let bias = arguments.node("bias") {
            guard graph.shape(of: bias) == [kernel[0]] else {
                throw refuse("conv2d", "the bias must be [\(kernel[0])], one per filter, got \(Tensor.describe(shape: graph.shape(of: bias)))", at: arguments.position("bias") ?? position)
            }
            let column = try apply(.reshape, bias, nil, attribute: .shape([kernel[0], 1, 1]), at: position)
            output = try apply(.add, output, column, at: position)
        }
        guard shape.count == 3 else { return output }
        return try apply(.reshape, output, nil, attribute: .shape(Array(graph.shape(of: output).dropFirst())), at: position)
    }

    /// max_pool2d / avg_pool2d(input, kernel_size, stride = kernel_size, padding = 0).
    mutating func pool(_ operation: Operation, _ name: String, _ input: NodeID, _ arguments: CallArguments,
                       at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let shape = graph.shape(of: input)
        guard shape.count == 3 || shape.count == 4 else {
            throw refuse(name, "the input must be [N, C, H, W] or [C, H, W], got \(Tensor.describe(shape: shape))", at: position)
        }
        let size = arguments.integer("kernel_size")!
        let window = OperationAttribute.window(size: size, stride: arguments.integer("stride") ?? size, padding: arguments.integer("padding") ?? 0)
        let batch = shape.count == 3 ? try apply(.reshape, input, nil, attribute: .shape([1] + shape), at: position) : input
        let output = try apply(operation, batch, nil, attribute: window, at: position)
        guard shape.count == 3 else { return output }
        return try apply(.reshape, output, nil, attribute: .shape(Array(graph.shape(of: output).dropFirst())), at: position)
    }

    /// argmax(input, dim, keepdim): the position of the first largest entry of each lane (of the
    /// flattened value when no dim), recorded as a constant: PyTorch's result is integers, with no gradient.
    mutating func argmax(_ input: NodeID, _ arguments: CallArguments, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let x = graph.value(of: input)
        guard x.count > 0 else { throw refuse("argmax", "cannot take the argmax of an empty value", at: position) }
        var shape = x.shape, axis: Int? = nil
        if let dim = arguments.integer("dim"), !shape.isEmpty {
            let normal = try normalized(dim, rank: shape.count, for: "argmax", at: position)
            axis = normal
            if arguments.boolean("keepdim") ?? false { shape[normal] = 1 } else { shape.remove(at: normal) }
        } else {
            shape = (arguments.boolean("keepdim") ?? false) ? shape.map { _ in 1 } : []
        }
        // Lanes along the axis: outer × inner runs of `size` entries, `inner` apart (a NaN wins, the first one).
        let size = axis.map { x.shape[$0] } ?? x.count
        let inner = axis.map { product(x.shape[($0 + 1)...]) } ?? 1
        let outer = x.count / Swift.max(size * inner, 1)
        var positions: [Double] = []
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0, value = x.storage[o * size * inner + i]
                for k in 1..<Swift.max(size, 1) where !value.isNaN {
                    let v = x.storage[(o * size + k) * inner + i]
                    if v.isNaN || v > value { best = k; value = v }
                }
                positions.append(Double(best))
            }
        }
        return graph.constant(Tensor(shape: shape, storage: positions))
    }

    /// cat: the values joined along dim, pairwise from the left; stack: each given a new axis at dim first.
    mutating func concatenate(_ values: [NodeID], dim: Int, stacking: Bool, at position: SourcePosition) throws(ExpressionError) -> NodeID {
        var parts = values
        if stacking {
            let shape = graph.shape(of: values[0])
            let axis = try normalized(dim, rank: shape.count + 1, for: "stack", at: position)
            parts = []
            for value in values {
                var expanded = graph.shape(of: value)
                guard expanded == shape else {
                    throw refuse("stack", "every value must have the same shape, got \(Tensor.describe(shape: shape)) and \(Tensor.describe(shape: expanded))", at: position)
                }
                expanded.insert(1, at: axis)
                parts.append(try apply(.reshape, value, nil, attribute: .shape(expanded), at: position))
            }
        }
        var result = parts[0]
        for part in parts.dropFirst() { result = try apply(.concatenate, result, part, attribute: .axis(dim), at: position) }
        return result
    }

    /// var / std: Σ (x − mean)² / (n − correction) over dim (or everything), as PyTorch's formula.
    mutating func variance(_ input: NodeID, _ arguments: CallArguments, squareRoot: Bool,
                           at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let shape = graph.shape(of: input)
        var dim: Int?
        if let given = arguments.integer("dim") { dim = try normalized(given, rank: shape.count, for: squareRoot ? "std" : "var", at: position) }
        let axis: OperationAttribute? = shape.isEmpty ? nil : dim.map { .axis($0) }
        let n = axis == nil ? product(shape) : shape[dim!]
        let mean = try keepingDim(try apply(.mean, input, nil, attribute: axis, at: position), of: input, dim: dim, true, at: position)
        let deviation = try apply(.subtract, input, mean, at: position)
        let squares = try apply(.power, deviation, graph.constant(2), at: position)
        let total = try apply(.sum, squares, nil, attribute: axis, at: position)
        let divided = try apply(.divide, total, graph.constant(Double(n - (arguments.integer("correction") ?? 1))), at: position)
        let result = squareRoot ? try apply(.sqrt, divided, nil, at: position) : divided
        return try keepingDim(result, of: input, dim: dim, arguments.boolean("keepdim") ?? false, at: position)
    }

    /// The losses of torch.nn.functional with their default reduction, the mean, each written as
    /// PyTorch computes it.
    mutating func loss(_ loss: Builtin.Loss, _ input: NodeID, _ target: NodeID,
                       at position: SourcePosition) throws(ExpressionError) -> NodeID {
        let shape = graph.shape(of: input)
        switch loss {
        case .crossEntropy:
            // Class probabilities when the target has the input's shape, class indices otherwise.
            let classDim = shape.count == 1 ? 0 : 1
            let logs = try apply(.logSoftmax, input, nil, attribute: shape.isEmpty ? nil : .axis(classDim), at: position)
            let targetShape = graph.shape(of: target)
            guard shape.count >= 1, targetShape == shape else {
                // Class indices: name the call the student wrote, not the nll_loss it is lowered to.
                guard (shape.count == 2 && targetShape == [shape[0]]) || (shape.count == 1 && targetShape.isEmpty) else {
                    throw refuse("cross_entropy", "takes logits [N, C] with class indices [N] (or probabilities of the logits' shape), "
                                 + "or logits [C] with one class index; got \(Tensor.describe(shape: shape)) and \(Tensor.describe(shape: targetShape))",
                                 at: position)
                }
                do { return try apply(.nllLoss, logs, target, at: position) } catch {
                    // A class index out of range: the student wrote cross_entropy, so the error says so.
                    guard case .engine(.invalidOperand(operation: "nll_loss", let reason)) = error.kind else { throw error }
                    throw refuse("cross_entropy", reason, at: position)
                }
            }
            let total = try apply(.sum, try apply(.multiply, target, logs, at: position), nil, at: position)
            let negated = try apply(.negate, total, nil, at: position)
            return shape.count == 1 ? negated : try apply(.divide, negated, graph.constant(Double(shape[0])), at: position)
        case .nll:
            return try apply(.nllLoss, input, target, at: position)
        case .mse:
            let difference = try apply(.subtract, input, target, at: position)
            return try apply(.mean, try apply(.power, difference, graph.constant(2), at: position), nil, at: position)
        case .l1:
            return try apply(.mean, try apply(.abs, try apply(.subtract, input, target, at: position), nil, at: position), nil, at: position)
        case .binaryCrossEntropy:
            // −(y·log p + (1 − y)·log(1 − p)), averaged.
            let one = graph.constant(1)
            let hit = try apply(.multiply, target, try apply(.log, input, nil, at: position), at: position)
            let missed = try apply(.multiply, try apply(.subtract, one, target, at: position),
                                   try apply(.log, try apply(.subtract, one, input, at: position), nil, at: position), at: position)
            let total = try apply(.negate, try apply(.add, hit, missed, at: position), nil, at: position)
            return try apply(.mean, total, nil, at: position)
        case .binaryCrossEntropyWithLogits:
            // softplus(x) − x·y = −(y·log σ(x) + (1 − y)·log(1 − σ(x))), without overflow; averaged.
            let terms = try apply(.subtract, try apply(.softplus, input, nil, at: position),
                                  try apply(.multiply, input, target, at: position), at: position)
            return try apply(.mean, terms, nil, at: position)
        }
    }
}

/// The product of sizes the graph already holds (so it fits in an `Int`).
private func product(_ sizes: some Sequence<Int>) -> Int { sizes.reduce(1, *) }
