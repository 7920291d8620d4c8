import Foundation

/// An n-dimensional array of `Double`s in row-major order; a scalar is a tensor of shape `[]`.
///
/// ```swift
/// let m = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
/// print(m)   // Prints "[[1, 2], [3, 4]]"
/// ```
public struct Tensor: Sendable, Equatable, Hashable {
    /// The size of each axis, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The entries in row-major order; `storage.count` is the product of `shape`.
    public var storage: [Double]

    /// A tensor of the given shape over the given row-major entries.
    /// - Precondition: `storage.count` equals the product of `shape` (a programmer error otherwise).
    public init(shape: [Int], storage: [Double]) {
        precondition(shape.reduce(1, *) == storage.count, "storage does not fill shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A scalar: shape `[]`, one entry.
    public init(scalar value: Double) {
        self.shape = []
        self.storage = [value]
    }

    /// A one-dimensional tensor of the given entries.
    public init(vector values: [Double]) {
        self.shape = [values.count]
        self.storage = values
    }

    /// A tensor of the given shape with every entry equal to `value`.
    public init(repeating value: Double, shape: [Int]) {
        self.shape = shape
        self.storage = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of zeros shaped like `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// The number of entries (1 for a scalar).
    public var count: Int { storage.count }
    /// The number of axes (0 for a scalar).
    public var rank: Int { shape.count }
    /// Whether this tensor has shape `[]`.
    public var isScalar: Bool { shape.isEmpty }
    /// The single entry of a one-entry tensor; the first entry otherwise.
    public var scalar: Double { storage[0] }
    /// Whether every entry is finite (no NaN, no infinity).
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// The same entries under a new shape with the same number of entries.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }

    /// Applies `transform` to every entry.
    public func map(_ transform: (Double) -> Double) -> Tensor {
        Tensor(shape: shape, storage: storage.map(transform))
    }

    /// Row-major strides of `shape` (the step in `storage` for one step along each axis).
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// A shape written as the notes write it: `[2, 3]`, and `[]` for a scalar.
    public static func describe(shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

// MARK: - Arithmetic on whole tensors (same shape or scalar)

extension Tensor {
    /// Elementwise sum with broadcasting. - Precondition: the shapes broadcast.
    public static func + (x: Tensor, y: Tensor) -> Tensor { broadcastMap(x, y, +) }
    /// Elementwise difference with broadcasting.
    public static func - (x: Tensor, y: Tensor) -> Tensor { broadcastMap(x, y, -) }
    /// Elementwise product with broadcasting.
    public static func * (x: Tensor, y: Tensor) -> Tensor { broadcastMap(x, y, *) }
    /// Elementwise quotient with broadcasting.
    public static func / (x: Tensor, y: Tensor) -> Tensor { broadcastMap(x, y, /) }
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.map { -$0 } }

    /// Combines two tensors entry by entry under NumPy broadcasting.
    /// - Precondition: the shapes broadcast (check with `broadcastShape` first for user input).
    public static func broadcastMap(_ x: Tensor, _ y: Tensor, _ combine: (Double, Double) -> Double) -> Tensor {
        if x.shape == y.shape {
            var out = [Double](repeating: 0, count: x.count)
            x.storage.withUnsafeBufferPointer { xs in
                y.storage.withUnsafeBufferPointer { ys in
                    for i in 0..<xs.count { out[i] = combine(xs[i], ys[i]) }
                }
            }
            return Tensor(shape: x.shape, storage: out)
        }
        if y.count == 1 && y.rank <= x.rank {
            let value = y.storage[0]
            return Tensor(shape: broadcastShape(x.shape, y.shape) ?? x.shape, storage: x.storage.map { combine($0, value) })
        }
        if x.count == 1 && x.rank <= y.rank {
            let value = x.storage[0]
            return Tensor(shape: broadcastShape(x.shape, y.shape) ?? y.shape, storage: y.storage.map { combine(value, $0) })
        }
        guard let shape = broadcastShape(x.shape, y.shape) else {
            preconditionFailure("shapes \(x.shape) and \(y.shape) do not broadcast")
        }
        let xStrides = broadcastStrides(of: x.shape, to: shape)
        let yStrides = broadcastStrides(of: y.shape, to: shape)
        let count = shape.reduce(1, *)
        var out = [Double](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        var xOffset = 0, yOffset = 0
        for position in 0..<count {
            out[position] = combine(x.storage[xOffset], y.storage[yOffset])
            // Advance the multi-index like an odometer, keeping both offsets in step.
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                xOffset += xStrides[axis]
                yOffset += yStrides[axis]
                if index[axis] < shape[axis] { break }
                xOffset -= xStrides[axis] * shape[axis]
                yOffset -= yStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// The NumPy broadcast of two shapes, or nil when they do not broadcast.
    ///
    /// Shapes are aligned at their last axis; two sizes agree when equal or when one is 1.
    public static func broadcastShape(_ x: [Int], _ y: [Int]) -> [Int]? {
        let rank = max(x.count, y.count)
        var shape = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let xSize = axis < rank - x.count ? 1 : x[axis - (rank - x.count)]
            let ySize = axis < rank - y.count ? 1 : y[axis - (rank - y.count)]
            if xSize == ySize || ySize == 1 { shape[axis] = xSize }
            else if xSize == 1 { shape[axis] = ySize }
            else { return nil }
        }
        return shape
    }

    /// Strides that read a tensor of `shape` as if it had the broadcast shape `target` (0 on stretched axes).
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(of: shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { axis in
            axis < offset ? 0 : (shape[axis - offset] == 1 ? 0 : own[axis - offset])
        }
    }

    /// Sums a broadcast gradient back down to `shape`: the reverse of broadcasting.
    ///
    /// Axes that broadcasting added are summed away; axes stretched from 1 are summed with the size kept at 1.
    public func reduced(to target: [Int]) -> Tensor {
        if shape == target { return self }
        if target.reduce(1, *) == 1 {
            return Tensor(shape: target, storage: [storage.reduce(0, +)])
        }
        var out = [Double](repeating: 0, count: target.reduce(1, *))
        let targetStrides = Tensor.broadcastStrides(of: target, to: shape)
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for position in 0..<count {
            out[offset] += storage[position]
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += targetStrides[axis]
                if index[axis] < shape[axis] { break }
                offset -= targetStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: target, storage: out)
    }
}
