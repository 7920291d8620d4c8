import Autograd
import Diagrams
import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Pages

/// The lesson page (`lesson N --html`): every lesson's page is small, finds the node or edge of
/// every forward and backward step, and in a real headless Chromium loads with no console error,
/// walks every step with → and ←, zooms, and draws node labels at 11 px or more.
@Suite("Lesson pages", .serialized)
struct LessonPageTests {
    static let lessons: [Lesson] = (try? LessonLibrary.all()) ?? []

    @Test("the lessons are found")
    func lessonsAreThere() { #expect(Self.lessons.count >= 14) }

    @Test("every forward and backward step of a lesson lights its own node or edge; the page is under 5 MB",
          arguments: lessons.map(\.number))
    func stepsFindTheirElements(number: Int) throws {
        let lesson = try #require(Self.lessons.first { $0.number == number })
        let run = try LessonRun(lesson)
        let steps = LessonPage.steps(run)
        let trace = run.job.trace
        let computed = steps.compactMap { if case .compute(let node) = $0.event { return node }; return nil }
        let used = steps.compactMap { if case .use(let edge) = $0.event { return edge }; return nil }
        // The narration may show a statement as one line and skips constants' backward steps: every
        // forward and backward line it does show finds its own element, in the trace's order.
        let shown = steps.filter { step in
            let head = step.narration.prefix { $0 != "\n" }
            // (A model lesson's "forward   one batch, …" lines describe training, not a node.)
            return (head.hasPrefix("forward ") && head.contains(" = ")) || (head.hasPrefix("backward ") && head.contains(" → "))
        }
        let found = steps.filter { if case .compute = $0.event { return true }; if case .use = $0.event { return true }; return false }
        #expect(found.count == shown.count, "each forward line names its node, each backward line its edge")
        #expect(computed == trace.forwardSteps.filter(computed.contains), "forward lines in the trace's order")
        #expect(used == trace.backwardSteps.filter(used.contains), "backward lines in the trace's order")
        let page = try LessonPage.html(run)
        #expect(page.utf8.count < 5_000_000)
        #expect(page.contains("<h1>Lesson \(lesson.number): "))
        for external in ["<script src", "<link", "@import", "url(", "src=\"http"] { #expect(!page.contains(external), "\(external)") }
        for exercise in lesson.exercises { #expect(page.contains("id=\"exercise-\(exercise.id)\"")) }
        for result in run.results { #expect(page.contains("<code>\(htmlText(result.check.quantity))</code>")) }
        // The drawing names every node as the steps do: each node's title is its narrated name.
        if trace.nodes.count <= BigGraph.defaultLimit {
            let names = run.narratedNames()
            for node in trace.nodes where node.kind == .operation && node.name == nil && names[node.id] != node.label {
                #expect(page.contains(">\(htmlText(names[node.id]))</text>"), "node \(node.id) drawn as \(names[node.id])")
            }
        }
    }

    @Test("a model lesson's page draws its training curves and confusion matrices under the stepper")
    func trainingFigures() throws {
        let lesson = try #require(Self.lessons.first { $0.number == 26 })
        let run = try LessonRun(lesson)
        let page = try LessonPage.html(run)
        let training = try #require(run.model?.training)
        #expect(page.contains("<h2 id=\"training\">What training did</h2>"))
        // One point per epoch for each of the four curves, each carrying the run's exact figure.
        #expect(page.components(separatedBy: "data-value=\"\(training.epochs.last!.heldOutLoss)\"").count >= 2)
        #expect(page.contains("confusion held out"))
        // The pictures are not steps of the stepper.
        #expect(!LessonPage.steps(run).contains { $0.narration.hasPrefix("curve ") || $0.narration.hasPrefix("confusion ") })
    }

    @Test("lesson 3's drawing calls x · y n1, as its steps do, not the engine's label")
    func drawingUsesNarratedNames() throws {
        let lesson = try #require(Self.lessons.first { $0.number == 3 })
        let run = try LessonRun(lesson)
        let page = try LessonPage.html(run)
        let product = try #require(run.job.trace.nodes.first { $0.operation == "multiply" && $0.name == nil })
        #expect(product.label != "n1")
        #expect(page.contains("forward   n1 = x * y"))
        #expect(page.contains(">n1</text>"))
        #expect(page.contains("∂n1/∂x = y"))
        #expect(!page.contains(">\(product.label)</text>"), "the engine's label \(product.label) is not drawn")
        // Nor in the formulas an edge shows before its numbers are known.
        #expect(!page.contains("∂\(product.label)/"), "∂\(product.label)/… is not in the page")
    }

    #if os(Linux)
    @Test("in Chromium: no console error, → walks every step, zoom changes the scale, labels ≥ 11 px",
          .enabled(if: HeadlessChromium.isAvailable), .timeLimit(.minutes(10)), arguments: lessons.map(\.number))
    func inChromium(number: Int) throws {
        let lesson = try #require(Self.lessons.first { $0.number == number })
        let run = try LessonRun(lesson)
        let steps = LessonPage.steps(run)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("lesson.html")
        try LessonPage.html(run).write(to: file, atomically: true, encoding: .utf8)

        let browser = try HeadlessChromium(opening: file, timeout: 120)
        defer { browser.close() }
        func expected(_ index: Int) -> PageProbe.State {
            PageProbe.State(step: String(index), narration: steps[index].narration, lit: StepPage.lit(steps[index], trace: run.job.trace))
        }
        #expect(try PageProbe.state(browser) == expected(0))
        #expect(try PageProbe.smallestLabel(browser) >= 11, "labels at the default zoom")
        let opening = try PageProbe.scale(browser)
        #expect(opening <= 1 && opening >= 0.75)
        for index in 1..<steps.count {
            try browser.press(.arrowRight)
            let state = try PageProbe.state(browser)
            #expect(state == expected(index))
            if state != expected(index) { break }
        }
        #expect(try browser.evaluate("document.querySelectorAll('#drawing text.pending').length") as? Int == 0,
                "at the last step every number is shown")
        try browser.press(.arrowLeft)
        #expect(try PageProbe.state(browser).step == String(max(steps.count - 2, 0)))
        try PageProbe.wheelOverDrawing(browser, deltaY: -400)
        #expect(try PageProbe.scale(browser) > opening, "the wheel zooms in")
        #expect(browser.consoleErrors.isEmpty, "\(browser.consoleErrors)")
    }
    #endif
}
