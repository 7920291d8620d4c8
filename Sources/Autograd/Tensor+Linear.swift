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
        guard k == bRows else { return nil }
        var out = [Double](repeating: 0, count: m * n)
        if m * n * k >= blasThreshold {
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
        guard k == k2 else { return nil }
        guard m * n * k >= blasThreshold else {
            return matmul(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
        }
        var out = [Double](repeating: 0, count: m * n)
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

    /// The sum of all entries (shape `[]`), or along one axis (that axis removed, as NumPy does).
    /// - Precondition: `axis` is in `0..<rank` (normalize negative axes first).
    public func sum(alongAxis axis: Int? = nil) -> Tensor {
        guard let axis else { return Tensor(scalar: storage.reduce(0, +)) }
        let outer = shape[..<axis].reduce(1, *)
        let size = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Double](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for s in 0..<size {
                let base = (o * size + s) * inner
                for i in 0..<inner { out[o * inner + i] += storage[base + i] }
            }
        }
        var newShape = shape
        newShape.remove(at: axis)
        return Tensor(shape: newShape, storage: out)
    }

    /// Repeats this tensor along a new axis inserted at `axis` (the reverse of `sum(alongAxis:)`).
    public func expanded(alongAxis axis: Int, size: Int) -> Tensor {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[axis...].reduce(1, *)
        var out = [Double](repeating: 0, count: outer * size * inner)
        for o in 0..<outer {
            for s in 0..<size {
                for i in 0..<inner { out[(o * size + s) * inner + i] = storage[o * inner + i] }
            }
        }
        var newShape = shape
        newShape.insert(size, at: axis)
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
    /// Resolves `components` against `shape` with NumPy's rules, or returns a sentence saying what is wrong.
    public static func resolve(_ components: [IndexComponent], in shape: [Int]) -> Result<ResolvedIndex, IndexError> {
        guard components.count <= shape.count else {
            return .failure(IndexError(message: "too many indices (\(components.count)) for shape \(describe(shape: shape))"))
        }
        var axisPositions: [[Int]] = []
        var resultShape: [Int] = []
        for (axis, size) in shape.enumerated() {
            guard axis < components.count else {
                axisPositions.append(Array(0..<size)); resultShape.append(size); continue
            }
            switch components[axis] {
            case .position(let raw):
                let i = raw < 0 ? raw + size : raw
                guard i >= 0 && i < size else {
                    return .failure(IndexError(message: "index \(raw) is out of range for axis \(axis) of size \(size)"))
                }
                axisPositions.append([i])
            case .slice(let start, let stop, let step):
                let step = step ?? 1
                guard step != 0 else { return .failure(IndexError(message: "slice step cannot be 0")) }
                func clamp(_ value: Int?, _ fallback: Int) -> Int {
                    guard var v = value else { return fallback }
                    if v < 0 { v += size }
                    return step > 0 ? Swift.min(Swift.max(v, 0), size) : Swift.min(Swift.max(v, -1), size - 1)
                }
                let from = clamp(start, step > 0 ? 0 : size - 1)
                let to = clamp(stop, step > 0 ? size : -1)
                let picked = Array(Swift.stride(from: from, to: to, by: step))
                axisPositions.append(picked)
                resultShape.append(picked.count)
            }
        }
        let strides = Tensor.strides(of: shape)
        var offsets = [0]
        for (axis, positions) in axisPositions.enumerated() {
            var next: [Int] = []
            next.reserveCapacity(offsets.count * positions.count)
            for base in offsets { for p in positions { next.append(base + p * strides[axis]) } }
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
