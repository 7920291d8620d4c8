import Foundation

/// The loss that compares a batch of scores `s` [B, C] (B examples, C classes) with their labels y.
///
/// Every loss is a mean. The classification losses (cross_entropy, nll, hinge) average over the B
/// examples; the losses against a one-hot target t (mse, mae, bce) average over all B·C entries,
/// as PyTorch's `reduction='mean'` does.
public enum LossKind: String, CaseIterable, Sendable {
    /// −log softmax(s)_y: applies log-softmax to the scores, as PyTorch's `CrossEntropyLoss`.
    case crossEntropy = "cross_entropy"
    /// −s_y: the scores are already log-probabilities (a model ending in log_softmax), as `NLLLoss`.
    case nll
    /// (s − t)², with t the one-hot target, averaged over all entries, as `MSELoss`.
    case mse
    /// |s − t|, with t the one-hot target, averaged over all entries, as `L1Loss` (gradient 0 where s = t).
    case mae
    /// −t·log σ(s) − (1 − t)·log(1 − σ(s)) = softplus(s) − s·t, averaged over all entries, as
    /// `BCEWithLogitsLoss`: the logistic is applied to the scores inside, so it never overflows.
    case binaryCrossEntropy = "bce"
    /// The multiclass SVM loss of the notes (001), Σ_{j≠y} max(0, s_j − s_y + 1), averaged over the
    /// batch (margin 1; PyTorch's `MultiMarginLoss` would also divide by C). A margin of exactly 0 has gradient 0.
    case hinge

    /// Whether the loss averages over all B·C entries (mse, mae, bce) rather than over the B examples.
    public var averagesOverEntries: Bool {
        switch self {
        case .mse, .mae, .binaryCrossEntropy: return true
        case .crossEntropy, .nll, .hinge: return false
        }
    }
}

// MARK: - The fast kernel

/// The mean loss of a batch and its gradient with respect to the scores, in one pass without allocation.
///
/// Per row s with label y and one-hot target t, before the mean (÷B or ÷B·C, see `LossKind`):
///
///     cross_entropy  log Σ_j e^(s_j) − s_y             ∂/∂s_j = softmax(s)_j − t_j
///     nll            −s_y                               ∂/∂s_j = −t_j
///     mse            Σ_j (s_j − t_j)²                   ∂/∂s_j = 2 (s_j − t_j)
///     mae            Σ_j |s_j − t_j|                    ∂/∂s_j = sign(s_j − t_j), 0 at 0
///     bce            Σ_j softplus(s_j) − s_j t_j        ∂/∂s_j = σ(s_j) − t_j
///     hinge          Σ_{j≠y} max(0, s_j − s_y + 1)      ∂/∂s_j = [margin_j > 0] (j ≠ y), ∂/∂s_y = −#{j : margin_j > 0}
///
/// The log-sum-exp subtracts the row's largest score first, and softplus(x) is computed as
/// max(x, 0) + log(1 + e^(−|x|)), so large scores neither overflow nor lose the loss.
/// The sums run in Double whatever `Scalar` is; the gradient is written in `Scalar`.
///
/// ```swift
/// let scores: [Double] = [-5, -1, 1, 5]   // notes 004's outputs, label 3
/// var gradient = [Double](repeating: 0, count: 4)
/// let loss = scores.withUnsafeBufferPointer { s in gradient.withUnsafeMutableBufferPointer { g in
///     lossAndGradient(.crossEntropy, scores: s, labels: [3], classes: 4, gradient: g) } }
/// print(loss)   // Prints "0.020625..." (the notes print 0.020621, from a rounded 0.97959)
/// ```
/// - Parameters:
///   - scores: B·C scores, row-major [B, C].
///   - labels: the B labels, each in 0..<classes.
///   - classes: C.
///   - gradient: B·C entries, overwritten with ∂loss/∂scores.
/// - Returns: the mean loss.
/// - Precondition: the counts agree, the batch is not empty and every label is in range (the
///   caller validates a data set's labels against the model's outputs first; `record` throws instead).
/// - Complexity: O(B·C).
@inlinable
public func lossAndGradient<Scalar: BinaryFloatingPoint>(
    _ kind: LossKind, scores: UnsafeBufferPointer<Scalar>, labels: some Collection<Int>, classes: Int,
    gradient: UnsafeMutableBufferPointer<Scalar>
) -> Double {
    let batch = labels.count
    precondition(batch > 0 && classes > 0, "an empty batch has no mean loss")
    precondition(scores.count == batch * classes && gradient.count == scores.count,
                 "\(batch) labels × \(classes) classes need as many scores and gradients, got \(scores.count) and \(gradient.count)")
    let scale = kind.averagesOverEntries ? 1 / Double(batch * classes) : 1 / Double(batch)
    var total = 0.0
    for (row, label) in labels.enumerated() {
        precondition(label >= 0 && label < classes, "label \(label) is outside 0..<\(classes)")
        let start = row * classes
        total += LossKernels.row(kind, UnsafeBufferPointer(rebasing: scores[start ..< start + classes]), label: label, scale: scale,
                                 gradient: UnsafeMutableBufferPointer(rebasing: gradient[start ..< start + classes]))
    }
    return total * scale
}

/// One row of each loss: its (unscaled) loss, and its gradient already multiplied by `scale`.
@usableFromInline
enum LossKernels {
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func row<Scalar: BinaryFloatingPoint>(_ kind: LossKind, _ s: UnsafeBufferPointer<Scalar>, label y: Int, scale: Double,
                                                 gradient: UnsafeMutableBufferPointer<Scalar>) -> Double {
        let classes = s.count
        switch kind {
        case .crossEntropy:
            var largest = -Double.infinity
            for j in 0 ..< classes { largest = Swift.max(largest, Double(s[j])) }
            var sum = 0.0
            for j in 0 ..< classes { sum += Foundation.exp(Double(s[j]) - largest) }
            let logNormalizer = largest + Foundation.log(sum)
            for j in 0 ..< classes {
                let softmax = Foundation.exp(Double(s[j]) - logNormalizer)
                gradient[j] = Scalar((softmax - (j == y ? 1 : 0)) * scale)
            }
            return logNormalizer - Double(s[y])
        case .nll:
            for j in 0 ..< classes { gradient[j] = j == y ? Scalar(-scale) : 0 }
            return -Double(s[y])
        case .mse, .mae, .binaryCrossEntropy:
            var sum = 0.0
            for j in 0 ..< classes {
                let x = Double(s[j]), t: Double = j == y ? 1 : 0
                switch kind {
                case .mse:
                    let d = x - t
                    sum += d * d
                    gradient[j] = Scalar(2 * d * scale)
                case .mae:
                    let d = x - t
                    sum += Swift.abs(d)
                    gradient[j] = Scalar((d > 0 ? 1 : (d < 0 ? -1 : 0)) * scale)
                default:
                    sum += softplus(x) - x * t
                    gradient[j] = Scalar((logistic(x) - t) * scale)
                }
            }
            return sum
        case .hinge:
            let target = Double(s[y])
            var sum = 0.0, positive = 0
            for j in 0 ..< classes where j != y {
                let margin = Double(s[j]) - target + 1
                if margin > 0 {
                    sum += margin
                    positive += 1
                    gradient[j] = Scalar(scale)
                } else {
                    gradient[j] = 0
                }
            }
            gradient[y] = Scalar(-Double(positive) * scale)
            return sum
        }
    }

    /// softplus x = log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)), without overflow (as the engine's softplus).
    @inlinable @inline(__always)
    static func softplus(_ x: Double) -> Double { Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }

    /// The logistic σ(x) = 1 / (1 + e^(−x)), without overflow (as the engine's sigmoid).
    @inlinable @inline(__always)
    static func logistic(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}
