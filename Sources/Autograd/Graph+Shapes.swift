import Foundation

// MARK: - The shape of a structural result, known before its work
//
// `applyGeneral` checks this shape against the graph's limits before the forward rule allocates
// anything (GraphLimits.swift). nil means the forward rule will refuse the operands itself.

extension Graph {
    /// The shape `operation` will give on operands of `shapes` with the validated `attribute`.
    static func resultShape(of operation: Operation, _ shapes: [[Int]], _ attribute: OperationAttribute?) -> [Int]? {
        guard let x = shapes.first else { return nil }
        switch operation {
        case .matmul:
            if shapes.count == 2, x.count > 2 || shapes[1].count > 2 { return BatchedProduct(x, shapes[1])?.shape }
            guard shapes.count == 2, (1...2).contains(x.count), (1...2).contains(shapes[1].count) else { return nil }
            let y = shapes[1]
            guard x[x.count - 1] == y[0] else { return nil }
            return (x.count == 2 ? [x[0]] : []) + (y.count == 2 ? [y[1]] : [])
        case .transpose:
            return x.count >= 2 ? Array(x.reversed()) : x
        case .sum, .mean, .amax, .amin, .logsumexp:
            guard case .axis(let axis) = attribute else { return [] }
            guard axis >= 0 && axis < x.count else { return nil }
            var shape = x
            shape.remove(at: axis)
            return shape
        case .reshape:
            guard case .shape(let shape) = attribute else { return nil }
            return shape
        case .index:
            guard case .index(let components) = attribute, case .success(let shape) = Tensor.indexShape(components, in: x) else { return nil }
            return shape
        case .logSoftmax, .softmax:
            return x
        case .nllLoss:
            return []
        case .concatenate:
            guard shapes.count == 2, case .axis(let axis) = attribute, x.indices.contains(axis), shapes[1].count == x.count else { return nil }
            var shape = x
            let (sum, overflow) = x[axis].addingReportingOverflow(shapes[1][axis])
            guard !overflow else { return nil }
            shape[axis] = sum
            return shape
        case .permute:
            guard case .permutation(let dims) = attribute, dims.allSatisfy({ x.indices.contains($0) }) else { return nil }
            return dims.map { x[$0] }
        case .conv2d:
            guard shapes.count == 2, shapes[1].count == 4, case .window(let size, let stride, let padding) = attribute,
                  let geometry = Convolution(input: x, size: size, stride: stride, padding: padding) else { return nil }
            return [geometry.batch, shapes[1][0], geometry.outHeight, geometry.outWidth]
        case .maxPool2d, .avgPool2d:
            guard case .window(let size, let stride, let padding) = attribute,
                  let geometry = Convolution(input: x, size: size, stride: stride, padding: padding) else { return nil }
            return [geometry.batch, geometry.channels, geometry.outHeight, geometry.outWidth]
        default:
            return nil
        }
    }

    /// Refuses a convolution whose unfolded windows (im2col: C·K·K rows, H'·W' columns, one example
    /// at a time) would pass the limit per value: a working buffer the result's shape does not show.
    func checkConvolutionColumns(_ shapes: [[Int]], _ attribute: OperationAttribute?) throws(AutogradError) {
        guard let x = shapes.first, case .window(let size, let stride, let padding) = attribute,
              let geometry = Convolution(input: x, size: size, stride: stride, padding: padding) else { return }
        let columns = [geometry.channels, size, size, geometry.outHeight, geometry.outWidth]
        guard let count = GraphLimits.entries(of: columns), count <= limits.entriesPerValue else {
            throw .invalidOperand(operation: "conv2d", reason: "its unfolded windows (C·K·K × H′·W′ = \(columns.map(String.init).joined(separator: "·"))) would pass the limit of \(limits.entriesPerValue) entries per value")
        }
    }

    /// Refuses a pooling whose windows hold more entries in all (N·C·H′·W′·K·K, the work of its
    /// loops) than the limit per program: overlapping windows of a large image are each read whole.
    func checkPoolingWindows(_ shapes: [[Int]], _ attribute: OperationAttribute?, for name: String) throws(AutogradError) {
        guard let x = shapes.first, case .window(let size, let stride, let padding) = attribute,
              let geometry = Convolution(input: x, size: size, stride: stride, padding: padding) else { return }
        let windows = [geometry.batch, geometry.channels, geometry.outHeight, geometry.outWidth, size, size]
        guard let count = GraphLimits.entries(of: windows), count <= limits.entriesPerGraph else {
            throw .invalidOperand(operation: name, reason: "its windows (N·C·H′·W′·K·K = \(windows.map(String.init).joined(separator: "·"))) would pass the limit of \(limits.entriesPerGraph) entries per program")
        }
    }
}
