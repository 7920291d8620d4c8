#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a file: its device and inode. Two paths name the same file (through links,
/// `./`, `..` or a hard link) exactly when their identities are equal.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity `stat` or `fstat` gave.
    public init(_ info: stat) { device = UInt64(info.st_dev); inode = UInt64(info.st_ino) }

    /// The identity of the file at `path` (links followed), or nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }
}

/// The rule every command keeps: an output never replaces an input of the same run.
///
/// A command lists the files it reads (a program, a lesson, a model file, a saved model, a
/// roster) and then checks each file it will write before writing anything: an output path that
/// is the same file as an input, by device and inode with links followed, is refused with one
/// line (exit 2) naming the option, the path and the input it would replace.
///
/// ```swift
/// try RunFiles(inputs: [(file, "the program file")]).check([("-o", output), ("--html", html)])
/// ```
public struct RunFiles: Sendable {
    /// The files read, by identity, with how to name them in a message.
    public private(set) var inputs: [FileIdentity: String] = [:]

    /// The inputs given as (path, how to name it); a nil path, or one that names nothing, is skipped.
    public init(inputs: [(path: String?, description: String)] = []) {
        for (path, description) in inputs { add(path, as: description) }
    }

    /// Records an input of the run by its path.
    public mutating func add(_ path: String?, as description: String) {
        guard let path, path != "-" else { return }
        add(FileIdentity(path: path), as: description)
    }

    /// Records an input of the run by its identity (the grader reads through descriptors).
    public mutating func add(_ file: FileIdentity?, as description: String) {
        if let file, inputs[file] == nil { inputs[file] = description }
    }

    /// The input `path` names, if it names one.
    public func input(at path: String) -> String? {
        FileIdentity(path: path).flatMap { inputs[$0] }
    }

    /// Checks one output file.
    /// - Throws: `WorkbenchFailure.badInput` (exit 2) when `path` is an input of this run.
    public func check(_ path: String?, option: String) throws(WorkbenchFailure) {
        guard let path, let input = input(at: path) else { return }
        throw .badInput("\(option) \(TerminalText.safe(path)) is \(TerminalText.safe(input)), an input of this run; an output never replaces an input: write it elsewhere")
    }

    /// Checks every output, in order: (option, path); nil paths are skipped.
    public func check(_ outputs: [(option: String, path: String?)]) throws(WorkbenchFailure) {
        for (option, path) in outputs { try check(path, option: option) }
    }
}
