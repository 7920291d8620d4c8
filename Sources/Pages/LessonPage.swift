import Autograd
import Diagrams
import Foundation
import Support
import Claims
import Lessons
import Grading

/// A lesson as one self-contained web page (`backprop lesson N --html FILE`): its title, where it
/// is in the notes, the introduction, the program, every step's narration beside one shared drawing
/// that lights the step's node or edge, the checks table (the notes' figure, the engine's, ✓/✗),
/// and the exercises without their answers.
///
/// The drawing is rendered once (`SteppedDrawing`), so a page stays small whatever the number of
/// steps: lesson 13's 348 steps make a page of well under 1 MB. Every number on it comes from the
/// lesson's run (`LessonRun`): the narration, the checks and the drawing.
public enum LessonPage {
    /// The page's HTML.
    /// - Parameters:
    ///   - run: the lesson, replayed.
    ///   - links: extra links under the title (the site's index, the exercise sheet), as (text, href).
    ///   - printing: `true` for the copy printed to PDF: it opens on the last step, every number shown.
    /// - Throws: `WorkbenchFailure.failed` if Graphviz cannot draw the graph.
    public static func html(_ run: LessonRun, links: [(text: String, href: String)] = [], printing: Bool = false) throws(WorkbenchFailure) -> String {
        let lesson = run.lesson, trace = run.job.trace
        let collapsed = trace.nodes.count > BigGraph.defaultLimit
        // A collapsed drawing has boxes, not the steps' nodes and edges: its steps light nothing.
        let steps = collapsed ? self.steps(run).map { StepPage.Step(event: .none, narration: $0.narration, phase: $0.phase) } : self.steps(run)
        let svg: String
        do {
            if collapsed {
                let collapsed = BigGraph.collapse(trace)
                svg = inlinable(String(decoding: try Graphviz.render(dot: collapsed.dot, as: .svg), as: UTF8.self))
            } else {
                // On paper the page is narrow and tall: the printed copy draws top to bottom.
                // Nodes named as the steps name them (n1, n2, … in the order shown), not the engine's n4.
                var options = DiagramOptions(direction: printing ? .topToBottom : .leftToRight)
                options.names = run.narratedNames()
                svg = try SteppedDrawing.svg(for: trace, events: steps.map(\.event), options: options)
            }
        } catch { throw .failed("Graphviz: \(error.message)") }

        var body: [String] = []
        body.append("<header>")
        body.append("<h1>Lesson \(lesson.number): \(htmlText(lesson.title))</h1>")
        body.append("<p class=\"source\">From the notes: \(htmlText(lesson.source))</p>")
        if !links.isEmpty {
            body.append("<p class=\"links\">" + links.map { "<a href=\"\(htmlText($0.href))\">\(htmlText($0.text))</a>" }.joined(separator: " · ") + "</p>")
        }
        body.append("</header>")
        body += paragraphs(lesson.introduction)
        body.append("<h2>The program</h2>")
        let inputs = trace.inputs.map { "\($0.label) = \(TraceFormat.tensor($0.value, significantDigits: 6))" }.joined(separator: ", ")
        if !inputs.isEmpty { body.append("<p>At " + htmlText(inputs) + (lesson.training != nil ? " (after training)" : "") + ":</p>") }
        body.append("<pre class=\"program\">" + htmlText(lesson.program.trimmingCharacters(in: .newlines)) + "</pre>")
        body.append("<h2>Step by step</h2>")
        body.append("<p class=\"legend\">Use ← and → (or the slider, or click a step). In the drawing, <span style=\"color:#1a7f37\">value</span> is the forward result, <span style=\"color:#cf222e\">grad</span> is ∂\(htmlText(trace.outputNode.label))/∂node, an edge reads local × upstream = contribution, and <b>?</b> is not known yet at this step.</p>")
        body.append(StepPage.stepper(svg: svg, steps: steps, trace: trace))
        if let gradcam = run.gradcam { body += gradCAMFigures(gradcam) }
        if let model = run.model { body += trainingFigures(model) }
        body.append("<h2>Checks</h2>")
        body += checks(run)
        if !lesson.exercises.isEmpty {
            body.append("<h2>Exercises</h2>")
            body.append("<p>Gradients are of the output, \(htmlText(trace.outputNode.label)), unless an exercise says otherwise. The answers are not on this page.</p>")
            for (index, exercise) in lesson.exercises.enumerated() {
                body.append(exerciseHTML(exercise, number: index + 1))
            }
        }
        let title = "Lesson \(lesson.number): \(lesson.title)"
        let page = StepPage.document(title: title, body: body.joined(separator: "\n"))
        return printing ? page.replacingOccurrences(of: "<html lang=\"en\">", with: "<html lang=\"en\" data-print=\"final\">") : page
    }

    /// The steps of the page: each of `run.steps()` with the node or edge it is about, found by the
    /// names the narration uses (`forward   q = …`, `backward  f → q: …`), not by position.
    static func steps(_ run: LessonRun) -> [StepPage.Step] {
        let trace = run.job.trace
        let names = run.narratedNames()
        var forward = trace.forwardSteps, backward = trace.backwardSteps
        var steps: [StepPage.Step] = []
        // A [gradcam] section's steps and a [model]'s curves are wide text pictures: they stand under
        // the stepper, full width, drawn (`gradCAMFigures`, `trainingFigures`).
        let all = run.steps()
        let pictures = (run.gradcam?.steps().count ?? 0) + (run.model?.pictureSteps().count ?? 0)
        for text in all.prefix(all.count - pictures) {
            let head = text.prefix { $0 != "\n" }
            let words = head.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            let keyword = words.first.map(String.init) ?? ""
            let rest = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
            var event = StepEvent.none
            var phase = keyword.hasSuffix(":") ? String(keyword.dropLast()) : keyword
            switch keyword {
            case "forward":
                let label = rest.components(separatedBy: " = ").first ?? ""
                if let position = forward.firstIndex(where: { names[$0] == label }) {
                    event = .compute(forward.remove(at: position))
                }
            case "backward":
                if rest.hasSuffix("(the seed)") { event = .seed; break }
                let ends = (rest.components(separatedBy: ": ").first ?? "").components(separatedBy: " → ")
                if ends.count == 2, let position = backward.firstIndex(where: {
                    names[trace.edges[$0].to] == ends[0] && names[trace.edges[$0].from] == ends[1]
                }) {
                    event = .use(backward.remove(at: position))
                }
            case "inputs:": phase = "inputs"
            case "training", "update": break
            default: phase = "model"
            }
            steps.append(StepPage.Step(event: event, narration: text, phase: phase))
        }
        if steps.isEmpty { steps.append(StepPage.Step(event: .none, narration: "", phase: "inputs")) }
        return steps
    }

    /// The checks: a table of the notes' figures beside the engine's, then the formulas and model
    /// checks as the terminal prints them.
    static func checks(_ run: LessonRun) -> [String] {
        var html: [String] = []
        if !run.results.isEmpty {
            var rows = ["<tr><th></th><th>quantity</th><th>the notes</th><th>the engine</th><th></th></tr>"]
            for result in run.results {
                let check = result.check
                let gap = abs(result.engine - check.notes)
                var note = ""
                if !result.passed {
                    note = "differs by \(TraceFormat.number(gap, significantDigits: 3)) (tolerance \(TraceFormat.number(check.tolerance)))"
                } else if gap > 1e-12 * max(1, abs(check.notes)) {
                    note = gap <= Lesson.halfUnit(check.notes, digits: check.digits) * (1 + 1e-9)
                        ? "the notes round to \(check.digits) digit\(check.digits == 1 ? "" : "s")" : "within the tolerance \(TraceFormat.number(check.tolerance))"
                }
                if let why = check.why { note += (note.isEmpty ? "" : ". ") + why }
                rows.append("<tr><td class=\"mark \(result.passed ? "pass" : "fail")\">\(result.passed ? "✓" : "✗")</td><td><code>\(htmlText(check.quantity))</code></td>"
                    + "<td>\(TraceFormat.number(check.notes))</td><td>\(TraceFormat.number(result.engine, significantDigits: 10))</td><td>\(htmlText(note))</td></tr>")
            }
            html.append("<table class=\"checks\">" + rows.joined(separator: "\n") + "</table>")
        }
        // The rest of the terminal's check lines: formulas, the model's checks and the verdict.
        let lines = run.checkLines()
        let rest = run.results.isEmpty ? lines : Array(lines.dropFirst(1 + run.results.count))
        if !rest.isEmpty { html.append("<pre class=\"lines\">" + htmlText(rest.joined(separator: "\n")) + "</pre>") }
        return html
    }

    /// The `[gradcam]` pictures: for each model, the image and Grad-CAM of the two classes laid
    /// over it (the maps blown up by nearest neighbour), and for a GAP + linear head CAM's map too.
    static func gradCAMFigures(_ run: GradCAMRun) -> [String] {
        var html = ["<h2>Grad-CAM on the trained CNNs</h2>",
                    "<p>Each map is ReLU(Σ<sub>k</sub> α<sub>k</sub> A<sup>k</sup>) of the model's last convolution, from the engine's backward pass, "
                    + "blown up to the image by nearest neighbour and laid over it; its colour bar runs from 0 to the map's largest value.</p>"]
        let (height, width) = (run.height, run.width)
        func blownUp(_ map: [Double], _ mapHeight: Int, _ mapWidth: Int) -> [Double] {
            (0..<height * width).map { p in map[(p / width * mapHeight / height) * mapWidth + (p % width) * mapWidth / width] }
        }
        html.append("<pre class=\"lines\">" + htmlText(LessonText.fit(run.dataStep())) + "</pre>")
        for (index, result) in run.models.enumerated() {
            html.append("<h3>Model \(index + 1): \(htmlText(result.model.spec.name))</h3>")
            html.append("<pre class=\"lines\">" + htmlText(LessonText.fit(run.steps(model: index, pictures: false).joined(separator: "\n"))) + "</pre>")
            var panels = [PixelPicture.Panel.grey("image (label \(run.name(run.label)))", run.pixels, height: height, width: width, range: 0...(run.pixels.max() ?? 1))]
            for e in result.explained {
                panels.append(PixelPicture.Panel(title: "Grad-CAM, y_\(run.name(e.cam.classIndex))", values: e.upsampled, height: height, width: width,
                                                 kind: .overlay(grey: run.pixels, range: 0...(run.pixels.max() ?? 1), maximum: e.cam.heatMap.storage.max() ?? 0)))
            }
            if let cam = result.cam, let e = result.explained.first {
                let shape = e.cam.featureMaps.shape
                let map = blownUp(cam.maps[0], shape[1], shape[2])
                panels.append(PixelPicture.Panel(title: "CAM, y_\(run.name(e.cam.classIndex))", values: map, height: height, width: width,
                                                 kind: .overlay(grey: run.pixels, range: 0...(run.pixels.max() ?? 1), maximum: map.max() ?? 0)))
            }
            let caption = "Model \(index + 1), \(result.model.file): predicts \(run.name(result.predicted)), held-out accuracy \(String(format: "%.2f", result.heldOutAccuracy))%"
            html.append("<figure class=\"gradcam\">" + inlinable(PixelPicture.svg(panels, caption: caption)) + "</figure>")
        }
        return html
    }

    /// One exercise as a student sees it: its number, id, points and kind, the prompt, the choices.
    static func exerciseHTML(_ exercise: Lesson.Exercise, number: Int) -> String {
        var parts = ["<section class=\"exercise\" id=\"exercise-\(htmlText(exercise.id))\">"]
        parts.append("<h3>\(number). <code>\(htmlText(exercise.id))</code> <small>(\(ExerciseSet.points(exercise.points)) point\(exercise.points == 1 ? "" : "s"), \(ExerciseSet.kindPhrase(exercise.kind)))</small></h3>")
        parts.append("<p>" + htmlText(exercise.prompt.trimmingCharacters(in: .whitespacesAndNewlines)).replacingOccurrences(of: "\n", with: "<br>") + "</p>")
        if exercise.kind == .choice {
            parts.append("<ol type=\"a\">" + exercise.choices.map { "<li>" + htmlText($0.text) + "</li>" }.joined() + "</ol>")
        }
        parts.append("</section>")
        return parts.joined(separator: "\n")
    }

    /// Paragraphs of plain text (blank lines between them).
    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .map { "<p>" + htmlText($0).replacingOccurrences(of: "\n", with: " ") + "</p>" }
    }

    /// An SVG document from its `<svg>` element on, to stand inside HTML.
    static func inlinable(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }
}
