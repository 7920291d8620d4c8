import Foundation

/// The verdict on one entry of one input.
public enum GradientCheckStatus: String, Sendable, Codable {
    /// Backward and the central difference agree within the tolerance.
    case pass
    /// They disagree.
    case fail
    /// The point sits at (or within the step of) a kink — relu/step/abs/leaky_relu at 0, a tie in
    /// min/max — where the derivative is not defined; not counted as a failure.
    case kink
    /// f is infinite or NaN a step away (`x^y` at x = y = 0 gives 0^−h = ∞): the central difference is
    /// not a number, so the entry cannot be checked; not counted as a failure, and reported as such.
    case undefined
}

/// A central-difference check of every input's gradient, as CS231n teaches it.
///
/// For each entry of each input or parameter, numeric = (f(x + h) − f(x − h)) / 2h and the relative
/// error is |analytic − numeric| / max(|analytic|, |numeric|, 1e−12).
public struct GradientCheck: Sendable {
    /// One checked entry.
    public struct Entry: Sendable {
        /// The input's label (its name).
        public let input: String
        /// The entry's position in the input (empty for a scalar).
        public let position: [Int]
        /// The gradient backward computed.
        public let analytic: Double
        /// The central-difference estimate.
        public let numeric: Double
        /// |a − n| / max(|a|, |n|, 1e−12).
        public let relativeError: Double
        /// Pass, fail or kink.
        public let status: GradientCheckStatus
    }

    /// Every entry of every input, in creation order then row-major.
    public let entries: [Entry]
    /// The step h.
    public let step: Double
    /// The largest relative error allowed to pass.
    public let tolerance: Double
    /// Whether the graph's deadline stopped the check before every entry was checked.
    public var stopped = false

    /// Whether no entry failed (kinks do not count).
    public var passed: Bool { !entries.contains { $0.status == .fail } }
    /// The largest relative error over the entries checked (not at a kink, not undefined).
    public var maximumRelativeError: Double { entries.filter { $0.status == .pass || $0.status == .fail }.map(\.relativeError).max() ?? 0 }

    /// Checks every input and parameter leaf of `graph` against a central difference of `output`.
    /// - Precondition: backward has run on `graph` from `output`.
    /// - Complexity: two forward replays per checked entry.
    public static func run(_ graph: Graph, output: NodeID, step: Double = 1e-6, tolerance: Double = 1e-6) -> GradientCheck {
        var entries: [Entry] = []
        for node in graph.nodes where graph.operations[node.index] == .input || graph.operations[node.index] == .parameter {
            guard node < output else { continue }
            let base = graph.value(of: node)
            let analytic = graph.gradient(of: node) ?? .zeros(base.shape)
            let strides = Tensor.strides(of: base.shape)
            for offset in 0..<base.count {
                // Past the graph's deadline the check stops short; `stopped` says so.
                if graph.deadline != nil && EvaluationDeadline.passed(graph.deadline) {
                    var partial = GradientCheck(entries: entries, step: step, tolerance: tolerance)
                    partial.stopped = true
                    return partial
                }
                var plus = base, minus = base
                // Scale the step with the value so large inputs are not lost in rounding.
                let h = step * Swift.max(1, Swift.abs(base.storage[offset]))
                plus.storage[offset] += h
                minus.storage[offset] -= h
                let up = graph.replay(replacing: node, with: plus, upTo: output)
                let down = graph.replay(replacing: node, with: minus, upTo: output)
                let numeric = (up.output.storage.reduce(0, +) - down.output.storage.reduce(0, +)) / (2 * h)
                let a = analytic.storage[offset]
                // A non-finite difference has no relative error (∞/∞ is NaN, which `max` would skip).
                let error = numeric.isFinite ? Swift.abs(a - numeric) / Swift.max(Swift.abs(a), Swift.abs(numeric), 1e-12) : .infinity
                let status: GradientCheckStatus = !a.isFinite ? .fail : !numeric.isFinite ? .undefined
                    : up.kinkSides != down.kinkSides ? .kink : (error <= tolerance ? .pass : .fail)
                var position: [Int] = []
                var rest = offset
                for stride in strides { position.append(rest / stride); rest %= stride }
                entries.append(Entry(input: graph.label(of: node), position: position, analytic: a, numeric: numeric,
                                     relativeError: error, status: status))
            }
        }
        var check = GradientCheck(entries: entries, step: step, tolerance: tolerance)
        // A replay cut short by the deadline (below) gave a meaningless difference.
        check.stopped = graph.deadline != nil && EvaluationDeadline.passed(graph.deadline)
        return check
    }
}

extension Graph {
    /// Recomputes the forward pass up to `output` with one leaf's value replaced, without recording.
    ///
    /// Returns the output and, for every kinked primitive on the way, which side of its kink each
    /// entry fell on: two replays whose sides differ straddle a kink.
    public func replay(replacing leaf: NodeID, with replacement: Tensor, upTo output: NodeID) -> (output: Tensor, kinkSides: [Int8]) {
        var values: [Tensor] = []
        values.reserveCapacity(output.index + 1)
        var sides: [Int8] = []
        for index in 0...output.index {
            let node = nodeID(index)
            if index == leaf.index { values.append(replacement); continue }
            // Past the deadline the replay stops; `GradientCheck.run` then reports itself stopped.
            if tensorSlots[index] >= 0 && deadline != nil && EvaluationDeadline.passed(deadline) { return (replacement, sides) }
            let primitive = primitives[Int(operations[index].rawValue)]
            let operands = inputs(of: node).map { values[$0.index] }
            switch primitive.rule {
            case .leaf:
                values.append(value(of: node))
            case .elementwise(let forward, _):
                let x = operands[0], y = operands.count > 1 ? operands[1] : Tensor.zeros(x.shape)
                let shape = Tensor.broadcastShape(x.shape, y.shape) ?? x.shape
                if let kink = primitive.kinkDistance {
                    let xs = x.broadcast(to: shape), ys = y.broadcast(to: shape)
                    for i in 0..<xs.count {
                        let signed = primitive.operation == .minimum || primitive.operation == .maximum
                            ? xs.storage[i] - ys.storage[i] : xs.storage[i]
                        sides.append(kink(xs.storage[i], ys.storage[i]) == 0 ? 0 : (signed > 0 ? 1 : -1))
                    }
                }
                values.append(operands.count > 1 ? Tensor.broadcastMap(x, y, forward) : x.map { forward($0, 0) })
            case .structural(let forward, _):
                switch forward(operands, attribute(of: node)) {
                case .success(let value): values.append(value)
                case .failure: values.append(value(of: node))   // shapes are unchanged by a perturbation
                }
            }
        }
        return (values[output.index], sides)
    }
}
