import Foundation
import Autograd
import Support
import Claims
import Lessons

/// The outputs of one `grade` run checked against its inputs before anything is written: an output
/// never replaces a submission, the roster or the lesson of the same run, and never lands in the
/// directory being graded without saying so.
public struct OutputGuard {
    /// The files read, with how to name them in a message.
    public private(set) var inputs: [SafeDirectory.FileID: String] = [:]
    /// The directory being graded, if any.
    public let gradedDirectory: SafeDirectory.FileID?

    public init(gradedDirectory: String?) {
        self.gradedDirectory = gradedDirectory.flatMap { SafeDirectory.FileID(path: $0) }
    }

    /// Records an input of the run.
    public mutating func add(_ file: SafeDirectory.FileID?, as description: String) {
        if let file, inputs[file] == nil { inputs[file] = description }
    }

    /// The directory an output lands in: the parent of what the path names (links followed).
    static func parent(of path: String) -> SafeDirectory.FileID? {
        var target = path
        if let resolved = realpath(path, nil) { target = String(cString: resolved); free(resolved) }
        let parent = (target as NSString).deletingLastPathComponent
        return SafeDirectory.FileID(path: parent.isEmpty ? "." : parent)
    }

    /// Checks one output file. Returns a note to print when it is written into the graded directory.
    /// - Throws: `WorkbenchFailure.badInput` (exit 2) when the path is an input of this run, or an
    ///   existing file of the directory being graded (a submission).
    public func check(_ path: String, option: String) throws(WorkbenchFailure) -> String? {
        let shown = TerminalText.safe(path)
        if let existing = SafeDirectory.FileID(path: path), let input = inputs[existing] {
            throw .badInput("\(option) \(shown) is \(TerminalText.safe(input)), an input of this run; an output never replaces an input: write it elsewhere")
        }
        guard let gradedDirectory, OutputGuard.parent(of: path) == gradedDirectory else { return nil }
        var info = stat()
        if lstat(path, &info) == 0 {
            throw .badInput("\(option) \(shown) is a file in the directory being graded, so it would be graded as a submission and then overwritten; write it elsewhere")
        }
        return "note: \(option) \(shown) is written into the directory being graded; it did not exist, so it was not graded"
    }

    /// Checks a directory for pages: not the graded directory itself.
    public func checkDirectory(_ path: String, option: String) throws(WorkbenchFailure) {
        if let gradedDirectory, SafeDirectory.FileID(path: path) == gradedDirectory {
            throw .badInput("\(option) \(TerminalText.safe(path)) is the directory being graded; write the pages into another directory")
        }
        if let existing = SafeDirectory.FileID(path: path), let input = inputs[existing] {
            throw .badInput("\(option) \(TerminalText.safe(path)) is \(TerminalText.safe(input)), an input of this run; write the pages elsewhere")
        }
    }
}
