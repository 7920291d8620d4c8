import Support
import Foundation

/// Finding one lesson without letting another, broken file stop it: grading lesson 1 works beside a
/// broken lesson 99, and a command that needs lesson 99 reports that file's error with its line.
extension LessonLibrary {
    /// Every lesson file of the directory that reads, and the error of each one that does not.
    /// - Throws: only when the directory itself cannot be found.
    public static func load() throws(WorkbenchFailure) -> (lessons: [Lesson], broken: [(file: String, error: WorkbenchFailure)]) {
        let directory = try directory()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".toml") }.sorted()
        var lessons: [Lesson] = [], broken: [(file: String, error: WorkbenchFailure)] = []
        for name in names {
            do { lessons.append(try Lesson(file: directory + "/" + name)) } catch { broken.append((directory + "/" + name, error)) }
        }
        return (lessons.sorted { $0.number < $1.number }, broken)
    }

    /// Lesson `number`, read from the one file that declares it.
    ///
    /// - Throws: `WorkbenchFailure.badInput` when no file declares it (listing the lessons there
    ///   are), when two do, or with the error of a broken file whose `number = …` line names it.
    public static func lesson(_ number: Int) throws(WorkbenchFailure) -> Lesson {
        let (lessons, broken) = try load()
        let found = lessons.filter { $0.number == number }
        if found.count > 1 { throw .badInput("lesson number \(number) is also used by \(found[0].file)", at: SourceLocation(file: found[1].file)) }
        // A broken file that says it is this lesson: its own error is the one to report.
        if let bad = broken.first(where: { declaredNumber(in: $0.file) == number }) { throw bad.error }
        if let lesson = found.first { return lesson }
        let numbers = lessons.map { String($0.number) }.joined(separator: ", ")
        var message = "there is no lesson \(number); the lessons are \(numbers) (see 'backprop lessons')"
        if let first = broken.first { message += "; \(broken.count) file\(broken.count == 1 ? "" : "s") could not be read, the first: \(first.error.message)" }
        throw .badInput(message)
    }

    /// The `number = N` a lesson file declares at the top level, read line by line without TOML (the
    /// file may be broken anywhere); nil when there is none.
    static func declaredNumber(in file: String) -> Int? {
        guard let text = try? InputFile.text(file, limit: 1_000_000) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { return nil }   // past the top-level keys
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "number" { return Int(parts[1].split(separator: "#").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") }
        }
        return nil
    }
}
