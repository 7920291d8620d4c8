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
    /// - Precondition: `storage.count` equals the product of `shape`, and the product of the axes
    ///   with zeros counted as 1 fits in an `Int`, so no stride overflows (a programmer error
    ///   otherwise). For a shape that comes from data, use `init(validatingShape:storage:)`.
    public init(shape: [Int], storage: [Double]) {
        guard GraphLimits.extent(of: shape) != nil, GraphLimits.entries(of: shape) == storage.count else {
            fatalError("Tensor(shape:storage:): \(storage.count) entries do not fill shape \(Tensor.describe(shape: shape)), or its axes overflow; use Tensor(validatingShape:storage:) for a shape from data")
        }
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape over the given row-major entries, or a thrown
    /// `AutogradError.invalidOperand` when the shape has more than `GraphLimits.maximumRank` axes,
    /// a negative axis, axes whose product overflows, or not `storage.count` entries.
    public init(validatingShape shape: [Int], storage: [Double]) throws(AutogradError) {
        if let problem = GraphLimits.unlimited.problem(with: shape) {
            throw .invalidOperand(operation: "tensor", reason: problem)
        }
        guard GraphLimits.entries(of: shape) == storage.count else {
            throw .invalidOperand(operation: "tensor", reason: "\(storage.count) entries do not fill the shape \(Tensor.describe(shape: shape))")
        }
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
    /// - Precondition: the shape's axes are not negative and do not overflow (see `init(shape:storage:)`).
    public init(repeating value: Double, shape: [Int]) {
        guard GraphLimits.extent(of: shape) != nil, let count = GraphLimits.entries(of: shape) else {
            fatalError("Tensor(repeating:shape:): the shape \(Tensor.describe(shape: shape)) has a negative axis or overflows")
        }
        self.shape = shape
        self.storage = Array(repeating: value, count: count)
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
    ///
    /// A tensor's own shape always has strides (its initializers check the axes); for any other
    /// shape, ask `GraphLimits.strides(of:)`, which returns nil instead of stopping.
    /// - Precondition: the strides fit in an `Int`.
    public static func strides(of shape: [Int]) -> [Int] {
        guard let strides = GraphLimits.strides(of: shape) else {
            fatalError("Tensor.strides(of:): the strides of \(describe(shape: shape)) do not fit in an integer")
        }
        return strides
    }

    /// The product of some of a tensor's axes (the entries before or after an axis), with checked
    /// arithmetic. A tensor's axes always multiply without overflow (its initializers check), so
    /// nil here is a mistake in the engine: it stops with a sentence instead of wrapping around.
    static func product(_ axes: some Sequence<Int>) -> Int {
        guard let product = GraphLimits.entries(of: axes) else {
            fatalError("the axes \(Array(axes)) do not multiply to an integer; every tensor's shape is checked before it is made")
        }
        return product
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

    /// Combines two tensors entry by entry under NumPy broadcasting, or throws
    /// `AutogradError.shapeMismatch` when the shapes do not broadcast and `.invalidOperand` when the
    /// result would pass `limits` (`GraphLimits.standard` unless given). Nothing is allocated first.
    public static func broadcasting(_ x: Tensor, _ y: Tensor, limits: GraphLimits = .standard, symbol: String = "broadcast",
                                    _ combine: (Double, Double) -> Double) throws(AutogradError) -> Tensor {
        guard let shape = broadcastShape(x.shape, y.shape) else {
            throw .shapeMismatch(operation: symbol, left: x.shape, right: y.shape)
        }
        if let problem = limits.problem(with: shape) { throw .invalidOperand(operation: symbol, reason: problem) }
        return broadcastMap(x, y, combine)
    }

    /// Combines two tensors entry by entry under NumPy broadcasting.
    /// - Precondition: the shapes broadcast and the result fits in memory (a programmer error, like
    ///   an array index out of range; `broadcasting(_:_:limits:symbol:_:)` throws instead).
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
        guard let shape = broadcastShape(x.shape, y.shape), let count = GraphLimits.entries(of: shape),
              GraphLimits.extent(of: shape) != nil else {
            fatalError("\(AutogradError.shapeMismatch(operation: "broadcast", left: x.shape, right: y.shape))")
        }
        let xStrides = broadcastStrides(of: x.shape, to: shape)
        let yStrides = broadcastStrides(of: y.shape, to: shape)
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
        // `target` broadcasts to this tensor's shape, so it has no more entries than this one.
        guard let targetCount = GraphLimits.entries(of: target), GraphLimits.extent(of: target) != nil else {
            fatalError("Tensor.reduced(to:): the shape \(Tensor.describe(shape: target)) overflows")
        }
        if targetCount == 1 {
            return Tensor(shape: target, storage: [storage.reduce(0, +)])
        }
        var out = [Double](repeating: 0, count: targetCount)
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
