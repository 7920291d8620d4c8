import Foundation
import Testing

// Every lesson's terminal output fits 100 columns (docs/lessons.md): long lines are folded and
// large tensors shown by their corners. Columns are counted as a terminal counts them: one per
// character, none for a combining mark (the bar of ȳ, the hat of m̂).
@Suite("lesson output width")
struct LessonWidthTests {
    static func columns(_ line: Substring) -> Int {
        line.unicodeScalars.filter { !(0x0300...0x036F).contains($0.value) && !(0x20D0...0x20FF).contains($0.value) }.count
    }

    @Test("backprop lesson --all and backprop lessons print no line wider than 100 columns; 28 or more lessons, numbered 1 to N")
    func width() throws {
        // One run of every lesson (the MNIST lessons train for a while in a debug build).
        for arguments in [["lesson", "--all"], ["lessons"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count > 30)
            let wide = lines.filter { LessonWidthTests.columns($0) > 100 }
            #expect(wide.isEmpty, "\(arguments): \(wide.count) lines over 100 columns, e.g. \(wide.first ?? "")")
            if arguments == ["lesson", "--all"] {
                // Each lesson starts with "Lesson N: title".
                let numbers = lines.compactMap { line -> Int? in
                    guard line.hasPrefix("Lesson "), let colon = line.firstIndex(of: ":") else { return nil }
                    return Int(line[line.index(line.startIndex, offsetBy: 7)..<colon])
                }
                #expect(numbers.count >= 28)
                #expect(numbers == Array(1...max(1, numbers.count)))
            }
        }
    }
}
