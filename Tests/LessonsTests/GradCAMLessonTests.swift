import Foundation
import Testing
@testable import Support
@testable import Lessons

// The [gradcam] section (lesson 30): what it reads and refuses, and what its run computes, held to
// computations that do not use backward.

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let lessonFile = root + "/lessons/030-grad-cam-miniature.toml"

/// Lesson 30's text with `change` applied, read as if it stood where lesson 30 stands (so that its
/// model files are found).
private func lesson30(_ change: (String) -> String = { $0 }) throws -> Lesson {
    try Lesson(text: change(try String(contentsOfFile: lessonFile, encoding: .utf8)), file: lessonFile)
}

private func failure(_ change: (String) -> String) throws -> WorkbenchFailure? {
    do { _ = try lesson30(change); return nil } catch let failure as WorkbenchFailure { return failure }
}

@Suite("lesson [gradcam]")
struct GradCAMLessonTests {
    @Test("mistakes in [gradcam] name their line")
    func mistakes() throws {
        let text = try String(contentsOfFile: lessonFile, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        func line(of prefix: String, after: String? = nil) -> Int {
            let start = after.flatMap { a in lines.firstIndex { $0.hasPrefix(a) } } ?? 0
            return (lines[start...].firstIndex { $0.hasPrefix(prefix) } ?? -1) + 1
        }
        let misspelt = try #require(try failure { $0.replacingOccurrences(of: "optimizer = \"adam\"\nrate = 0.01", with: "optimiser = \"adam\"\nrate = 0.01") })
        #expect(misspelt.message.contains("did you mean 'optimizer'"), "\(misspelt)")
        #expect(misspelt.location?.line == line(of: "rate = 0.01") - 1, "\(misspelt)")

        // 'cam' on the flatten head: refused at the check's quantity.
        let cam = try #require(try failure { $0.replacingOccurrences(of: "model = 2\nquantity = \"cam\"", with: "model = 1\nquantity = \"cam\"") })
        #expect(cam.message.contains("global average pooling"), "\(cam)")
        #expect(cam.location?.line == line(of: "quantity = \"cam\""), "\(cam)")

        let missing = try #require(try failure { $0.replacingOccurrences(of: "models/030-gap-head.toml", with: "models/none.toml") })
        #expect(missing.location?.file.hasSuffix("models/none.toml") == true, "\(missing)")

        let quantity = try #require(try failure { $0.replacingOccurrences(of: "quantity = \"alpha\"", with: "quantity = \"alphas\"") })
        #expect(quantity.message.contains("unknown quantity 'alphas'"), "\(quantity)")
        #expect(quantity.location?.line == line(of: "quantity = \"alpha\""), "\(quantity)")
    }

    /// A bad field in each table of [gradcam], indented so that its column is not 1: the one reader
    /// (`SectionReader`, shared with [model]) names line and column.
    @Test("a bad field in [gradcam], [[gradcam.model]] and [[gradcam.check]] names line:column", arguments: [
        ("image = 12\nseed = 1", "image = 12\n  seed = \"one\"", "seed = \"one\"", "'seed' must be a whole number from 0 to"),
        ("optimizer = \"adam\"\nrate = 0.02", "optimizer = \"adam\"\n    rate = -1", "rate = -1", "needs a positive 'rate'"),
        ("epochs = 15\n", "epochs = 15\n\tbatch = 0\n", "batch = 0", "'batch' must be a whole number from 1 to"),
        ("quantity = \"cam\"\ntolerance = 1e-12", "quantity = \"cam\"\n  tolerance = -1", "tolerance = -1", "'tolerance' must be 0 or more"),
        ("at_least = 85\n", "at_least = 85\n   whys = \"x\"\n", "whys = ", "unknown key 'whys' in [[gradcam.check]]; did you mean 'why'?"),
    ])
    func fieldPlaces(anchor: String, replacement: String, written: String, message: String) throws {
        let text = try String(contentsOfFile: lessonFile, encoding: .utf8)
        #expect(text.contains(anchor) && text.components(separatedBy: anchor).count == 2, "the anchor \(anchor) is not once in lesson 30")
        let changed = text.replacingOccurrences(of: anchor, with: replacement)
        let lines = changed.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix(written) })
        let column = lines[index].count - lines[index].drop { $0 == " " || $0 == "\t" }.count + 1
        #expect(column > 1)
        let failure = try #require(try failure { _ in changed })
        #expect(failure.message.contains(message), "\(failure)")
        #expect(failure.location?.line == index + 1 && failure.location?.column == column, "\(failure)")
        #expect(failure.status == .badInput)
    }

    @Test("the run: α by backward agrees with central differences, GAP's Grad-CAM with CAM, two classes per model")
    func run() throws {
        let run = try LessonRun(try lesson30())
        let gradcam = try #require(run.gradcam)
        #expect(run.passed)
        #expect(gradcam.models.count == 2)
        for result in gradcam.models {
            #expect(result.explained.count == 2)
            #expect(result.explained[0].cam.classIndex == result.predicted)
            #expect(result.explained[0].cam.classIndex != result.explained[1].cam.classIndex)
            for e in result.explained {
                #expect(e.upsampled.count == gradcam.height * gradcam.width)
                let gap = zip(e.cam.alphas, e.finiteDifferenceAlphas).map { abs($0 - $1) }.max() ?? .infinity
                #expect(gap < 1e-8, "α by backward and by central differences differ by \(gap)")
                // α is not the zero vector: the comparison is not between two zeros.
                #expect((e.cam.alphas.map(abs).max() ?? 0) > 1e-3)
            }
        }
        // The flatten head's gradient varies over a map; the GAP head's is one value per map, and it is CAM.
        #expect(!GradCAMRun.flat(gradcam.models[0].explained[0].gradientSpread))
        #expect(GradCAMRun.flat(gradcam.models[1].explained[0].gradientSpread))
        #expect(gradcam.models[0].cam == nil)
        let cam = try #require(gradcam.models[1].cam)
        #expect(cam.positions == 16)
        #expect((cam.mapDifference.max() ?? 1) <= 1e-12 && (cam.alphaDifference.max() ?? 1) <= 1e-12)
        // CAM's map is Z times Grad-CAM's: the check compares maps that are not trivially equal.
        #expect((cam.maps[0].max() ?? 0) > 1e-3)
        // The report's text carries the engine's α, and the checks' lines.
        let text = run.steps().joined(separator: "\n")
        #expect(text.contains("α for y_\(gradcam.name(gradcam.models[1].predicted))"))
        #expect(run.checkLines().contains { $0.hasPrefix("  ✓ model 2 cam") })
    }

    @Test("the lines under [[gradcam.model]] and [[gradcam.check]] type no figure (the rule of NarrationFigureTests)")
    func noTypedFigures() throws {
        let section = try #require(try lesson30().gradcam)
        let whys = section.models.compactMap(\.why) + section.checks.compactMap(\.why)
        #expect(!whys.isEmpty)
        for why in whys { #expect(NarrationFigures.handTyped(in: why).isEmpty, "hand-typed figures in “\(why)”") }
    }

    @Test("an image the held-out part does not have is refused at [gradcam], before any training")
    func imageOutOfRange() throws {
        let lesson = try lesson30 { $0.replacingOccurrences(of: "image = 12\n", with: "image = 100000\n") }
        do {
            _ = try LessonRun(lesson)
            Issue.record("image 100000 was accepted")
        } catch {
            #expect(error.message.contains("the held-out part of digits has images 0 to"), "\(error)")
            #expect(error.location?.line == lesson.gradcam?.line, "\(error)")
        }
    }

    @Test("a wrong check fails the run: a bar the model cannot reach")
    func failingBar() throws {
        let run = try LessonRun(try lesson30 { $0.replacingOccurrences(of: "at_least = 85", with: "at_least = 99.9") })
        #expect(!run.passed)
        #expect(run.checkLines().contains { $0.hasPrefix("  ✗ model 2 held-out accuracy") })
    }

    @Test("the text picture: the map's tenths, then the image's shade, two characters a pixel")
    func picture() {
        let rows = TextPicture.overlay([0, 0.05, 0.5, 1], on: [1, 0, 0.5, 0], height: 2, width: 2)
        #expect(rows == [" █· ", "5▒9 "])
        #expect(TextPicture.grey([0, 1], height: 1, width: 2) == ["  ██"])
    }
}
