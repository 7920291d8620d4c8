import Foundation
import Testing

/// The page commands end to end: `lesson N --html` for the biggest lessons, `-o FILE.pdf` on
/// `lesson` and `exercises`, and `site`.
@Suite("backprop pages (lesson --html, -o .pdf, site)", .serialized)
struct PageCommandTests {
    @Test("lesson 13 --html and lesson 14 --html: one drawing, under 5 MB", arguments: [13, 14])
    func bigLessons(number: Int) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLI.run(["lesson", String(number), "--html", "page.html"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOfFile: directory + "/page.html", encoding: .utf8)
        #expect(page.utf8.count < 5_000_000)
        #expect(page.components(separatedBy: "<svg").count - 1 == 1)
        #expect(page.contains("<h2>Checks</h2>") && page.contains("<h2>Step by step</h2>"))
    }

    @Test("-o FILE.pdf prints the lesson and the sheet (Letter and A4)")
    func pdf() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sheet = try CLI.run(["exercises", "1", "-o", "sheet.pdf", "--paper", "letter"], in: directory)
        #expect(sheet.status == 0, "\(sheet.stderr)")
        let lesson = try CLI.run(["lesson", "1", "-o", "lesson.pdf"], in: directory)
        #expect(lesson.status == 0, "\(lesson.stderr)")
        for name in ["sheet.pdf", "lesson.pdf"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            #expect(data.starts(with: Array("%PDF".utf8)), "\(name)")
        }
        let bad = try CLI.run(["exercises", "1", "-o", "sheet.pdf", "--paper", "A5"], in: directory)
        #expect(bad.status == 2)
    }

    @Test("site DIR writes the course and names the solutions folder; solutions inside the site are refused")
    func site() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CLI.run(["site", "course"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("course/index.html: ") && result.stdout.contains("course-solutions: "), "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: directory + "/course/lessons/001.html"))
        #expect(FileManager.default.fileExists(atPath: directory + "/course/sheets/001.md"))
        #expect(FileManager.default.fileExists(atPath: directory + "/course-solutions/001.html"))
        let refused = try CLI.run(["site", "course", "--solutions", "course/answers"], in: directory)
        #expect(refused.status == 2)
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    }
}
