import Autograd
import Expressions

/// A quantity resolved against a run.
public struct ResolvedQuantity: @unchecked Sendable {
    /// Its value (a tensor, or the entry asked for).
    public let value: Tensor
    /// As shown: `∂f/∂x`, `q`, `updated w`, `s[2]` (it parses back).
    public let display: String
    /// The node it is the value of; B for a gradient ∂A/∂B; w for `updated w`.
    public let node: NodeID?
    /// The entry asked for (`s[2]`), if any.
    public let entry: [Int]?
    /// For a gradient ∂A/∂B: the nodes, names and the program with backward run from A.
    public let gradient: (of: NodeID, withRespectTo: NodeID, ofName: String, byName: String, program: Program)?
    /// For `updated w`: the value had the step gone the other way.
    public let otherDirection: Tensor?

    public init(value: Tensor, display: String, node: NodeID?, entry: [Int]?,
                gradient: (of: NodeID, withRespectTo: NodeID, ofName: String, byName: String, program: Program)?, otherDirection: Tensor?) {
        self.value = value; self.display = display; self.node = node; self.entry = entry
        self.gradient = gradient; self.otherDirection = otherDirection
    }
}

/// The one resolver of quantities, claims' left sides, formulas that name quantities and conditions,
/// against a run (a program evaluated at its point): lesson checks (`LessonRun.quantity`), `backprop
/// check` (`ClaimCheck.parse`), exercises and grading (`QuantityResolver` in Grading) all call it.
///
/// The rule of what may be differentiated, the same everywhere (docs/expression-language.md):
/// ∂A/∂B has A any scalar the program names (the output, an assigned name or an input) and B any
/// name of the program that depends on an input; backward runs from A, as `A.backward()` would in
/// PyTorch. B a constant, or computed from constants only, is refused (PyTorch's `requires_grad` is
/// false there); A that does not depend on B gives zeros shaped like B.
public final class Resolver {
    /// One step of a lesson's `[update]`: new = old + sign · rate · ∂output/∂w.
    public struct Update: Sendable {
        public let sign: Double, rate: Double
        public init(sign: Double, rate: Double) { self.sign = sign; self.rate = rate }
    }

    /// The run: backward has been run from its output when the output is a scalar.
    public let program: Program
    /// The lesson's update, for `updated w`.
    public let update: Update?
    private var backward: [Int: Program] = [:]

    public init(program: Program, update: Update? = nil) {
        self.program = program
        self.update = update
    }

    /// The program's names and the output's label, with their nodes (an assigned name: its last node).
    public var known: [String: NodeID] {
        var known: [String: NodeID] = [:]
        for (name, node) in program.inputs.map({ ($0.name, $0.node) }) + program.assignments.map({ ($0.name, $0.node) }) { known[name] = node }
        known[program.graph.label(of: program.output)] = program.output
        return known
    }

    /// The names a formula may use, with their values: the inputs, then the assigned names.
    public var names: [(name: String, value: Tensor)] { ClaimCheck.names(of: program) }

    /// The node `name` stands for.
    /// - Throws: `.unknownName` at `position`, saying where it was written (`the claim's left side`).
    public func node(_ name: String, at position: SourcePosition?, in place: String) throws(ExpressionError) -> NodeID {
        let known = self.known
        if let node = known[name] { return node }
        throw ExpressionError(.notation(.unknownName(name, in: place, names: Array(known.keys))), at: position)
    }

    /// A and B of a gradient quantity, under the rule above.
    public func gradientNodes(_ quantity: Quantity, in place: String) throws(ExpressionError) -> (of: NodeID, by: NodeID) {
        guard case .gradient(let ofName, let byName) = quantity.kind else {
            throw ExpressionError(.notation(.claimStart), at: quantity.position)
        }
        let positions = quantity.namePositions
        let of = try node(ofName, at: positions.first, in: place)
        let by = try node(byName, at: positions.last, in: place)
        let graph = program.graph
        if graph.operations[by.index] == .constant {
            let value = TraceFormat.tensor(graph.value(of: by)).filter { $0 != " " }
            throw ExpressionError(.notation(.constant(byName, value: value)), at: positions.last)
        }
        if !graph.requiresGradient(by) && by != of {
            throw ExpressionError(.notation(.independent(byName)), at: positions.last)
        }
        let shape = graph.shape(of: of)
        guard shape.isEmpty else { throw ExpressionError(.notation(.notScalar(ofName, shape: shape, by: byName)), at: positions.first) }
        return (of, by)
    }

    /// The program with backward run from `node`: the run itself for its output, else the program
    /// evaluated again at the same point (the same nodes at the same positions).
    public func program(backwardFrom node: NodeID) -> Program? {
        let graph = program.graph
        if node == program.output, graph.gradient(of: node) != nil { return program }
        if let evaluated = backward[node.index] { return evaluated }
        let point = program.inputs.map { ($0.name, graph.value(of: $0.node)) }
        let parameters = Set(program.inputs.filter { graph.operations[$0.node.index] == .parameter }.map(\.name))
        guard let evaluated = try? Expressions.evaluate(program.source, options: .init(inputs: point, parameters: parameters, keepUnusedInputs: true)),
              (try? evaluated.graph.backward(from: evaluated.graph.node(at: node.index))) != nil else { return nil }
        backward[node.index] = evaluated
        return evaluated
    }

    /// A quantity's value in the run; `place` says where it was written, for errors.
    public func resolve(_ quantity: Quantity, in place: String = "the quantity") throws(ExpressionError) -> ResolvedQuantity {
        let graph = program.graph
        let entry = quantity.entry
        func pick(_ tensor: Tensor, _ what: String) throws(ExpressionError) -> Tensor {
            guard let entry else { return tensor }
            guard let value = Quantity.pick(entry, in: tensor) else {
                throw ExpressionError(.notation(.noSuchEntry(what, shape: tensor.shape)), at: quantity.position)
            }
            return Tensor(scalar: value)
        }
        switch quantity.kind {
        case .updated(let name):
            guard let update else { throw ExpressionError(.notation(.needsUpdate), at: quantity.position) }
            let id = try node(name, at: quantity.namePositions.first, in: place)
            guard let gradient = graph.gradient(of: id) else {
                throw ExpressionError(.notation(.noValue("the gradient of \(name)")), at: quantity.position)
            }
            let value = graph.value(of: id)
            let step = Tensor(scalar: update.sign * update.rate) * gradient
            return ResolvedQuantity(value: try pick(value + step, quantity.base), display: quantity.description, node: id, entry: entry,
                                    gradient: nil, otherDirection: try pick(value - step, quantity.base))
        case .gradient(let ofName, let byName):
            let (of, by) = try gradientNodes(quantity, in: place)
            guard let run = program(backwardFrom: of) else {
                throw ExpressionError(.notation(.noValue(quantity.base)), at: quantity.position)
            }
            let gradient = ClaimCheck.engineGradient(run, of: of, withRespectTo: by)
            return ResolvedQuantity(value: try pick(gradient, quantity.base), display: quantity.description, node: by, entry: entry,
                                    gradient: (of, by, ofName, byName, run), otherDirection: nil)
        case .value(let name):
            let id = try node(name, at: quantity.namePositions.first, in: place)
            return ResolvedQuantity(value: try pick(graph.value(of: id), name), display: quantity.description, node: id, entry: entry,
                                    gradient: nil, otherDirection: nil)
        }
    }

    /// What a formula's quantities (`abs(df/dw)`) are worth in this run.
    public var lookup: QuantityLookup {
        { (quantity: Quantity) throws(ExpressionError) -> Tensor in try self.resolve(quantity, in: "the formula").value }
    }

    /// A formula over the program's names where quantities may stand (`abs(df/dw)`, `dH/da[3] + 1`,
    /// `X[1]`: an entry written after a quantity is the language's indexing, so a row is fine).
    public func value(_ text: String) throws(ExpressionError) -> Tensor {
        try Notation.evaluate(text, names: names, quantities: lookup).value
    }

    /// A condition (`df/dx < 0`) in this run.
    public func condition(_ text: String) throws(ExpressionError) -> Condition {
        try Notation.condition(text, names: names, quantities: lookup)
    }
}
