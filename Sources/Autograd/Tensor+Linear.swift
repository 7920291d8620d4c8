import Foundation

// MARK: - Matrix products and movement

extension Tensor {
    /// Products of at least this many multiply-adds (m·k·n) go to OpenBLAS; smaller ones stay in the
    /// plain loop, which is faster below it and gives the lessons' small products exactly.
    public static let blasThreshold = 32_768

    /// Matrix product with NumPy's rules for rank 1 and 2: `[m,k] @ [k,n] → [m,n]`,
    /// `[k] @ [k,n] → [n]`, `[m,k] @ [k] → [m]`, `[k] @ [k] → []`.
    /// Returns nil when the ranks or inner sizes do not fit.
    /// - Complexity: O(m·k·n).
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor? {
        guard (1...2).contains(a.rank), (1...2).contains(b.rank) else { return nil }
        let m = a.rank == 2 ? a.shape[0] : 1
        let k = a.shape[a.rank - 1]
        let bRows = b.shape[0]
        let n = b.rank == 2 ? b.shape[1] : 1
        guard k == bRows, let count = GraphLimits.entries(of: [m, n]) else { return nil }
        var out = [Double](repeating: 0, count: count)
        if (GraphLimits.entries(of: [count, k]) ?? .max) >= blasThreshold {
            // OpenBLAS's dgemm through the kernels layer: row-major C = A·B. NaN and infinity propagate as in NumPy.
            a.storage.withUnsafeBufferPointer { x in
                b.storage.withUnsafeBufferPointer { y in
                    out.withUnsafeMutableBufferPointer { z in
                        Kernels.gemm(false, false, m, n, k, x.baseAddress!, k, y.baseAddress!, n, beta: 0, z.baseAddress!, n, parallel: false)
                    }
                }
            }
            var shape: [Int] = []
            if a.rank == 2 { shape.append(m) }
            if b.rank == 2 { shape.append(n) }
            return Tensor(shape: shape, storage: out)
        }
        // Skipping a zero entry of `a` (common after relu) saves its row of products, but only when
        // `b` is finite: 0·∞ and 0·NaN are NaN, and a NaN must reach the result as NumPy's would.
        let skipsZeros = b.isFinite
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { z in
                    for i in 0..<m {
                        for p in 0..<k {
                            let xip = x[i * k + p]
                            if skipsZeros && xip == 0 { continue }
                            for j in 0..<n { z[i * n + j] += xip * y[p * n + j] }
                        }
                    }
                }
            }
        }
        var shape: [Int] = []
        if a.rank == 2 { shape.append(m) }
        if b.rank == 2 { shape.append(n) }
        return Tensor(shape: shape, storage: out)
    }

    /// `op(a) @ op(b)` for matrices, where op transposes when asked, without building the transposes:
    /// what matmul's backward needs (upstream @ yᵀ, xᵀ @ upstream). Through OpenBLAS above
    /// `blasThreshold`, else the plain loop on explicit transposes.
    public static func matmul(_ a: Tensor, transposed transposeA: Bool, _ b: Tensor, transposed transposeB: Bool) -> Tensor? {
        guard a.rank == 2, b.rank == 2 else { return nil }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2, let count = GraphLimits.entries(of: [m, n]) else { return nil }
        guard (GraphLimits.entries(of: [count, k]) ?? .max) >= blasThreshold else {
            return matmul(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
        }
        var out = [Double](repeating: 0, count: count)
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { z in
                    Kernels.gemm(transposeA, transposeB, m, n, k, x.baseAddress!, a.shape[1], y.baseAddress!, b.shape[1],
                                 beta: 0, z.baseAddress!, n, parallel: false)
                }
            }
        }
        return Tensor(shape: [m, n], storage: out)
    }

    /// The tensor with its axes in reverse order (a matrix's transpose; a vector or scalar is unchanged).
    public func transposed() -> Tensor {
        guard rank >= 2 else { return self }
        let newShape = Array(shape.reversed())
        let oldStrides = Tensor.strides(of: shape)
        let permutedStrides = Array(oldStrides.reversed())
        var out = [Double](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for position in 0..<count {
            out[position] = storage[offset]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += permutedStrides[axis]
                if index[axis] < newShape[axis] { break }
                offset -= permutedStrides[axis] * newShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: newShape, storage: out)
    }

    /// The sum of all entries (shape `[]`).
    public func sum() -> Tensor { Tensor(scalar: storage.reduce(0, +)) }

    /// The sum along `axis` (negative counts from the end), which is removed from the shape as
    /// NumPy removes it. Throws `AutogradError.invalidOperand` when the axis is out of range.
    /// - Complexity: O(entries + entries of the result); an empty tensor costs only its result.
    public func sum(alongAxis raw: Int) throws(AutogradError) -> Tensor {
        let axis = raw < 0 ? raw + rank : raw
        guard axis >= 0 && axis < rank else {
            throw .invalidOperand(operation: "sum", reason: "axis \(raw) is out of range for shape \(Tensor.describe(shape: shape))")
        }
        var newShape = shape
        newShape.remove(at: axis)
        let outer = Tensor.product(shape[..<axis]), size = shape[axis], inner = Tensor.product(shape[(axis + 1)...])
        var out = [Double](repeating: 0, count: Tensor.product(newShape))
        guard count > 0 else { return Tensor(shape: newShape, storage: out) }
        for o in 0..<outer {
            for s in 0..<size {
                let base = (o * size + s) * inner
                for i in 0..<inner { out[o * inner + i] += storage[base + i] }
            }
        }
        return Tensor(shape: newShape, storage: out)
    }

    /// Repeats this tensor along a new axis inserted at `axis` (the reverse of `sum(alongAxis:)`).
    /// - Precondition: `axis` is in `0...rank` and the result's axes do not overflow.
    public func expanded(alongAxis axis: Int, size: Int) -> Tensor {
        var newShape = shape
        newShape.insert(size, at: axis)
        guard GraphLimits.extent(of: newShape) != nil, let total = GraphLimits.entries(of: newShape) else {
            fatalError("Tensor.expanded(alongAxis:size:): the shape \(Tensor.describe(shape: newShape)) overflows")
        }
        let outer = Tensor.product(shape[..<axis])
        let inner = Tensor.product(shape[axis...])
        var out = [Double](repeating: 0, count: total)
        guard total > 0 else { return Tensor(shape: newShape, storage: out) }
        for o in 0..<outer {
            for s in 0..<size {
                for i in 0..<inner { out[(o * size + s) * inner + i] = storage[o * inner + i] }
            }
        }
        return Tensor(shape: newShape, storage: out)
    }
}

// MARK: - Indexing and slicing

/// One component of an index expression `x[...]`: a single position (drops the axis) or a slice `start:stop:step` (keeps it).
public enum IndexComponent: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// One position; negative counts from the end.
    case position(Int)
    /// A slice with NumPy semantics; nil bounds mean "from the start" / "to the end".
    case slice(start: Int?, stop: Int?, step: Int?)

    public var description: String {
        switch self {
        case .position(let i): return String(i)
        case .slice(let start, let stop, let step):
            var text = (start.map(String.init) ?? "") + ":" + (stop.map(String.init) ?? "")
            if let step { text += ":" + String(step) }
            return text
        }
    }
}

/// An index expression resolved against a shape: the source offsets it selects and the result's shape.
public struct ResolvedIndex: Sendable, Equatable, Hashable {
    /// The result's shape.
    public let shape: [Int]
    /// For each entry of the result (row-major), its offset in the source's storage.
    public let offsets: [Int]
}

extension Tensor {
    /// The positions one axis of an index selects: `count` positions from `start`, `step` apart.
    struct AxisSelection {
        let start: Int, step: Int, count: Int
        /// Whether the axis stays in the result (a slice) or is dropped (a single position).
        let kept: Bool
    }

    /// What `components` select on each axis of `shape`, with NumPy's rules, or a sentence saying
    /// what is wrong. O(rank): no list of positions is made, however long an axis is.
    static func selections(_ components: [IndexComponent], in shape: [Int]) -> Result<[AxisSelection], IndexError> {
        guard components.count <= shape.count else {
            return .failure(IndexError(message: "too many indices (\(components.count)) for shape \(describe(shape: shape))"))
        }
        var selections: [AxisSelection] = []
        for (axis, size) in shape.enumerated() {
            guard axis < components.count else {
                selections.append(AxisSelection(start: 0, step: 1, count: size, kept: true)); continue
            }
            switch components[axis] {
            case .position(let raw):
                let i = raw < 0 ? raw + size : raw
                guard i >= 0 && i < size else {
                    return .failure(IndexError(message: "index \(raw) is out of range for axis \(axis) of size \(size)"))
                }
                selections.append(AxisSelection(start: i, step: 1, count: 1, kept: false))
            case .slice(let start, let stop, let step):
                let step = step ?? 1
                guard step != 0 else { return .failure(IndexError(message: "slice step cannot be 0")) }
                guard step != .min else { return .failure(IndexError(message: "slice step \(step) is out of range")) }
                // Bounds clamp to the axis, as NumPy's do, so nothing below can overflow.
                func clamp(_ value: Int?, _ fallback: Int) -> Int {
                    guard var v = value else { return fallback }
                    if v < 0 { v = v < -size ? -size - 1 : v + size }
                    return step > 0 ? Swift.min(Swift.max(v, 0), size) : Swift.min(Swift.max(v, -1), size - 1)
                }
                let from = clamp(start, step > 0 ? 0 : size - 1)
                let to = clamp(stop, step > 0 ? size : -1)
                let span = step > 0 ? to - from : from - to
                let count = span <= 0 ? 0 : (span - 1) / Swift.abs(step) + 1
                selections.append(AxisSelection(start: from, step: step, count: count, kept: true))
            }
        }
        return .success(selections)
    }

    /// The shape `x[components]` would have, without resolving its entries: what the engine checks
    /// against its limits before `resolve` makes a list of offsets.
    public static func indexShape(_ components: [IndexComponent], in shape: [Int]) -> Result<[Int], IndexError> {
        selections(components, in: shape).map { $0.filter(\.kept).map(\.count) }
    }

    /// Resolves `components` against `shape` with NumPy's rules, or returns a sentence saying what is wrong.
    ///
    /// The offsets are made per entry of the result, never per position of an axis: an index never
    /// selects more entries than `shape` has, and an empty result has no offsets.
    /// - Precondition: `shape`'s strides fit in an `Int` (a tensor's own shape always does).
    public static func resolve(_ components: [IndexComponent], in shape: [Int]) -> Result<ResolvedIndex, IndexError> {
        let selections: [AxisSelection]
        switch self.selections(components, in: shape) {
        case .failure(let error): return .failure(error)
        case .success(let found): selections = found
        }
        let resultShape = selections.filter(\.kept).map(\.count)
        guard selections.allSatisfy({ $0.count > 0 }) else { return .success(ResolvedIndex(shape: resultShape, offsets: [])) }
        let strides = Tensor.strides(of: shape)
        var offsets = [0]
        for (axis, selection) in selections.enumerated() {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * selection.count)
            for base in offsets {
                for p in 0..<selection.count { next.append(base + (selection.start + p * selection.step) * strides[axis]) }
            }
            offsets = next
        }
        return .success(ResolvedIndex(shape: resultShape, offsets: offsets))
    }
}

/// Why an index expression does not fit a shape.
public struct IndexError: Error, Sendable, Equatable {
    /// One sentence, e.g. "index 3 is out of range for axis 0 of size 3".
    public let message: String
}
