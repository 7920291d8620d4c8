import Foundation

// MARK: - Tensor operations: products, reductions, shapes
//
// Swift has no `@` operator (`@` is not an operator character), so the matrix product is
// `matmul(a, b)` or `a.matmul(b)`. Each function records one structural node of the op table.

extension Variable {
    /// Matrix product x @ y for vectors and matrices: `[m, k] @ [k, n]` is `[m, n]`; a vector on the
    /// left is a row (`[k] @ [k, n]` is `[n]`), on the right a column (`[m, k] @ [k]` is `[m]`).
    /// ∂/∂x = upstream @ yᵀ, ∂/∂y = xᵀ @ upstream.
    /// - Precondition: the inner sizes agree (use `applying(.matmul, y)` to get a thrown error instead).
    public func matmul(_ y: Variable) -> Variable { recording(.matmul, y) }

    /// The transpose (axes reversed): `[m, n]` becomes `[n, m]`.
    public func transposed() -> Variable { recording(.transpose) }

    /// The sum of every entry, a scalar; backward copies the upstream to every entry.
    public func sum() -> Variable { recording(.sum) }
    /// The sum along `axis` (negative counts from the end), which disappears from the shape.
    public func sum(alongAxis axis: Int) -> Variable { recording(.sum, attribute: .axis(axis)) }
    /// The mean of every entry, a scalar; backward spreads upstream / n over the n entries.
    public func mean() -> Variable { recording(.mean) }
    /// The mean along `axis` (negative counts from the end), which disappears from the shape.
    public func mean(alongAxis axis: Int) -> Variable { recording(.mean, attribute: .axis(axis)) }

    /// The same entries under `shape` (one entry may be -1: whatever is left).
    public func reshaped(_ shape: [Int]) -> Variable { recording(.reshape, attribute: .shape(shape)) }

    /// log-softmax along the last axis: x − log Σ eˣ, computed without overflow.
    public func logSoftmax() -> Variable { recording(.logSoftmax) }
}

/// The matrix product x @ y (`Variable.matmul(_:)`).
public func matmul(_ x: Variable, _ y: Variable) -> Variable { x.matmul(y) }

extension Collection where Element == Variable {
    /// The sum of the variables, left to right: `self[0] + self[1] + …` (one `add` node per term
    /// after the first), as micrograd's `sum(...)` adds its `Value`s.
    /// - Precondition: the collection is not empty (an empty sum has no graph to record into).
    public func sum() -> Variable {
        guard var total = first else { Variable.stop("sum", "a sum of no variables has no graph to record into") }
        for term in dropFirst() { total = total + term }
        return total
    }
}
