import Autograd
import Testing
@testable import Diagrams

/// The step frames of `Diagram.frames(for:options:)`: order, names, narration and what each shows.
@Suite("Step frames")
struct FrameTests {
    @Test("001: one frame for the inputs, one per forward step, one per backward step, narrated")
    func sumTimesNarration() throws {
        let frames = Diagram.frames(for: try DiagramExample.sumTimes.trace())
        #expect(frames.map(\.narration) == [
            "inputs x = -2, y = 5, z = -4",
            "q = x + y = -2 + 5 = 3",
            "f = q * z = 3 * (-4) = -12",
            "∂f/∂q = z = -4; upstream 1; contribution -4",
            "∂f/∂z = q = 3; upstream 1; contribution 3",
            "∂q/∂x = 1; upstream -4; contribution -4",
            "∂q/∂y = 1; upstream -4; contribution -4",
        ])
    }

    @Test("frames follow the trace's forward and backward steps", arguments: DiagramExample.all)
    func followSteps(example: DiagramExample) throws {
        let trace = try example.trace()
        let frames = Diagram.frames(for: trace, options: example.options)
        #expect(frames.count == 1 + trace.forwardSteps.count + trace.backwardSteps.count)
        #expect(frames.map(\.highlight) == [nil] + trace.forwardSteps.map { .node($0) } + trace.backwardSteps.map { .edge($0) })
        #expect(frames.map(\.phase) == [.inputs] + trace.forwardSteps.map { _ in .forward } + trace.backwardSteps.map { _ in .backward })
        #expect(frames.map(\.index) == Array(frames.indices))
        #expect(frames.map(\.name) == frames.map(\.name).sorted(), "names sort in step order")
        for frame in frames.dropFirst() {
            #expect(frame.dot.contains("id=\"\(frame.highlight?.identifier ?? "")\", class=\"highlight\""))
        }
    }

    @Test("names are zero-padded and say the phase and the lit element")
    func names() throws {
        let frames = Diagram.frames(for: try DiagramExample.sumTimes.trace())
        #expect(frames.map(\.name) == [
            "step-000-forward-inputs", "step-001-forward-n2", "step-002-forward-n4", "step-003-backward-e2",
            "step-004-backward-e3", "step-005-backward-e0", "step-006-backward-e1",
        ])
        #expect(frames[3].fileName(as: .svg) == "step-003-backward-e2.svg")
    }

    @Test("frame narration matches its golden file", arguments: [DiagramExample.sumTimes, .fanOut, .tensor])
    func narrationGolden(example: DiagramExample) throws {
        let frames = Diagram.frames(for: try example.trace(), options: example.options)
        try Golden.check(frames.map { "\($0.name): \($0.narration)\n" }.joined(), against: "\(example.name)-frames.txt")
    }

    @Test("what is not computed yet shows ?", arguments: [
        // (frame, fragment that must appear, fragment that must not)
        (0, ">value ?<", ">value 3<"),                   // only the inputs are known
        (1, ">value 3<", ">value -12<"),                 // q is computed, f not yet
        (1, ">value ?<", ">grad -4<"),
        (2, ">value -12<", ">grad 1<"),                  // forward done, no gradient yet
        (2, ">-4 × ? = ?<", ">-4 × 1 = -4<"),
        (3, ">grad 1<", ">grad 3<"),                     // backward starts at f's seed
        (3, ">-4 × 1 = -4<", ">1 × (-4) = -4<"),
        (6, ">1 × (-4) = -4<", ">grad ?<"),              // everything known
    ])
    func unknownsShowQuestionMarks(frame index: Int, present: String, absent: String) throws {
        let frame = Diagram.frames(for: try DiagramExample.sumTimes.trace())[index]
        #expect(frame.dot.contains(present), "frame \(index) should show \(present)")
        #expect(!frame.dot.contains(absent), "frame \(index) should not show \(absent) yet")
    }

    @Test("a value used three times collects its contributions one by one")
    func fanOutCollects() throws {
        let frames = Diagram.frames(for: try DiagramExample.fanOut.trace())
        let gradientOfX = frames.map { frame in
            frame.dot.split(separator: "\n").first { $0.hasPrefix("  n0 ") }.flatMap { line in
                line.range(of: "grad [^<]*", options: .regularExpression).map { String(line[$0]) }
            }
        }
        #expect(gradientOfX == ["grad ?", "grad ?", "grad ?", "grad ?", "grad = ? + ? + 1", "grad = 3 + ? + 1", "grad = 3 + 3 + 1 = 7"])
        #expect(frames.last?.narration == "∂n1/∂x = x = 3; upstream 1; contribution 3; grad x = 3 + 3 + 1 = 7")
    }

    @Test("forward only: no backward frames, and gradients stay ?")
    func forwardOnly() throws {
        let frames = Diagram.frames(for: try DiagramExample.sumTimes.trace(), options: DiagramOptions(forwardOnly: true))
        #expect(frames.count == 3)
        #expect(frames.allSatisfy { !$0.dot.contains(">grad -") && $0.dot.contains(">grad ?<") })
        #expect(Diagram.frames(for: try DiagramExample.forwardOnly.trace()).map(\.name) == frames.map(\.name))
    }
}
