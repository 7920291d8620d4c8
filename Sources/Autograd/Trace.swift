import Foundation

/// What kind of node a trace shows: diagrams draw each kind differently.
public enum NodeKind: String, Sendable, Codable {
    /// A value the user gave (`--at x=-2`).
    case input
    /// A value training updates (weights, biases).
    case parameter
    /// A number written in the program.
    case constant
    /// The result of an operation.
    case operation
}

/// An immutable record of one forward and backward pass: every node with its value and gradient,
/// every edge with its local gradient, upstream gradient and contribution, and the order of steps.
///
/// This is what tables, JSON, diagrams, lessons and grading read; nothing downstream recomputes.
public struct Trace: Sendable {
    /// One recorded value.
    public struct Node: Sendable, Identifiable {
        /// Creation order (`n0`, `n1`, …), stable from run to run.
        public let id: Int
        /// The operation's primitive name (`multiply`), or the leaf kind (`input`).
        public let operation: String
        /// The symbol a diagram shows (`*`, `tanh`).
        public let symbol: String
        /// Input, parameter, constant or operation.
        public let kind: NodeKind
        /// The name the program gave it, if any.
        public let name: String?
        /// The ids of its inputs, in order.
        public let inputs: [Int]
        /// The forward value, as the trace keeps it (a scalar as its number).
        public let storedValue: TraceValue
        /// ∂output/∂node as the trace keeps it, or nil when backward has not run or the node
        /// requires no gradient (constants and operations on constants only).
        public let storedGradient: TraceValue?
        /// The edges leaving this node whose contributions were summed into its gradient
        /// (more than one where the value fans out).
        public let contributions: [Int]
        /// Whether this is the output backward ran from (or the last node, before backward).
        public let isOutput: Bool
        /// Whether the node requires a gradient (PyTorch's `requires_grad`): inputs, parameters and
        /// operations with such an operand. The others (constants, `1 + 1`) get no gradient.
        public let requiresGradient: Bool
        /// For sum/mean/reshape/index: the attribute, written as in a program (`axis 0`, `[2, 3]`, `[0, 1:3]`).
        public let detail: String?

        /// The forward value.
        public var value: Tensor { storedValue.tensor }
        /// ∂output/∂node, or nil when backward has not run or the node requires no gradient.
        public var gradient: Tensor? { storedGradient?.tensor }

        /// The name, else a constant's value, else `n<id>`: how prose and formulas refer to it.
        public var label: String {
            if let name { return name }
            if kind == .constant, case .scalar(let number) = storedValue { return TraceFormat.number(number) }
            return "n\(id)"
        }
    }

    /// The local gradient on an edge: in words and, for elementwise operations, as a value.
    public struct LocalGradient: Sendable {
        /// The formula with the program's names, e.g. `z` for the edge q → f of `f = q * z`.
        public let formula: String
        /// The labels of the operation and of the input, `f` and `q` in `∂f/∂q = z`.
        public let resultLabel: String, inputLabel: String
        /// The whole statement, e.g. `∂f/∂q = z`: built when read, not kept, since most edges'
        /// statements are longer than a String holds without memory of its own (an allocation per
        /// edge of a trace, most of them never read: the JSON writes the parts).
        public var description: String { TraceFormat.statement(resultLabel, inputLabel, formula) }
        /// The value per entry (in the output's shape) for elementwise operations, as the trace
        /// keeps it; nil for a Jacobian.
        public let storedValue: TraceValue?
        /// The value per entry (in the output's shape) for elementwise operations; nil for a Jacobian.
        public var value: Tensor? { storedValue?.tensor }
    }

    /// One use of a value: input → output of an operation.
    public struct Edge: Sendable, Identifiable {
        /// Position in `edges` (grouped by output node in creation order, then input order).
        public let id: Int
        /// The input node.
        public let from: Int
        /// The operation node.
        public let to: Int
        /// Which operand of `to` this is (0 for x, 1 for y).
        public let operand: Int
        /// ∂to/∂from, in words and value.
        public let localGradient: LocalGradient
        /// ∂output/∂to as the trace keeps it; nil before backward or for a constant input.
        public let storedUpstream: TraceValue?
        /// local × upstream as the trace keeps it; nil when not computed.
        public let storedContribution: TraceValue?
        /// ∂output/∂to: the gradient arriving at the operation; nil before backward or for a constant input.
        public var upstream: Tensor? { storedUpstream?.tensor }
        /// local × upstream (for tensors the vector-Jacobian product), shaped like `from`; nil when not computed.
        public var contribution: Tensor? { storedContribution?.tensor }
    }

    /// Every node, in creation order.
    public let nodes: [Node]
    /// Every edge, grouped by operation node in creation order.
    public let edges: [Edge]
    /// The output node's id.
    public let output: Int
    /// Whether backward has run.
    public let hasGradients: Bool

    /// The operation nodes in the order forward computed them.
    public var forwardSteps: [Int] {
        // Read in place: a node copied out of the array retains every string and tensor it holds.
        nodes.withUnsafeBufferPointer { nodes in nodes.indices.filter { nodes[$0].kind == .operation } }
    }
    /// The edges in the order backward used them: operations from the output back, each one's inputs in order.
    public var backwardSteps: [Int] {
        guard hasGradients else { return [] }
        // The edges are grouped by operation in creation order, each group in operand order: the
        // groups from last to first, each in its own order (a sort of the edges was 4% of a trace's JSON).
        // Each edge read in place, not copied out (a copy retains its formulas and tensors: 7% of
        // writing a trace's JSON, perf).
        return edges.withUnsafeBufferPointer { edges in
            var steps: [Int] = []
            steps.reserveCapacity(edges.count)
            var end = edges.count
            while end > 0 {
                var start = end - 1
                while start > 0 && edges[start - 1].to == edges[end - 1].to { start -= 1 }
                for index in start..<end where edges[index].storedUpstream != nil { steps.append(edges[index].id) }
                end = start
            }
            return steps
        }
    }
    /// The output node.
    public var outputNode: Node { nodes[output] }
    /// For `TraceFormat.rename`: each label that `names` (one per node, by id) shows differently,
    /// with the name shown. Empty when `names` is nil or not one per node.
    public func renaming(to names: [String]?) -> [String: String] {
        guard let names, names.count == nodes.count else { return [:] }
        var renaming: [String: String] = [:]
        for node in nodes where node.label != names[node.id] { renaming[node.label] = names[node.id] }
        return renaming
    }
    /// The input and parameter leaves, in creation order.
    public var inputs: [Node] { nodes.filter { $0.kind == .input || $0.kind == .parameter } }
}

extension Graph {
    /// Takes an immutable record of the graph: values, gradients (if backward ran), and every edge's
    /// local gradient, upstream and contribution.
    /// - Parameter output: the output node; defaults to the node backward ran from, else the last node.
    /// - Complexity: O(nodes + edges) plus one vector-Jacobian product per tensor edge.
    public func trace(output: NodeID? = nil) -> Trace {
        let outputID = output ?? backwardOutput ?? nodeID(count - 1)
        let hasGradients = backwardOutput != nil
        // Names, attributes and labels read once per node into arrays: looking each up in its
        // dictionary at every use (a node's label is read by every edge that touches it) was a
        // tenth of taking a trace (perf, the server's 102-node program).
        var nameOf = [String?](repeating: nil, count: count)
        for (index, name) in names { nameOf[Int(index)] = name }
        var attributeOf = [OperationAttribute?](repeating: nil, count: count)
        for (index, attribute) in attributes { attributeOf[Int(index)] = attribute }
        let labels = (0..<count).map { label(at: $0, name: nameOf[$0]) }
        var contributionsByNode = [[Int]](repeating: [], count: count)
        var edges: [Trace.Edge] = []
        edges.reserveCapacity(2 * count)
        var operands: [Int] = [], locals: [TraceValue] = [], products: [TraceValue] = []
        operands.reserveCapacity(2); locals.reserveCapacity(2); products.reserveCapacity(2)
        for index in 0..<count where !operations[index].isLeaf {
            let node = nodeID(index)
            let templates = TraceFormat.Template.table[Int(operations[index].rawValue)]
            operands.removeAll(keepingCapacity: true)
            if firstInputs[index] >= 0 { operands.append(Int(firstInputs[index])) }
            if secondInputs[index] >= 0 { operands.append(Int(secondInputs[index])) }
            let upstream: TraceValue?
            locals.removeAll(keepingCapacity: true); products.removeAll(keepingCapacity: true)
            // Scalars through an elementwise rule (what students trace): the local gradients and
            // their products with the upstream gradient as numbers, with no tensor at all (a
            // one-entry tensor is an allocation: 700 of them in a 102-node trace, dhat).
            if let (dx, dy) = scalarLocalGradients(at: index) {
                let reachedHere = hasGradients && index < reached.count && reached[index]
                upstream = reachedHere ? .scalar(scalarGradients[index]) : nil
                locals.append(.scalar(dx))
                if operands.count > 1 { locals.append(.scalar(dy)) }
                if reachedHere {
                    let x = scalarValues[operands[0]], y = operands.count > 1 ? scalarValues[operands[1]] : 0
                    let (cx, cy) = kernels.contributions(Int(operations[index].rawValue), x, y, local: (dx, dy),
                                                         upstream: scalarGradients[index])
                    products.append(.scalar(cx))
                    if operands.count > 1 { products.append(.scalar(cy)) }
                }
            } else {
                upstream = storedGradient(at: index)
                let tensors = localGradients(at: node)
                locals.append(contentsOf: tensors.map(TraceValue.init))
                if upstream != nil { products.append(contentsOf: vectorJacobianProducts(at: node, locals: tensors).map(TraceValue.init)) }
            }
            let result = labels[index]
            let first = labels[operands[0]], second = operands.count > 1 ? labels[operands[1]] : nil
            for (operand, input) in operands.enumerated() {
                let formula = templates[operand].filled(first, second, result: result)
                let needsGradient = requiresGrad[input]
                let edgeID = edges.count
                edges.append(Trace.Edge(
                    id: edgeID, from: input, to: index, operand: operand,
                    localGradient: Trace.LocalGradient(
                        formula: formula, resultLabel: result, inputLabel: labels[input],
                        storedValue: operand < locals.count ? locals[operand] : nil),
                    storedUpstream: needsGradient ? upstream : nil,
                    storedContribution: needsGradient && upstream != nil ? products[operand] : nil))
                if needsGradient && upstream != nil { contributionsByNode[input].append(edgeID) }
            }
        }
        var traceNodes: [Trace.Node] = []
        traceNodes.reserveCapacity(count)
        for index in 0..<count {
            let operation = operations[index]
            let primitive = primitives[Int(operation.rawValue)]
            let kind: NodeKind = switch operation {
            case .input: .input
            case .parameter: .parameter
            case .constant: .constant
            default: .operation
            }
            var inputs: [Int] = []
            if firstInputs[index] >= 0 {
                inputs = secondInputs[index] >= 0 ? [Int(firstInputs[index]), Int(secondInputs[index])] : [Int(firstInputs[index])]
            }
            let node = nodeID(index)
            traceNodes.append(Trace.Node(
                id: index, operation: primitive.name, symbol: primitive.symbol, kind: kind, name: nameOf[index],
                inputs: inputs, storedValue: storedValue(at: index), storedGradient: traceGradient(at: index, hasGradients: hasGradients),
                contributions: contributionsByNode[index], isOutput: node == outputID, requiresGradient: requiresGrad[index],
                detail: attributeOf[index].map(TraceFormat.describe)))
        }
        return Trace(nodes: traceNodes, edges: edges, output: outputID.index, hasGradients: hasGradients)
    }

    /// A node's gradient for the trace: after backward, a node the output does not depend on has
    /// gradient 0 (as in mathematics, JAX and PyTorch with materialized gradients), not none;
    /// nodes that require no gradient (constants, `1 + 1`) get none: backward computes none for them.
    func traceGradient(at index: Int, hasGradients: Bool) -> TraceValue? {
        if let gradient = storedGradient(at: index) { return gradient }
        guard hasGradients, requiresGrad[index] else { return nil }
        return TraceValue(.zeros(shape(of: nodeID(index))))
    }

    /// How prose refers to a node: its name, a constant's value, else `n<id>`.
    public func label(of node: NodeID) -> String { label(at: node.index, name: name(of: node)) }

    /// The label of the node at `index`, whose name (if any) the caller has looked up.
    func label(at index: Int, name: String?) -> String {
        if let name { return name }
        if operations[index] == .constant && tensorSlots[index] < 0 { return TraceFormat.number(scalarValues[index]) }
        return "n\(index)"
    }
}
