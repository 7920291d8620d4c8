import Autograd
import Datasets
import Expressions

// The engine's typed errors are diagnostics too: the command line reports them with their place and
// status without turning them into text first.

extension AutogradError: Diagnostic {
    public var what: String { description }
    /// Bad input, but for the deadline: the work failed to finish in time (exit 1).
    public var exitStatus: ExitStatus { self == .deadlinePassed ? .failed : .badInput }
}

extension ExpressionError: Diagnostic {
    public var what: String { message }
    public var location: SourceLocation? { located(in: "program").location }
    public var detail: String? {
        guard let position, let sourceLine, sourceLine.count < 200 else { return nil }
        return "    " + sourceLine + "\n    " + String(repeating: " ", count: max(0, position.column - 1)) + "^"
    }
    public var exitStatus: ExitStatus { .badInput }

    /// This error as a failure placed in `file` (the program's file, or `--at`, or a lesson's program).
    public func located(in file: String) -> WorkbenchFailure {
        WorkbenchFailure(message, at: SourceLocation(file: file, line: position?.line, column: position?.column),
                         detail: detail, status: .badInput)
    }
}

extension DatasetError: Diagnostic {
    public var what: String {
        guard let place else { return message }
        if place.hasPrefix("line "), let comma = place.firstIndex(of: ",") {
            return place[place.index(after: comma)...].trimmingPrefix(" ") + ": " + message
        }
        return place.hasPrefix("line ") ? message : place + ": " + message
    }
    public var location: SourceLocation? {
        guard let place else { return SourceLocation(file: file) }
        // `line 12` and `line 12, field 3` are places in a text file; `byte 16` stays in the sentence.
        if place.hasPrefix("line "), let line = Int(place.dropFirst(5).prefix { $0.isNumber }) { return SourceLocation(file: file, line: line) }
        return SourceLocation(file: file)
    }
    public var exitStatus: ExitStatus { .badInput }
}
