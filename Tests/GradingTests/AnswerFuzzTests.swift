import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams

// A seeded mutational fuzzer for answer files, the untrusted input of `backprop grade`: a valid
// answer file for lesson 1 is mutated byte by byte and chunk by chunk, and every mutant is graded.
// Grading must never crash and must always give a report: a grade between 0 and the maximum, or a
// rejection with a one-line reason. BACKPROP_FUZZ_INPUTS sets a longer run; results in docs/reliability.md.

private let lessonFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("lessons/001-sum-times.toml").path

private let seedAnswers = """
    student = "s1234567"
    name = "Ada Lovelace"
    lesson = 1

    [answers]
    q-value = 3
    f-value = -12
    df-dq = -4
    df-dx = "1/3"
    df-dq-formula = "z"
    df-dz-formula = "df/dz = q"
    x-up = "b"

    [answers.fill-graph]
    q = 3
    "df/dq" = -4
    "df/dz" = -3
    """

@Suite("Fuzzing answer files")
struct AnswerFuzzTests {
    static let fragments: [[UInt8]] = ["[", "]", "[[", "{", "}", "=", "\"", "'", "\"\"\"", "\n", "#", ",", ".", "-", "1e999", "nan", "inf",
                                       "exp(", "reshape(", "[[[[[[[[[", "x", "z", "q", "df/dx", "∂", "\u{202E}", "=cmd|'/c calc'!A1",
                                       "lesson = 2\n", "student = \"\"\n", "[answers.a.b.c.d.e.f.g.h.i]\n"].map { Array($0.utf8) }
        + [[0], [0xFF], [0xC3], [0x1B]]

    @Test("mutants of an answer file never crash grading; each gets a grade or a one-line reason")
    func mutants() throws {
        let set = try ExerciseSet(try Lesson(file: lessonFile))
        let budget = Int(ProcessInfo.processInfo.environment["BACKPROP_FUZZ_INPUTS"] ?? "") ?? 3_000
        let seconds = Double(ProcessInfo.processInfo.environment["BACKPROP_FUZZ_SECONDS"] ?? "") ?? 20
        let original = Array(seedAnswers.utf8)
        let baseline = set.grade(bytes: original, file: "seed.toml")
        #expect(baseline.rejection == nil, "\(baseline.report())")
        let seed = UInt64(ProcessInfo.processInfo.environment["BACKPROP_FUZZ_SEED"] ?? "") ?? 7
        var random = TestSupport.SplitMix64(seed: seed)
        var tried = 0, rejected = 0, graded = 0
        let start = Date()
        while tried < budget && Date().timeIntervalSince(start) < seconds {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 5)) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 4 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(contentsOf: Self.fragments[Int(random.next() % UInt64(Self.fragments.count))], at: position)
                case 2 where position < bytes.count: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                default:
                    let from = Int(random.next() % UInt64(original.count)), length = Int(random.next() % 40)
                    bytes.insert(contentsOf: original[from..<Swift.min(original.count, from + length)], at: position)
                }
            }
            tried += 1
            if let path = ProcessInfo.processInfo.environment["BACKPROP_FUZZ_LAST"] {
                // Kept before grading, so a crash leaves the input that caused it.
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
            let grade = set.grade(bytes: bytes, file: "mutant.toml")
            if let reason = grade.rejection {
                rejected += 1
                #expect(!reason.isEmpty && !reason.contains("\n"), "\(reason.debugDescription)")
                #expect(grade.points == 0)
            } else {
                graded += 1
                #expect(grade.points >= 0 && grade.points <= grade.maxPoints)
            }
        }
        print("fuzz: \(tried) answer files in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(graded) graded, \(rejected) rejected with a reason, 0 crashes")
        #expect(graded > 0 && rejected > 0)
    }
}
