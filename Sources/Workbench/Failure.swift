import Foundation

/// What a command's failure means for its exit status: the one place statuses are decided.
public enum ExitStatus: Int32, Sendable {
    /// Everything worked (and every check passed).
    case success = 0
    /// The work ran but failed: a check disagreed, NaN or infinity appeared.
    case failed = 1
    /// Bad usage or bad input: a typo in a program, a malformed file, a wrong flag.
    case badInput = 2
}

/// A failure to report in one line on stderr, with the exit status it implies.
public struct WorkbenchFailure: Error, Sendable, CustomStringConvertible {
    /// The line to print (without `error:` prefix), e.g. `prog.bp:2:9: unknown name 'zz'`.
    public let message: String
    /// Optional lines after it (a source line and caret).
    public let detail: String?
    /// The exit status.
    public let status: ExitStatus

    /// A failure of bad input (exit 2).
    public static func badInput(_ message: String, detail: String? = nil) -> WorkbenchFailure {
        WorkbenchFailure(message: message, detail: detail, status: .badInput)
    }

    /// A failure of the work itself (exit 1).
    public static func failed(_ message: String, detail: String? = nil) -> WorkbenchFailure {
        WorkbenchFailure(message: message, detail: detail, status: .failed)
    }

    public var description: String { detail.map { message + "\n" + $0 } ?? message }
}

/// Reading what the user gave us: program files, stdin, lesson files. Size-limited and UTF-8 checked.
public enum InputFile {
    /// Reads `path` (`-` for standard input) as UTF-8 text of at most `limit` bytes.
    /// - Throws: `WorkbenchFailure.badInput` naming the path and the reason.
    public static func text(_ path: String, limit: Int = 1_000_000) throws(WorkbenchFailure) -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readData(ofLength: limit + 1)
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .badInput("\(path): no such file")
            }
            guard !isDirectory.boolValue else { throw .badInput("\(path): is a directory, not a file") }
            guard let handle = FileHandle(forReadingAtPath: path) else { throw .badInput("\(path): cannot be read (permission denied?)") }
            defer { try? handle.close() }
            do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
                throw .badInput("\(path): cannot be read: \(error.localizedDescription)")
            }
        }
        let name = path == "-" ? "standard input" : path
        guard data.count <= limit else { throw .badInput("\(name): longer than the limit of \(limit) bytes") }
        guard let text = String(data: data, encoding: .utf8) else {
            let valid = String(decoding: data, as: UTF8.self)
            let bad = valid.firstIndex(of: "\u{FFFD}").map { valid[..<$0] } ?? Substring(valid)
            let line = bad.filter { $0 == "\n" }.count + 1
            let column = (bad.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
            throw .badInput("\(name):\(line):\(column): not UTF-8 text")
        }
        // TOMLKit stops reading at a NUL byte, so a NUL would hide whatever follows it.
        if let nul = text.firstIndex(of: "\u{0}") {
            let before = text[..<nul]
            let line = before.filter { $0 == "\n" }.count + 1
            let column = (before.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
            throw .badInput("\(name):\(line):\(column): not text: a NUL byte")
        }
        return text
    }
}
