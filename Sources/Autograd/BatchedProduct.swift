import Foundation

/// torch.matmul when either operand has more than two axes: matrices [m, k] @ [k, n] batched over
/// the leading axes, which broadcast; a vector on the left is a row [1, k] and on the right a
/// column [k, 1], whose axis is then dropped, as PyTorch does. Each batch's product goes through
/// the 2-D `Tensor.matmul`; backward accumulates each batch's products into the operand's own
/// (un-broadcast) matrix, which sums the gradient over broadcast axes.
struct BatchedProduct {
    let m: Int, k: Int, n: Int
    /// The broadcast batch axes, and the result's shape.
    let batch: [Int], shape: [Int]
    /// For each batch axis, how many matrices to step in x and in y (0 where that operand broadcasts).
    let xSteps: [Int], ySteps: [Int]
    /// The number of batches.
    let count: Int

    /// The most multiply-adds one batched product may take: more is refused before the work.
    static let maximumWork = 1 << 31

    /// The product's geometry, or nil when the operands do not fit (inner sizes, batch broadcast)
    /// or neither has more than two axes.
    init?(_ x: [Int], _ y: [Int]) {
        guard !x.isEmpty, !y.isEmpty, x.count >= 3 || y.count >= 3 else { return nil }
        let x2 = x.count == 1 ? [1] + x : x, y2 = y.count == 1 ? y + [1] : y
        (m, k, n) = (x2[x2.count - 2], x2[x2.count - 1], y2[y2.count - 1])
        guard y2[y2.count - 2] == k, let batch = Tensor.broadcastShape(Array(x2.dropLast(2)), Array(y2.dropLast(2))),
              let count = GraphLimits.entries(of: batch) else { return nil }
        self.batch = batch
        self.count = count
        func steps(_ own: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: batch.count), step = 1
            for axis in stride(from: own.count - 1, through: 0, by: -1) {
                result[axis + batch.count - own.count] = own[axis] == 1 ? 0 : step
                step *= own[axis]
            }
            return result
        }
        (xSteps, ySteps) = (steps(Array(x2.dropLast(2))), steps(Array(y2.dropLast(2))))
        shape = batch + (x.count > 1 ? [m] : []) + (y.count > 1 ? [n] : [])
    }

    /// The multiply-adds the product takes, or nil past what an `Int` counts.
    var work: Int? { GraphLimits.entries(of: [count, m, n, k]) }

    /// Which matrix of x and of y batch `index` reads.
    func matrices(_ index: Int) -> (Int, Int) {
        var rest = index, xMatrix = 0, yMatrix = 0
        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
            let position = rest % batch[axis]
            rest /= batch[axis]
            xMatrix += position * xSteps[axis]
            yMatrix += position * ySteps[axis]
        }
        return (xMatrix, yMatrix)
    }

    func slice(_ t: Tensor, matrix: Int, rows: Int, columns: Int) -> Tensor {
        let size = rows * columns
        return Tensor(shape: [rows, columns], storage: Array(t.storage[matrix * size ..< (matrix + 1) * size]))
    }

    func forward(_ x: Tensor, _ y: Tensor) -> Tensor {
        var out = [Double]()
        out.reserveCapacity(count * m * n)
        for index in 0..<count {
            let (i, j) = matrices(index)
            let product = Tensor.matmul(slice(x, matrix: i, rows: m, columns: k), slice(y, matrix: j, rows: k, columns: n))
            out += product?.storage ?? [Double](repeating: .nan, count: m * n)
        }
        return Tensor(shape: shape, storage: out)
    }

    func backward(_ x: Tensor, _ y: Tensor, _ upstream: Tensor) -> [Tensor] {
        var dx = [Double](repeating: 0, count: x.count), dy = [Double](repeating: 0, count: y.count)
        for index in 0..<count {
            let (i, j) = matrices(index)
            let g = slice(upstream, matrix: index, rows: m, columns: n)
            let a = slice(x, matrix: i, rows: m, columns: k), b = slice(y, matrix: j, rows: k, columns: n)
            if let da = Tensor.matmul(g, transposed: false, b, transposed: true) {
                for (offset, value) in da.storage.enumerated() { dx[i * m * k + offset] += value }
            }
            if let db = Tensor.matmul(a, transposed: true, g, transposed: false) {
                for (offset, value) in db.storage.enumerated() { dy[j * k * n + offset] += value }
            }
        }
        return [Tensor(shape: x.shape, storage: dx), Tensor(shape: y.shape, storage: dy)]
    }
}
