import Autograd
import Expressions
import Foundation
import Support

/// One traced program: evaluate, run backward, check for NaN, take the trace. Used by `backprop trace`
/// and by the lesson runner, so both report the same way.
public struct TraceJob {
    /// The evaluated program.
    public let program: Program
    /// The trace (with gradients when the output is a scalar).
    public let trace: Trace
    /// Notes for stderr (e.g. why there are no gradients).
    public let notes: [String]

    /// Evaluates `source` at `inputs` and runs backward.
    /// - Parameters:
    ///   - file: the name used in messages (`program`, `prog.bp`).
    ///   - inputs: the `--at` text, e.g. `x=-2,y=5`.
    ///   - values: values read from files (`--values`) or the server's `"values"`; a name given
    ///     there and in `inputs` is bad input.
    ///   - parameters: names among the inputs to record as parameters.
    /// - Throws: `WorkbenchFailure`: bad input (exit 2) for any mistake in the program or the
    ///   values; failed (exit 1) when a NaN or infinity appears, naming the node and where it was written.
    public init(source: String, file: String = "program", inputs: String?, values given: GivenValues = GivenValues(),
                parameters: [String] = []) throws(WorkbenchFailure) {
        var values: [(name: String, value: Tensor)]
        do { values = try inputs.map(InputValues.parse) ?? [] } catch {
            // Positions in `--at` text are columns of its one line.
            throw WorkbenchFailure(error.message, at: SourceLocation(file: "--at", column: error.position?.column ?? 1),
                                   detail: error.detail, status: .badInput)
        }
        for value in given.values {
            if values.contains(where: { $0.name == value.name }) {
                throw .badInput("'\(value.name)' is given twice: in --at and in \(value.source)", at: SourceLocation(file: value.source))
            }
            values.append((value.name, value.value))
        }
        let program: Program
        do {
            program = try Expressions.evaluate(source, options: .init(inputs: values, parameters: Set(parameters), keepUnusedInputs: true))
        } catch {
            // Stopped by the server's deadline: the work failed to finish (exit 1), the program is not wrong.
            if error.kind == .engine(.deadlinePassed) { throw .failed(AutogradError.deadlinePassed.description) }
            throw error.located(in: file)
        }
        var notes: [String] = []
        let graph = program.graph
        // The graph remembers the first non-finite operation; leaves it does not watch, and the
        // language writes only finite numbers, so only the given inputs are left to look at.
        if let bad = graph.firstNonFiniteNode ?? program.inputs.map(\.node).first(where: { !graph.value(of: $0).isFinite }) {
            throw TraceJob.nonFinite(program, node: bad, what: "value", file: file)
        }
        if graph.shape(of: program.output).isEmpty {
            do { try graph.backward(from: program.output) } catch {
                if error == .deadlinePassed { throw .failed(error.description) }
                throw .failed("\(error)", at: SourceLocation(file: file))
            }
            // The inputs' gradients, as PyTorch's x.grad: an operation's may be ∞ where a mask
            // (relu, max, …) sends 0 on, and a constant subexpression has none.
            if let bad = graph.firstNonFiniteInputGradient {
                throw TraceJob.nonFinite(program, node: bad, what: "gradient", file: file)
            }
        } else {
            notes.append("note: the output has shape \(Tensor.describe(shape: graph.shape(of: program.output))), so there is no backward pass; reduce it with sum(...) or mean(...) to see gradients")
        }
        // A value for a name the program does not use is most likely a typo, but not wrong: the
        // output does not depend on it, so its gradient is 0.
        let output = graph.label(of: program.output)
        for name in program.unusedInputs {
            let source = given.values.first(where: { $0.name == name }).map(\.source) ?? "--at"
            notes.append("warning: \(source) gives '\(name)', which the program does not use" +
                         (graph.shape(of: program.output).isEmpty ? "; \(output) does not depend on \(name), so ∂\(output)/∂\(name) = 0" : ""))
        }
        self.program = program
        self.trace = graph.trace(output: program.output)
        self.notes = notes
    }

    static func nonFinite(_ program: Program, node: NodeID, what: String, file: String) -> WorkbenchFailure {
        let graph = program.graph
        let value = what == "value" ? graph.value(of: node) : (graph.gradient(of: node) ?? Tensor(scalar: .nan))
        let kind = value.storage.contains { $0.isNaN } ? "NaN" : "infinity"
        let label = graph.label(of: node)
        let place = program.positions[node].map { "\(file):\($0.line):\($0.column)" } ?? file
        let detail = program.positions[node].flatMap { position in
            program.sourceLine(position.line).map { "    " + $0 + "\n    " + String(repeating: " ", count: max(0, position.column - 1)) + "^" }
        }
        return .failed("the \(what) of \(label) (\(graph.operations[node.index].primitive.name)) is \(kind)", at: SourceLocation(file: place), detail: detail)
    }

    /// The gradient check of this trace's output (scalar outputs only).
    public func gradientCheck() throws(WorkbenchFailure) -> GradientCheck {
        guard trace.hasGradients else { throw .badInput("--check needs a scalar output; reduce it with sum(...) or mean(...)") }
        // Two replays of the whole graph per checked entry: refuse a check that would run for hours.
        let graph = program.graph
        let checked = program.inputs.map { graph.value(of: $0.node).count }.reduce(0, +)
        let (work, overflow) = (2 * checked).multipliedReportingOverflow(by: graph.count + graph.entries)
        guard !overflow, work <= TraceLimits.checkWork else {
            throw .badInput("--check: \(checked) input entries, each replayed twice through \(graph.count + graph.entries) nodes and entries, is more than the limit of \(TraceLimits.checkWork) (BACKPROP_MAX_CHECK_WORK raises it)")
        }
        let check = GradientCheck.run(graph, output: program.output)
        guard !check.stopped else { throw .failed(AutogradError.deadlinePassed.description) }
        return check
    }
}
