import Foundation
import Datasets

/// What a command's failure means for its exit status: the one place statuses are decided.
public enum ExitStatus: Int32, Sendable {
    /// Everything worked (and every check passed).
    case success = 0
    /// The work ran but failed: a check disagreed, NaN or infinity appeared.
    case failed = 1
    /// Bad usage or bad input: a typo in a program, a malformed file, a wrong flag.
    case badInput = 2
}

/// Where a diagnostic points: a file (or a flag such as `--claim`), and a line and column when known.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, leaving out what is not known.
    public var description: String { file + (line.map { ":\($0)" } ?? "") + (column.map { ":\($0)" } ?? "") }
}

/// Every error the workbench reports: what went wrong, where, and the exit status it means.
///
/// The command line prints one line, `backprop: FILE:LINE:COLUMN: error: WHAT`, then `detail` (a
/// source line and a caret) when there is one, and exits with `exitStatus`. Nothing reads the text
/// for meaning: the place and the status are fields. The engine's own errors (Autograd, Expressions,
/// Datasets) conform in Diagnostic+Engine.swift.
public protocol Diagnostic: Error, CustomStringConvertible {
    /// One sentence saying what went wrong, without the place.
    var what: String { get }
    /// Where, when the input has a place.
    var location: SourceLocation? { get }
    /// Lines shown after the message: the source line and a caret under the column.
    var detail: String? { get }
    /// 2 for bad input, 1 for failed work.
    var exitStatus: ExitStatus { get }
}

extension Diagnostic {
    public var location: SourceLocation? { nil }
    public var detail: String? { nil }

    /// The one line: `FILE:LINE:COLUMN: error: WHAT`, or `error: WHAT` without a place.
    public var headline: String { location.map { "\($0): error: \(what)" } ?? "error: \(what)" }
}

/// A failure of a command's work or of its input: the workbench's own `Diagnostic`.
public struct WorkbenchFailure: Diagnostic, Sendable {
    public let what: String
    public let location: SourceLocation?
    public let detail: String?
    public let exitStatus: ExitStatus

    public init(_ what: String, at location: SourceLocation? = nil, detail: String? = nil, status: ExitStatus) {
        self.what = what
        self.location = location
        self.detail = detail
        self.exitStatus = status
    }

    /// Any diagnostic, as a failure of the same place and status.
    public init(_ diagnostic: some Diagnostic) {
        self.init(diagnostic.what, at: diagnostic.location, detail: diagnostic.detail, status: diagnostic.exitStatus)
    }

    /// A failure of bad input (exit 2).
    public static func badInput(_ what: String, at location: SourceLocation? = nil, detail: String? = nil) -> WorkbenchFailure {
        WorkbenchFailure(what, at: location, detail: detail, status: .badInput)
    }

    /// A failure of the work itself (exit 1).
    public static func failed(_ what: String, at location: SourceLocation? = nil, detail: String? = nil) -> WorkbenchFailure {
        WorkbenchFailure(what, at: location, detail: detail, status: .failed)
    }

    /// The same failure, placed (a caller that knows the file adds it).
    public func located(_ location: SourceLocation) -> WorkbenchFailure {
        WorkbenchFailure(what, at: self.location ?? location, detail: detail, status: exitStatus)
    }

    /// The same failure with words before what it says (`exercise 'f-value': …`).
    public func prefixed(_ words: String) -> WorkbenchFailure {
        WorkbenchFailure(words + what, at: location, detail: detail, status: exitStatus)
    }

    public var status: ExitStatus { exitStatus }
    /// The one line (`headline`).
    public var message: String { headline }
    public var description: String { detail.map { headline + "\n" + $0 } ?? headline }
}

/// Reading what the user gave us: program files, stdin, lesson files. Size-limited and UTF-8 checked.
public enum InputFile {
    /// The bytes of the regular file at `path`, at most `limit` of them (`Datasets.RegularFile`:
    /// a named pipe, a device or a directory is refused, never waited on).
    /// - Throws: `WorkbenchFailure.badInput` naming the path and the reason.
    public static func bytes(_ path: String, limit: Int) throws(WorkbenchFailure) -> [UInt8] {
        do { return try RegularFile.read(path, limit: limit) } catch {
            throw .badInput(error.description, at: SourceLocation(file: path))
        }
    }

    /// Reads `path` (`-` for standard input) as UTF-8 text of at most `limit` bytes.
    /// - Throws: `WorkbenchFailure.badInput` naming the path and the reason.
    public static func text(_ path: String, limit: Int = 1_000_000) throws(WorkbenchFailure) -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readData(ofLength: limit + 1)
        } else {
            // The one way an input file is opened (Datasets.RegularFile): regular files only, so a
            // named pipe or a device is refused instead of waited on; never more than the limit.
            do { data = Data(try RegularFile.read(path, limit: limit)) } catch {
                if case .tooLarge = error { throw .badInput("longer than the limit of \(limit) bytes", at: SourceLocation(file: path)) }
                throw .badInput(error.description, at: SourceLocation(file: path))
            }
        }
        let name = path == "-" ? "standard input" : path
        guard data.count <= limit else { throw .badInput("longer than the limit of \(limit) bytes", at: SourceLocation(file: name)) }
        guard let text = String(data: data, encoding: .utf8) else {
            let valid = String(decoding: data, as: UTF8.self)
            let bad = valid.firstIndex(of: "\u{FFFD}").map { valid[..<$0] } ?? Substring(valid)
            let line = bad.filter { $0 == "\n" }.count + 1
            let column = (bad.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
            throw .badInput("not UTF-8 text", at: SourceLocation(file: name, line: line, column: column))
        }
        // TOMLKit stops reading at a NUL byte, so a NUL would hide whatever follows it.
        if let nul = text.firstIndex(of: "\u{0}") {
            let before = text[..<nul]
            let line = before.filter { $0 == "\n" }.count + 1
            let column = (before.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
            throw .badInput("not text: a NUL byte", at: SourceLocation(file: name, line: line, column: column))
        }
        return text
    }
}
