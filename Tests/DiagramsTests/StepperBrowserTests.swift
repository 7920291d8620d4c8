#if os(Linux)
import Autograd
import Foundation
import Testing
@testable import Diagrams

/// The stepper page in a real headless Chromium: real → and ← key presses move through the steps,
/// and the page's narration and lit element follow the trace's steps.
@Suite("Stepper in Chromium", .serialized, .timeLimit(.minutes(1)))
struct StepperBrowserTests {
    /// `make test` installs Chromium, so its absence is a failure, not a skip: a browser test that
    /// silently does not run would pass without testing anything.
    @Test("Chromium is installed (make deps installs it)")
    func chromiumIsThere() {
        #expect(HeadlessChromium.isAvailable, "no Chromium at \(HeadlessChromium.executable): run `make deps` (apt-get install chromium)")
    }

    /// What the page shows: the step number, the narration, and the lit frame and SVG element.
    struct PageState: Decodable, Equatable, CustomStringConvertible {
        let step: String
        let narration: String
        let visibleFrames: Int
        let highlight: String
        let lit: String
        var description: String { "step \(step) [\(highlight)/\(lit)] \(narration)" }
    }

    static let readState = """
        (() => {
          const visible = Array.from(document.querySelectorAll('.frame')).filter(frame => !frame.hidden);
          const lit = visible.length === 1 ? visible[0].querySelector('.highlight') : null;
          return JSON.stringify({
            step: document.getElementById('step').textContent,
            narration: document.getElementById('narration').textContent,
            visibleFrames: visible.length,
            highlight: visible.length === 1 ? visible[0].dataset.highlight : '',
            lit: lit ? lit.id : '',
          });
        })()
        """

    @Test("→ walks forward then backward through the steps, ← walks back", .enabled(if: HeadlessChromium.isAvailable),
          arguments: [DiagramExample.sumTimes, .fanOut])
    func arrowKeysFollowTheSteps(example: DiagramExample) throws {
        let trace = try example.trace()
        let frames = Diagram.frames(for: trace, options: example.options)
        let steps = trace.forwardSteps.map { "n\($0)" } + trace.backwardSteps.map { "e\($0)" }
        #expect(frames.count == steps.count + 1)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("\(example.name).html")
        try Stepper.html(for: trace, options: example.options).write(to: page, atomically: true, encoding: .utf8)

        let browser = try HeadlessChromium(opening: page)
        defer { browser.close() }
        func state() throws -> PageState {
            let json = try #require(try browser.evaluate(Self.readState) as? String)
            return try JSONDecoder().decode(PageState.self, from: Data(json.utf8))
        }
        func expected(_ index: Int) -> PageState {
            let lit = index == 0 ? "" : steps[index - 1]
            return PageState(step: String(index), narration: frames[index].narration, visibleFrames: 1, highlight: lit, lit: lit)
        }

        #expect(try state() == expected(0))
        for index in 1..<frames.count {
            try browser.press(.arrowRight)
            #expect(try state() == expected(index))
        }
        try browser.press(.arrowRight)                       // past the last step: stays there
        #expect(try state() == expected(frames.count - 1))
        try browser.press(.arrowLeft)
        #expect(try state() == expected(frames.count - 2))
    }
}
#endif
