import Foundation

/// The lanes of a tensor along one axis, as PyTorch's `dim`: `outer × inner` runs of `size`
/// entries, each entry `inner` apart. `axis == nil` is one lane of every entry (a reduction over
/// everything). A lane's number is `o · inner + i`, the order of the result with the axis removed.
struct Lanes {
    let outer: Int, size: Int, inner: Int

    /// The lanes of `shape` along `axis` (already in `0..<rank`), or of every entry when nil.
    /// The shape is one the graph already holds, so its products fit in an `Int`.
    init(_ shape: [Int], axis: Int?) {
        if let axis {
            (outer, size, inner) = (Tensor.product(shape[..<axis]), shape[axis], Tensor.product(shape[(axis + 1)...]))
        } else {
            (outer, size, inner) = (1, Tensor.product(shape), 1)
        }
    }

    /// How many lanes there are.
    var count: Int { outer * inner }

    /// The entries lane by lane, each lane contiguous: `[count, size]` row-major.
    func gather(_ x: [Double]) -> [Double] {
        if inner == 1 { return x }
        var rows = [Double](repeating: 0, count: x.count)
        for o in 0..<outer {
            for k in 0..<size {
                for i in 0..<inner { rows[(o * inner + i) * size + k] = x[(o * size + k) * inner + i] }
            }
        }
        return rows
    }

    /// The inverse of `gather`: lanes written back to their places.
    func scatter(_ rows: [Double]) -> [Double] {
        if inner == 1 { return rows }
        var x = [Double](repeating: 0, count: rows.count)
        for o in 0..<outer {
            for k in 0..<size {
                for i in 0..<inner { x[(o * size + k) * inner + i] = rows[(o * inner + i) * size + k] }
            }
        }
        return x
    }

    /// One number per lane from `reduce` of the lane's entries.
    func reduce(_ x: [Double], _ reduce: (ArraySlice<Double>) -> Double) -> [Double] {
        let rows = gather(x)
        return (0..<count).map { reduce(rows[$0 * size ..< ($0 + 1) * size]) }
    }

    /// Each lane's entries mapped by `map(lane entries, lane number)` to as many entries.
    func map(_ x: [Double], _ map: (ArraySlice<Double>, Int) -> [Double]) -> [Double] {
        let rows = gather(x)
        var out = [Double]()
        out.reserveCapacity(rows.count)
        for lane in 0..<count { out += map(rows[lane * size ..< (lane + 1) * size], lane) }
        return scatter(out)
    }
}

/// The axis an `.axis` attribute names, or nil for every entry.
func axis(of attribute: OperationAttribute?) -> Int? {
    if case .axis(let axis) = attribute { return axis }
    return nil
}

/// The largest entry (NaN wins, as PyTorch's max propagates NaN).
func laneMaximum(_ lane: ArraySlice<Double>) -> Double {
    lane.reduce(-Double.infinity) { $1.isNaN || $1 > $0 ? $1 : $0 }
}

/// The smallest entry (NaN wins).
func laneMinimum(_ lane: ArraySlice<Double>) -> Double {
    lane.reduce(Double.infinity) { $1.isNaN || $1 < $0 ? $1 : $0 }
}

/// log Σ eˣ, shifted by the largest entry so large entries do not overflow (a shift of 0 when the
/// largest is infinite, as PyTorch's logsumexp).
func laneLogSumExp(_ lane: ArraySlice<Double>) -> Double {
    let largest = laneMaximum(lane)
    let shift = largest.isInfinite ? 0 : largest
    return shift + Foundation.log(lane.reduce(0) { $0 + Foundation.exp($1 - shift) })
}
