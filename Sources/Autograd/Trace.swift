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
        /// ∂output/∂node as the trace keeps it, or nil when backward has not run or did not reach it
        /// (constants, unused nodes).
        public let storedGradient: TraceValue?
        /// The edges leaving this node whose contributions were summed into its gradient
        /// (more than one where the value fans out).
        public let contributions: [Int]
        /// Whether this is the output backward ran from (or the last node, before backward).
        public let isOutput: Bool
        /// For sum/mean/reshape/index: the attribute, written as in a program (`axis 0`, `[2, 3]`, `[0, 1:3]`).
        public let detail: String?

        /// The forward value.
        public var value: Tensor { storedValue.tensor }
        /// ∂output/∂node, or nil when backward has not run or did not reach it (constants, unused nodes).
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
        /// The whole statement, e.g. `∂f/∂q = z`.
        public let description: String
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
                    let g = scalarGradients[index]
                    products.append(.scalar(dx * g))
                    if operands.count > 1 { products.append(.scalar(dy * g)) }
                }
            } else {
                let gradient = hasGradients ? gradient(of: node) : nil
                upstream = gradient.map(TraceValue.init)
                let tensors = localGradients(at: node)
                locals.append(contentsOf: tensors.map(TraceValue.init))
                if gradient != nil { products.append(contentsOf: vectorJacobianProducts(at: node, locals: tensors).map(TraceValue.init)) }
            }
            let result = labels[index]
            let first = labels[operands[0]], second = operands.count > 1 ? labels[operands[1]] : nil
            for (operand, input) in operands.enumerated() {
                let formula = templates[operand].filled(first, second, result: result)
                let needsGradient = operations[input] != .constant
                let edgeID = edges.count
                edges.append(Trace.Edge(
                    id: edgeID, from: input, to: index, operand: operand,
                    localGradient: Trace.LocalGradient(
                        formula: formula, description: TraceFormat.statement(result, labels[input], formula),
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
                contributions: contributionsByNode[index], isOutput: node == outputID,
                detail: attributeOf[index].map(TraceFormat.describe)))
        }
        return Trace(nodes: traceNodes, edges: edges, output: outputID.index, hasGradients: hasGradients)
    }

    /// A node's gradient for the trace: after backward, a node the output does not depend on has
    /// gradient 0 (as in mathematics, JAX and PyTorch with materialized gradients), not none;
    /// constants get none (backward sends them no gradient).
    func traceGradient(at index: Int, hasGradients: Bool) -> TraceValue? {
        let slot = tensorSlots[index]
        if hasGradients, index < reached.count, reached[index] {
            if slot < 0 { return .scalar(scalarGradients[index]) }
            return TraceValue(tensorGradients[Int(slot)] ?? .zeros(tensorValues[Int(slot)].shape))
        }
        guard hasGradients, operations[index] != .constant else { return nil }
        return slot < 0 ? .scalar(0) : TraceValue(.zeros(tensorValues[Int(slot)].shape))
    }

    /// The node's value as a trace keeps it.
    func storedValue(at index: Int) -> TraceValue {
        let slot = tensorSlots[index]
        return slot < 0 ? .scalar(scalarValues[index]) : TraceValue(tensorValues[Int(slot)])
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

/// A value or gradient as a trace keeps it: a scalar as its number, anything else as a tensor.
/// A one-entry tensor allocates its storage; a trace of a scalar program held hundreds of them.
public enum TraceValue: Sendable, Equatable {
    /// A value of shape `[]`.
    case scalar(Double)
    /// A value of any other shape (a tensor of shape `[]` is kept as `.scalar`).
    case tensor(Tensor)

    /// `tensor` as a trace keeps it.
    public init(_ tensor: Tensor) { self = tensor.isScalar ? .scalar(tensor.scalar) : .tensor(tensor) }

    /// The value as a tensor (built anew for a scalar).
    public var tensor: Tensor {
        switch self {
        case .scalar(let number): Tensor(scalar: number)
        case .tensor(let tensor): tensor
        }
    }

    /// The number of entries (1 for a scalar).
    public var count: Int {
        switch self {
        case .scalar: 1
        case .tensor(let tensor): tensor.count
        }
    }
}

/// The one formatter for numbers and formulas in traces, tables, JSON and diagrams.
public enum TraceFormat {
    /// A number in the shortest form that reads back exactly, without a trailing `.0`: `-4`, `0.5`, `1e-08`.
    public static func number(_ value: Double) -> String {
        if value == 0 { return "0" }   // also folds −0 into 0
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        // Swift writes integers up to 2^53 as `4000000000000000.0`: print those as integers.
        if value == value.rounded() && Swift.abs(value) <= 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A number rounded to `digits` significant digits, for diagrams and tables: `-0.666667`.
    public static func number(_ value: Double, significantDigits digits: Int) -> String {
        if value == 0 || !value.isFinite || (value == value.rounded() && Swift.abs(value) < 1e15) { return number(value) }
        var text = String(format: "%.\(max(1, digits))g", value)
        if text.contains("e") { return text }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// A tensor as nested brackets (`[[1, 2], [3, 4]]`), a scalar as a number.
    public static func tensor(_ value: Tensor, significantDigits: Int? = nil) -> String {
        let format: (Double) -> String = { x in significantDigits.map { number(x, significantDigits: $0) } ?? number(x) }
        if value.isScalar { return format(value.scalar) }
        func nest(_ axis: Int, _ offset: Int) -> String {
            let strides = Tensor.strides(of: value.shape)
            let items = (0..<value.shape[axis]).map { i -> String in
                axis == value.rank - 1 ? format(value.storage[offset + i]) : nest(axis + 1, offset + i * strides[axis])
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        return nest(0, 0)
    }

    /// Replaces the whole words `x`, `y` and `f` of a local-gradient template with operand and result labels.
    public static func substitute(_ template: String, operands: [String], result: String) -> String {
        Template(template).filled(operands: operands, result: result)
    }

    /// A local-gradient template split once into text and the words `x`, `y` and `f`: a trace fills
    /// the templates of every edge, and splitting them each time was a fifth of taking a trace (perf).
    struct Template: Sendable {
        enum Part: Sendable { case text(String), operand(Int), result }
        let parts: [Part]

        init(_ template: String) {
            var parts: [Part] = []
            var text = "", word = ""
            func flush() {
                switch word {
                case "x": parts.append(.text(text)); text = ""; parts.append(.operand(0))
                case "y": parts.append(.text(text)); text = ""; parts.append(.operand(1))
                case "f": parts.append(.text(text)); text = ""; parts.append(.result)
                default: text += word
                }
                word = ""
            }
            // Scalars, not characters: the templates are the primitives' own text, with no combining marks.
            for scalar in template.unicodeScalars {
                if isWordScalar(scalar) { word.unicodeScalars.append(scalar) } else { flush(); text.unicodeScalars.append(scalar) }
            }
            flush()
            parts.append(.text(text))
            self.parts = parts.filter { if case .text(let text) = $0 { return !text.isEmpty }; return true }
        }

        /// The template with its words replaced; an operand the node does not have stays its letter.
        func filled(operands: [String], result: String) -> String {
            filled(operands.first, operands.count > 1 ? operands[1] : nil, result: result)
        }

        /// The template with `x` replaced by `first`, `y` by `second` and `f` by `result`: no
        /// array of labels per node (an allocation for each of a trace's operations).
        func filled(_ first: String?, _ second: String?, result: String) -> String {
            var output = ""
            for part in parts {
                switch part {
                case .text(let text): output += text
                case .operand(0): output += first.map(wrap) ?? "x"
                case .operand: output += second.map(wrap) ?? "y"
                case .result: output += wrap(result)
                }
            }
            return output
        }

        /// Every primitive's templates, split once.
        static let table: [[Template]] = Primitive.table.map { $0.localGradient.map(Template.init) }
    }

    /// Whether a scalar continues a word of a template: letters, decimal digits and `_`, but not
    /// superscripts (`²`) or modifier letters (`ᵀ`), so `y²` and `yᵀ` are the word `y` and a mark.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let byte = UInt8(scalar.value)
            return byte == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .otherLetter, .decimalNumber: return true
        default: return false
        }
    }

    /// `text` with each whole word that is a key of `names` replaced by its value: a formula or a
    /// statement in a lesson's own names (`∂n6/∂n2 = 1` → `∂n3/∂n1 = 1`). Words are ASCII letters,
    /// digits and `_`: in `n29²` the square is not part of the name.
    public static func rename(_ text: String, names: [String: String]) -> String {
        guard !names.isEmpty else { return text }
        var output = "", word = ""
        func flush() { output += names[word] ?? word; word = "" }
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber || character == "_") { word.append(character) } else { flush(); output.append(character) }
        }
        flush()
        return output
    }

    /// `∂result/∂input = formula`, an edge's local gradient in words. Built in one piece of
    /// memory of the right size, or none when it fits in a String's own 15 bytes: interpolation
    /// reserves memory first, an allocation for every edge of a trace (dhat).
    static func statement(_ result: String, _ input: String, _ formula: String) -> String {
        let length = 3 + result.utf8.count + 4 + input.utf8.count + 3 + formula.utf8.count
        var text = ""
        if length > 15 { text.reserveCapacity(length) }
        text += "∂"; text += result; text += "/∂"; text += input; text += " = "; text += formula
        return text
    }

    /// Wraps a negative number in parentheses so `x·y` reads `(-2)·y`, not `-2·y` ambiguity-free.
    static func wrap(_ label: String) -> String { label.hasPrefix("-") ? "(\(label))" : label }

    /// An attribute as a program writes it.
    public static func describe(_ attribute: OperationAttribute) -> String {
        switch attribute {
        case .axis(let axis): return "axis \(axis)"
        case .shape(let shape): return Tensor.describe(shape: shape)
        case .index(let components): return "[" + components.map(\.description).joined(separator: ", ") + "]"
        case .window(let size, let stride, let padding): return "\(size)×\(size), stride \(stride), padding \(padding)"
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// The tensor as nested brackets, numbers in their shortest exact form.
    public var description: String { TraceFormat.tensor(self) }
}
