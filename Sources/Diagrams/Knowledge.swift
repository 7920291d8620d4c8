import Autograd

/// Which numbers of a trace a drawing may show: all of them, or only what is known partway
/// through the forward or the backward pass (the step frames). Anything unknown is drawn as `?`.
struct Knowledge: Sendable {
    /// Per node id: whether its forward value has been computed.
    var valueKnown: [Bool]
    /// Whether the backward pass has begun, so the output's gradient (the seed, 1) is known.
    var backwardStarted: Bool
    /// Per edge id: whether backward has used the edge, so its upstream and contribution are known.
    var edgeUsed: [Bool]

    /// Everything the trace holds; gradients only when backward ran and `forwardOnly` is false.
    static func complete(_ trace: Trace, forwardOnly: Bool) -> Knowledge {
        let gradients = trace.hasGradients && !forwardOnly
        return Knowledge(valueKnown: Array(repeating: true, count: trace.nodes.count),
                         backwardStarted: gradients,
                         edgeUsed: Array(repeating: gradients, count: trace.edges.count))
    }

    /// Before forward: only the leaves (inputs, parameters, constants) have values.
    static func leaves(_ trace: Trace) -> Knowledge {
        Knowledge(valueKnown: trace.nodes.map { $0.kind != .operation },
                  backwardStarted: false,
                  edgeUsed: Array(repeating: false, count: trace.edges.count))
    }

    /// Marks a node's value computed (one forward step).
    mutating func compute(_ node: Int) { valueKnown[node] = true }

    /// Marks an edge used by backward (one backward step).
    mutating func use(_ edge: Int) {
        backwardStarted = true
        edgeUsed[edge] = true
    }

    /// What a node's gradient looks like under this knowledge.
    func gradient(of node: Trace.Node, in trace: Trace) -> GradientState {
        // A constant, or an operation on constants only (`1 + 1`): it requires no gradient.
        if !node.requiresGradient && node.gradient == nil { return .none }
        guard backwardStarted else { return .unknown }
        guard let gradient = node.gradient else { return .unreached }
        if node.isOutput || node.contributions.isEmpty { return .known(gradient, terms: []) }
        let terms = node.contributions.map { edgeUsed[$0] ? trace.edges[$0].contribution : nil }
        if terms.allSatisfy({ $0 != nil }) { return .known(gradient, terms: terms.compactMap { $0 }) }
        if terms.allSatisfy({ $0 == nil }) { return .unknown }
        return .partial(terms)
    }
}

/// A node's gradient as a drawing shows it.
enum GradientState {
    /// A constant: backward sends it nothing, so no gradient is drawn.
    case none
    /// Not known yet (forward only, or backward has not reached it): `?`.
    case unknown
    /// Backward ran but the node does not lead to the output.
    case unreached
    /// Some of the contributions have arrived (nil for those still to come).
    case partial([Tensor?])
    /// Known; `terms` are the contributions summed into it (empty for the output's seed).
    case known(Tensor, terms: [Tensor])
}
