import Autograd
import Expressions
import Foundation
import TOMLKit
import Support
import Claims
import ModelFiles
import Lessons
import Datasets
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Reading files safely

/// Reading one submission without following a link out of its directory, without blocking on a
/// pipe, and without reading more than the limit.
public enum SubmissionFile {
    /// What happened when reading a path.
    public enum Read {
        /// The bytes (at most the limit + 1, so that a bigger file is seen as too big).
        case bytes([UInt8])
        /// Not a submission at all (a directory, a pipe, a link out of the directory): no row in the gradebook.
        case skipped(String)
        /// A submission that could not be read (it vanished, permission denied): 0 points.
        case unreadable(String)
    }

    /// Reads `name` in `directory` (whose real path is `root`).
    public static func read(_ name: String, in directory: String, root: String) -> Read {
        let path = (directory as NSString).appendingPathComponent(name)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return errno == ENOENT ? .unreadable("vanished before it could be read") : .unreadable("cannot be read: \(String(cString: strerror(errno)))")
        }
        var target = path
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else { return .skipped("a symbolic link to nothing") }
            target = String(cString: resolved)
            free(resolved)
            guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else { return .skipped("a symbolic link out of the directory (to \(Submission.printable(target).dropFirst().dropLast())); not followed") }
            guard stat(target, &info) == 0 else { return .unreadable("vanished before it could be read") }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .skipped("a directory")
        case S_IFIFO: return .skipped("a named pipe, not a file")
        case S_IFSOCK: return .skipped("a socket, not a file")
        default: return .skipped("a device, not a file")
        }
        let fd = open(target, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return .unreadable("vanished before it could be read")
            case ELOOP: return .skipped("became a symbolic link while being read; not followed")
            default: return .unreadable("cannot be read: \(String(cString: strerror(errno)))")
            }
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .skipped("not a regular file") }
        // One byte past the limit, so the grader can say the file is too large.
        do {
            return .bytes(try RegularFile.readAll(fd, size: Int(info.st_size), atMost: AnswerLimits.fileBytes + 1))
        } catch {
            return .unreadable(error.description)
        }
    }
}

// MARK: - A directory of submissions

/// Every submission in a directory graded against one lesson: the reports, the files skipped, the
/// duplicate student ids, and the gradebook.
public struct GradeBatch {
    public struct Skipped: Sendable {
        public let file: String
        public let reason: String
    }

    public let directory: String
    public let set: ExerciseSet
    /// One per submission file, in file-name order.
    public let grades: [SubmissionGrade]
    public let skipped: [Skipped]
    /// Student ids that several files give, with those files (all of them are kept).
    public let duplicates: [(student: String, files: [String])]
    /// The files read (device and inode): no output of the run may be written onto one of them.
    public let inputFiles: Set<SafeDirectory.FileID>

    /// Grades every file of `directory` except hidden files and the paths in `excluding` (the outputs).
    /// `reveal`: whether a wrong answer's feedback may give the engine's figure (`grade --reveal`).
    /// - Throws: `WorkbenchFailure.badInput` if the directory cannot be listed.
    /// With `variants` (`grade --course`), each file is graded against its own student's variant.
    public init(directory: String, set: ExerciseSet, excluding: [String] = [], variants: CourseVariants? = nil,
                reveal: Bool = true) throws(WorkbenchFailure) {
        self.directory = directory
        self.set = set
        // Read from the directory's descriptor: nothing outside it, even while it changes (SafeDirectory.swift).
        let folder = try SafeDirectory(directory)
        let names = try folder.names()
        let excluded = Set(excluding.compactMap { SafeDirectory.FileID(path: $0) })
        var grades: [SubmissionGrade] = []
        var skipped: [Skipped] = []
        var inputs: Set<SafeDirectory.FileID> = []
        var sets: [String: ExerciseSet] = [:]
        for name in names where !name.hasPrefix(".") {
            let entry = folder.read(name)
            if let file = entry.file {
                if excluded.contains(file) { continue }
                inputs.insert(file)
            }
            switch entry.read {
            case .skipped(let reason): skipped.append(Skipped(file: name, reason: reason))
            case .unreadable(let reason): grades.append(set.rejected(file: name, reason: reason))
            case .bytes(let bytes):
                grades.append(variants.map { $0.grade(bytes: bytes, file: name, notes: set, sets: &sets, reveal: reveal) }
                              ?? set.grade(bytes: bytes, file: name, reveal: reveal))
            }
        }
        self.inputFiles = inputs
        self.grades = grades
        self.skipped = skipped
        var files: [String: [String]] = [:]
        for grade in grades { if let student = grade.student { files[student, default: []].append(grade.file) } }
        self.duplicates = files.filter { $0.value.count > 1 }.map { ($0.key, $0.value) }.sorted { $0.student < $1.student }
    }

    /// The plain gradebook (Gradebook.swift): `student,name,file`, one column per exercise, `total`,
    /// `feedback`; one row per graded submission.
    public func csv() -> String {
        // The plain format needs no roster, so it cannot fail.
        (try? Gradebook(grades: grades, set: set, format: .csv, roster: nil))?.text ?? ""
    }

    /// One field of a CSV row, quoted when needed.
    public static func csvField(_ text: String) -> String {
        // Control and format characters (escapes, bidi overrides) written as \u{…}, as on a terminal.
        var field = TerminalText.safe(text)
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        let special = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || field.hasPrefix(" ") || field.hasSuffix(" ")
        return special ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// The batch report: one line per file, the skipped files, the duplicates, a summary.
    public func report() -> String {
        let lesson = set.lesson
        var lines = ["lesson \(lesson.number) (\(set.items.count) exercises, \(GradeFormat.points(set.maxPoints)) points): \(grades.count) submission\(grades.count == 1 ? "" : "s") in \(directory)"]
        let fileWidth = min(40, (grades.map(\.file) + skipped.map(\.file)).map { TerminalText.safe($0).count }.max() ?? 0)
        let whoWidth = min(40, grades.map { who($0).count }.max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        for grade in grades {
            var line = "  \(pad(TerminalText.safe(grade.file), fileWidth))   \(pad(who(grade), whoWidth))   \(GradeFormat.points(grade.points))/\(GradeFormat.points(grade.maxPoints))"
            if let rejection = grade.rejection { line += "   rejected: \(rejection)" }
            lines.append(line)
        }
        for skip in skipped { lines.append("  \(pad(TerminalText.safe(skip.file), fileWidth))   skipped: \(TerminalText.safe(skip.reason))") }
        for duplicate in duplicates {
            lines.append("duplicate student id '\(duplicate.student)': " + duplicate.files.map(TerminalText.safe).joined(separator: ", ") + " (all kept)")
        }
        let rejected = grades.filter { $0.rejection != nil }.count
        let graded = grades.count - rejected
        let mean = graded > 0 ? grades.filter { $0.rejection == nil }.map(\.points).reduce(0, +) / Double(graded) : 0
        lines.append("\(graded) graded (mean \(GradeFormat.points(mean))/\(GradeFormat.points(set.maxPoints))), \(rejected) rejected, \(skipped.count) skipped")
        return lines.joined(separator: "\n")
    }

    func who(_ grade: SubmissionGrade) -> String {
        guard let student = grade.student else { return "—" }
        return student + (grade.name.map { " (\($0))" } ?? "")
    }

    public func json(gradebook: String?) -> JSONValue {
        .object([
            "lesson": .number(Double(set.lesson.number)),
            "directory": .string(directory),
            "exercises": .array(set.items.map { .string($0.exercise.id) }),
            "maxPoints": .number(GradeFormat.rounded(set.maxPoints)),
            "submissions": .array(grades.map { $0.json() }),
            "skipped": .array(skipped.map { .object(["file": .string($0.file), "reason": .string($0.reason)]) }),
            "duplicates": .array(duplicates.map { .object(["student": .string($0.student), "files": .array($0.files.map(JSONValue.string))]) }),
            "gradebook": gradebook.map(JSONValue.string) ?? .null,
        ])
    }
}
