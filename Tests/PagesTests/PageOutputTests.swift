import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Pages

/// Printed pages (headless Chromium's print to PDF, A4 and Letter) and the course site (every
/// link resolves, the solutions stay out of it).
@Suite("Printed pages and the site", .serialized)
struct PageOutputTests {
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// The first `/MediaBox [x0 y0 x1 y1]` of a PDF, as (width, height) in points.
    static func mediaBox(_ pdf: [UInt8]) -> (Double, Double)? {
        let text = String(decoding: pdf, as: UTF8.self)
        guard let start = text.range(of: "/MediaBox [") else { return nil }
        let numbers = text[start.upperBound...].prefix { $0 != "]" }.split(separator: " ").compactMap { Double($0) }
        return numbers.count == 4 ? (numbers[2] - numbers[0], numbers[3] - numbers[1]) : nil
    }

    @Test("the lesson page and the student sheet print to PDF on A4 and on Letter", .enabled(if: HeadlessChromium.isAvailable),
          .timeLimit(.minutes(5)), arguments: Paper.allCases)
    func printsOnPaper(paper: Paper) throws {
        let lesson = try #require(try LessonLibrary.all().first { $0.number == 1 })
        let lessonPDF = try PrintedPage.pdf(html: try LessonPage.html(try LessonRun(lesson), printing: true), paper: paper)
        let sheetPDF = try PrintedPage.pdf(html: try ExerciseSet(lesson).html(solutions: false), paper: paper)
        for pdf in [lessonPDF, sheetPDF] {
            #expect(pdf.starts(with: Array("%PDF".utf8)))
            let size = try #require(Self.mediaBox(pdf))
            #expect(abs(size.0 - paper.points.width) < 2 && abs(size.1 - paper.points.height) < 2, "\(size) on \(paper)")
        }
    }

    @Test("the printed lesson opens on its last step: every number shown")
    func printedCopyShowsEverything() throws {
        let lesson = try #require(try LessonLibrary.all().first { $0.number == 1 })
        let page = try LessonPage.html(try LessonRun(lesson), printing: true)
        #expect(page.contains("<html lang=\"en\" data-print=\"final\">"))
        #expect(page.contains("break-inside: avoid"))
    }

    @Test("the site: an index, every lesson page and sheet, relative links that all resolve; solutions apart", .timeLimit(.minutes(5)))
    func site() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lessons = try LessonLibrary.all()
        let summary = try CourseSite.write(to: root + "/site", teacher: root + "/site-solutions", lessons: lessons)
        #expect(summary.lessons == lessons.count)
        #expect(summary.sheets == lessons.filter { !$0.exercises.isEmpty }.count)
        let files = try FileManager.default.subpathsOfDirectory(atPath: root + "/site").filter { $0.hasSuffix(".html") }
        #expect(files.contains("index.html"))
        #expect(files.filter { $0.hasPrefix("lessons/") }.count == lessons.count)
        var links = 0
        for file in files {
            let text = try String(contentsOfFile: root + "/site/" + file, encoding: .utf8)
            #expect(!text.contains("site-solutions"), "\(file) mentions the solutions folder")
            #expect(!text.contains("class=\"solution\""), "\(file) has a solution")
            let pattern = try NSRegularExpression(pattern: ##"href="([^"#]+)""##)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let href = String(text[Range(match.range(at: 1), in: text)!])
                #expect(!href.contains("://") && !href.hasPrefix("/"), "\(file): \(href) is not relative")
                let target = URL(fileURLWithPath: root + "/site/" + file).deletingLastPathComponent().appendingPathComponent(href).standardizedFileURL.path
                #expect(FileManager.default.fileExists(atPath: target), "\(file): \(href) does not resolve")
                links += 1
            }
        }
        #expect(links >= 2 * lessons.count)
        let kept = try FileManager.default.contentsOfDirectory(atPath: root + "/site-solutions")
        #expect(kept.filter { $0.hasSuffix(".html") }.count == summary.sheets)
        let first = try String(contentsOfFile: root + "/site-solutions/" + kept.sorted().first { $0.hasSuffix(".html") }!, encoding: .utf8)
        #expect(first.contains("class=\"solution\""))
        #expect(throws: WorkbenchFailure.self) { try CourseSite.write(to: root + "/site", teacher: root + "/site/answers", lessons: []) }
    }
}
