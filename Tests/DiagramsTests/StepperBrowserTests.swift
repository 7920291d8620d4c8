#if os(Linux)
import Autograd
import Foundation
import Testing
import TestSupport
@testable import Diagrams

/// The stepper page in a real headless Chromium: real → and ← key presses walk every step, the
/// narration and the lit element follow the trace's steps, the wheel and the + key zoom, and node
/// labels are drawn at 11 px or more at the default zoom.
@Suite("Stepper in Chromium", .serialized, .timeLimit(.minutes(2)))
struct StepperBrowserTests {
    /// `make test` installs Chromium, so its absence is a failure, not a skip: a browser test that
    /// silently does not run would pass without testing anything.
    @Test("Chromium is installed (make deps installs it)")
    func chromiumIsThere() {
        #expect(HeadlessChromium.isAvailable, "no Chromium at \(HeadlessChromium.executable): run `make deps` (apt-get install chromium)")
    }

    @Test("→ walks every step, ← walks back; zoom; labels ≥ 11 px; no console error", .enabled(if: HeadlessChromium.isAvailable),
          arguments: [DiagramExample.sumTimes, .fanOut, .tensor])
    func arrowKeysFollowTheSteps(example: DiagramExample) throws {
        let trace = try example.trace()
        let steps = Stepper.steps(for: trace, options: example.options)
        let lit = [""] + trace.forwardSteps.map { "n\($0)" } + trace.backwardSteps.map { "e\($0)" }
        #expect(steps.count == lit.count)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("\(example.name).html")
        try Stepper.html(for: trace, options: example.options).write(to: page, atomically: true, encoding: .utf8)

        let browser = try HeadlessChromium(opening: page)
        defer { browser.close() }
        func state() throws -> PageProbe.State { try PageProbe.state(browser) }
        func expected(_ index: Int) -> PageProbe.State {
            PageProbe.State(step: String(index), narration: steps[index].narration, lit: lit[index])
        }

        #expect(try state() == expected(0))
        for index in 1..<steps.count {
            try browser.press(.arrowRight)
            #expect(try state() == expected(index))
        }
        // At the last step every number is known: no `?` is left in the drawing.
        #expect(try browser.evaluate("document.querySelectorAll('#drawing text.pending').length") as? Int == 0)
        try browser.press(.arrowRight)                       // past the last step: stays there
        #expect(try state() == expected(steps.count - 1))
        try browser.press(.arrowLeft)
        #expect(try state() == expected(steps.count - 2))

        #expect(try PageProbe.smallestLabel(browser) >= 11)
        let before = try PageProbe.scale(browser)
        #expect(before <= 1 && before >= 0.75, "the drawing opens at its natural size, or a little less to fit")
        try PageProbe.wheelOverDrawing(browser, deltaY: -300)
        #expect(try PageProbe.scale(browser) > before, "the wheel zooms in")
        let zoomed = try PageProbe.scale(browser)
        try browser.press(HeadlessChromium.Key(key: "-", code: "Minus", virtualKeyCode: 189))
        #expect(try PageProbe.scale(browser) < zoomed, "− zooms out")
        #expect(browser.consoleErrors.isEmpty, "\(browser.consoleErrors)")
    }
}
#endif
