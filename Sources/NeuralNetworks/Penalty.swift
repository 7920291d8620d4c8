import Autograd
import Foundation

/// A regularization term λ·R(W) added to the data loss, in the notes' (001) convention:
///
///     L = (1/N) Σᵢ Lᵢ + λ R(W)
///     l2:  R(W) = Σ_k W_k²      so  ∂(λR)/∂W = 2λW
///     l1:  R(W) = Σ_k |W_k|     so  ∂(λR)/∂W = λ sign(W), 0 at W = 0 (as the engine's abs)
///
/// There is no ½ in front of Σ W² (the notes 002 write ½w² for one example, 001 does not; we follow
/// 001's R(W)). So `.l2(λ)` pulls like PyTorch's `weight_decay` of 2λ, not λ. The notes apply R to
/// the weights W only; the trainer decides which tensors it passes here.
///
/// ```swift
/// let weights: [Double] = [1, -2, 0]
/// print(Penalty.l2(0.1).value(weights))   // Prints "0.5" (0.1 · (1 + 4 + 0))
/// print(Penalty.l1(0.1).value(weights))   // Prints "0.30000000000000004"
/// ```
public enum Penalty: Sendable, Equatable {
    /// λ Σ |w|.
    case l1(Double)
    /// λ Σ w².
    case l2(Double)

    /// λ.
    public var strength: Double {
        switch self { case .l1(let lambda), .l2(let lambda): return lambda }
    }

    /// The flag-style name: `l1` or `l2`.
    public var name: String {
        switch self { case .l1: return "l1"; case .l2: return "l2" }
    }

    /// One sentence when λ is negative or not a number, nil otherwise.
    public func problem() -> String? {
        strength.isFinite && strength >= 0 ? nil : "the \(name) strength λ must be 0 or more, got \(strength)"
    }

    /// λ·R(W), summed in Double.
    /// - Complexity: O(weights.count).
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func value<Scalar: BinaryFloatingPoint>(_ weights: UnsafeBufferPointer<Scalar>) -> Double {
        var sum = 0.0
        switch self {
        case .l1: for w in weights { sum += Swift.abs(Double(w)) }
        case .l2: for w in weights { sum += Double(w) * Double(w) }
        }
        return strength * sum
    }

    /// λ·R(W) of an array.
    public func value<Scalar: BinaryFloatingPoint>(_ weights: [Scalar]) -> Double {
        weights.withUnsafeBufferPointer { value($0) }
    }

    /// Adds ∂(λR)/∂W to `gradient` in place: 2λw (l2) or λ·sign(w) (l1) per entry.
    /// - Precondition: both hold the same number of entries.
    /// - Complexity: O(weights.count), no allocation.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func addGradient<Scalar: BinaryFloatingPoint>(of weights: UnsafeBufferPointer<Scalar>,
                                                         to gradient: UnsafeMutableBufferPointer<Scalar>) {
        precondition(weights.count == gradient.count, "\(weights.count) weights but \(gradient.count) gradients")
        let lambda = Scalar(strength)
        switch self {
        case .l1:
            for i in 0 ..< weights.count {
                let w = weights[i]
                gradient[i] += w > 0 ? lambda : (w < 0 ? -lambda : 0)
            }
        case .l2:
            let twice = 2 * lambda
            for i in 0 ..< weights.count { gradient[i] += twice * weights[i] }
        }
    }

    /// Records λ·R(W) on the engine: `λ * sum(w * w)` or `λ * sum(abs(w))`, a scalar node to add to the loss.
    /// - Throws: the engine's errors (none for a well-formed weight node).
    public func record(in graph: Graph, weights: NodeID) throws -> NodeID {
        let terms = switch self {
        case .l1: try graph.apply(.abs, weights)
        case .l2: try graph.apply(.multiply, weights, weights)
        }
        return try graph.apply(.multiply, graph.constant(strength), try graph.apply(.sum, terms))
    }
}
