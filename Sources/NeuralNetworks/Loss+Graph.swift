import Autograd
import Foundation

// MARK: - The losses on the engine
//
// The same formulas as `lossAndGradient`, recorded from the engine's primitives so that a
// mini-batch's loss appears in its drawn graph and backward computes ∂loss/∂scores. The tests
// check that both agree to 1e-10 in Double.

/// Records the mean loss of `kind` on `scores` [B, C] against `labels`, from existing primitives:
///
///     cross_entropy  sum(log_softmax(s) * T),  T = −onehot / B
///     nll            sum(s * T)
///     mse            mean((s − onehot) * (s − onehot))
///     mae            mean(abs(s − onehot))
///     bce            mean(softplus(s) − s * onehot)
///     hinge          sum(relu(s − reshape(sum(s * onehot, axis 1), [B, 1]) + 1) * (1 − onehot) / B)
///
/// The one-hot tables are constants (named `onehot`, `targets`, `others`), so no gradient flows
/// into the labels. In hinge, the j = y entry is relu(1) = 1 and its mask entry 0 removes it.
/// - Returns: the scalar loss node.
/// - Throws: `AutogradError.invalidOperand` when `scores` is not [labels.count, C] or a label is
///   outside 0..<C; the engine's own errors otherwise.
public func record(_ kind: LossKind, in graph: Graph, scores: NodeID, labels: [Int]) throws -> NodeID {
    let shape = graph.shape(of: scores)
    guard shape.count == 2, shape[0] == labels.count, shape[0] > 0, shape[1] > 0 else {
        throw AutogradError.invalidOperand(
            operation: kind.rawValue,
            reason: "needs scores of shape [\(labels.count), classes] for \(labels.count) labels, got \(Tensor.describe(shape: shape))")
    }
    let (batch, classes) = (shape[0], shape[1])
    if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
        throw AutogradError.invalidOperand(operation: kind.rawValue, reason: "label \(bad) is outside the \(classes) classes 0..<\(classes)")
    }
    /// A [B, C] constant: `hit` at each row's label, `miss` elsewhere.
    func table(_ name: String, hit: Double, miss: Double) -> NodeID {
        var storage = [Double](repeating: miss, count: batch * classes)
        for (row, label) in labels.enumerated() { storage[row * classes + label] = hit }
        return graph.constant(Tensor(shape: [batch, classes], storage: storage), name: name)
    }
    switch kind {
    case .crossEntropy, .nll:
        let logProbabilities = kind == .nll ? scores : try graph.apply(.logSoftmax, scores)
        let targets = table("targets", hit: -1 / Double(batch), miss: 0)
        return try graph.apply(.sum, try graph.apply(.multiply, logProbabilities, targets))
    case .mse:
        let difference = try graph.apply(.subtract, scores, table("onehot", hit: 1, miss: 0))
        return try graph.apply(.mean, try graph.apply(.multiply, difference, difference))
    case .mae:
        let difference = try graph.apply(.subtract, scores, table("onehot", hit: 1, miss: 0))
        return try graph.apply(.mean, try graph.apply(.abs, difference))
    case .binaryCrossEntropy:
        let agreement = try graph.apply(.multiply, scores, table("onehot", hit: 1, miss: 0))
        return try graph.apply(.mean, try graph.apply(.subtract, try graph.apply(.softplus, scores), agreement))
    case .hinge:
        let correct = try graph.apply(.sum, try graph.apply(.multiply, scores, table("onehot", hit: 1, miss: 0)), attribute: .axis(1))
        let column = try graph.apply(.reshape, correct, attribute: .shape([batch, 1]))
        let margins = try graph.apply(.add, try graph.apply(.subtract, scores, column), graph.constant(1))
        let others = table("others", hit: 0, miss: 1 / Double(batch))
        return try graph.apply(.sum, try graph.apply(.multiply, try graph.apply(.relu, margins), others))
    }
}
