import Foundation
import Testing
@testable import Grading
import Claims
import Lessons
import Support

// Reading a graded directory from its file descriptor: links are followed only inside it, and a
// subdirectory swapped for a link to a directory outside, while grading runs, is never read through.

@Suite("the graded directory, walked safely", .serialized)
struct SafeDirectoryTests {
    static func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    static func answer(_ student: String) -> String { "student = \"\(student)\"\nlesson = 1\n[answers]\nq-value = 3\n" }

    static func lessonOne() throws -> ExerciseSet {
        let lesson = try #require(try LessonLibrary.all().first { $0.number == 1 })
        return try ExerciseSet(lesson)
    }

    @Test("links inside the directory are followed; out of it, through a link, or to nothing they are not")
    func links() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("safe-\(UUID().uuidString)").path
        let inside = root + "/class", outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: inside + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write(Self.answer("inside"), inside + "/sub/a.toml")
        try Self.write(Self.answer("outside"), outside + "/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/rel.toml", withDestinationPath: "sub/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/dots.toml", withDestinationPath: "./sub/../sub/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/abs.toml", withDestinationPath: inside + "/sub/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/up.toml", withDestinationPath: "../outside/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/out.toml", withDestinationPath: outside + "/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/elsewhere", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: inside + "/through.toml", withDestinationPath: "elsewhere/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/chain.toml", withDestinationPath: "rel.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/none.toml", withDestinationPath: "sub/missing.toml")
        let folder = try SafeDirectory(inside)
        func outcome(_ name: String) -> String {
            switch folder.read(name).read {
            case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self).contains("inside") ? "inside" : "OUTSIDE"
            case .skipped(let reason): return "skipped: " + reason
            case .unreadable(let reason): return "unreadable: " + reason
            }
        }
        #expect(outcome("rel.toml") == "inside")
        #expect(outcome("dots.toml") == "inside")
        #expect(outcome("abs.toml") == "inside")
        #expect(outcome("up.toml").hasPrefix("skipped: a symbolic link out of the directory"))
        #expect(outcome("out.toml").hasPrefix("skipped: a symbolic link out of the directory"))
        #expect(outcome("through.toml").hasPrefix("skipped: a symbolic link through another link"))
        #expect(outcome("chain.toml").hasPrefix("skipped: a symbolic link to a link"))
        #expect(outcome("none.toml") == "skipped: a symbolic link to nothing")
        #expect(outcome("sub") == "skipped: a directory")
        #expect(outcome("elsewhere").hasPrefix("skipped:"))
    }

    @Test("a subdirectory swapped for a link to a directory outside, 1,000 times while grading: nothing outside is read")
    func swapRace() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("race-\(UUID().uuidString)").path
        let inside = root + "/class", outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: inside + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write(Self.answer("s-inside"), inside + "/sub/a.toml")
        try Self.write(Self.answer("s-outside"), outside + "/a.toml")
        try FileManager.default.createSymbolicLink(atPath: inside + "/link.toml", withDestinationPath: "sub/a.toml")
        try Self.write(Self.answer("s-plain"), inside + "/plain.toml")
        let set = try Self.lessonOne()

        // The student's side: swap sub for a link to outside/ and back, as fast as it goes.
        let stop = ManagedAtomicFlag()
        let swapper = Thread {
            while !stop.isSet {
                rename(inside + "/sub", inside + "/sub.real")
                symlink(outside, inside + "/sub")
                usleep(UInt32.random(in: 0...50))
                unlink(inside + "/sub")
                rename(inside + "/sub.real", inside + "/sub")
                usleep(UInt32.random(in: 0...50))
            }
        }
        swapper.start()
        defer { stop.set(); while swapper.isExecuting { usleep(1000) } }

        var students: [String: Int] = [:]
        var refused = 0
        for _ in 0..<1000 {
            let batch = try GradeBatch(directory: inside, set: set)
            for grade in batch.grades { students[grade.student ?? "-", default: 0] += 1 }
            refused += batch.skipped.filter { $0.file == "link.toml" && $0.reason.contains("through another link") }.count
        }
        // The path-based reader it replaces (realpath, then open by path), under the same swapping.
        var leaked = 0
        let real = URL(fileURLWithPath: inside).resolvingSymlinksInPath().path
        for _ in 0..<1000 {
            if case .bytes(let bytes) = SubmissionFile.read("link.toml", in: inside, root: real),
               String(decoding: bytes, as: UTF8.self).contains("s-outside") { leaked += 1 }
        }
        stop.set()
        print("swap race: the link was refused \(refused) times in 1,000 batches; reading by path read outside \(leaked) times in 1,000")
        #expect(students["s-outside"] == nil, "read outside the directory: \(students)")
        #expect(students["s-plain"] == 1000)
        // The link was followed inside while sub was a real directory, at least sometimes.
        #expect((students["s-inside"] ?? 0) > 0, "\(students)")
        // ... and refused while sub was a link: the swap really raced the grading.
        #expect(refused > 0, "the swapper never caught the grader mid-run")
    }
}

/// A flag set once from one thread and read from another.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
