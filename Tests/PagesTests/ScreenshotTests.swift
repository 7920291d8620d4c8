#if os(Linux)
import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Pages

/// The screenshots in docs/ (README, docs/pages.md), taken in headless Chromium with
/// `BACKPROP_RECORD_SCREENSHOTS=1` (`make screenshots`); otherwise the test does nothing but say so.
@Suite("Screenshots for the docs", .serialized)
struct ScreenshotTests {
    static var recording: Bool { ProcessInfo.processInfo.environment["BACKPROP_RECORD_SCREENSHOTS"] == "1" }
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    static func open(_ html: String, width: Int = 1400, height: Int = 1000) throws -> (HeadlessChromium, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("page.html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        return (try HeadlessChromium(opening: file, width: width, height: height), directory)
    }

    @Test("docs/lesson-page.png: lesson 1 at step 6; docs/sheet.png: lesson 1's fill-the-graph exercise",
          .enabled(if: recording && HeadlessChromium.isAvailable))
    func record() throws {
        let lessons = try LessonLibrary.all()
        let eight = try #require(lessons.first { $0.number == 8 })
        let one = try #require(lessons.first { $0.number == 1 })
        let (browser, directory) = try Self.open(try LessonPage.html(try LessonRun(one)), width: 1280, height: 760)
        defer { browser.close(); try? FileManager.default.removeItem(at: directory) }
        _ = try browser.evaluate("window.stepper.show(6), document.querySelector('.legend').scrollIntoView({block: 'start'}), true")
        try browser.settle()
        try browser.screenshot().write(to: Self.docs.appendingPathComponent("lesson-page.png"))
        #expect(browser.consoleErrors.isEmpty)

        let (sheet, sheetDirectory) = try Self.open(try ExerciseSet(one).html(solutions: false), width: 1100, height: 900)
        defer { sheet.close(); try? FileManager.default.removeItem(at: sheetDirectory) }
        _ = try sheet.evaluate("document.querySelector('section:has(figure.viewer)').scrollIntoView({block: 'start'}), true")
        try sheet.settle()
        try sheet.screenshot().write(to: Self.docs.appendingPathComponent("sheet.png"))
        #expect(sheet.consoleErrors.isEmpty)

        // Not for the docs: how the printed lesson lays out, to look at (the PDF's pages have the same layout).
        let (printed, printedDirectory) = try Self.open(try LessonPage.html(try LessonRun(eight), printing: true), width: 794, height: 1123)
        defer { printed.close(); try? FileManager.default.removeItem(at: printedDirectory) }
        try printed.emulateMedia("print")
        try printed.settle()
        try printed.screenshot(fullPage: true).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("lesson-8-print.png"))
    }
}
#endif
