import Foundation
import Testing

// `backprop lesson 30`: Grad-CAM on two CNNs the lesson trains on the digits (issue 29, item 4).

@Suite("backprop lesson 30 (Grad-CAM)", .serialized)
struct GradCAMLessonCommandTests {
    @Test("lesson 30 trains its CNNs, computes α by backward and shows the overlays of two classes (golden output)")
    func lessonThirty() throws {
        let result = try CLI.run(["lesson", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        try Golden.check(result.stdout, against: "lesson-30.txt")
        for line in ["model     1. digits-cam-flatten", "model     2. digits-cam-gap", "α for y_", "Grad-CAM y_",
                     "✓ model 1 alpha", "✓ model 2 alpha", "✓ model 2 cam", "CAM       this head is global average pooling"] {
            #expect(result.stdout.contains(line), "missing \(line)")
        }
        // Two classes side by side in each model's picture: the image and two overlays on one row.
        let titles = result.stdout.split(separator: "\n").filter { $0.contains("image (") && $0.contains("Grad-CAM y_") }
        #expect(titles.count == 2 && titles.allSatisfy { $0.components(separatedBy: "Grad-CAM y_").count == 3 }, "\(titles)")
    }

    @Test("the page draws the overlays as SVG and keeps the exercises' answers off it")
    func page() throws {
        let directory = try CLI.temporaryDirectory()
        let result = try CLI.run(["lesson", "30", "--html", "page.html"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        // What the page shows: its script and style hold no figure of the lesson (and "14.7 px" in a comment).
        let html = try String(contentsOfFile: directory + "/page.html", encoding: .utf8)
            .replacingOccurrences(of: #"<script[\s\S]*?</script>|<style[\s\S]*?</style>"#, with: "", options: .regularExpression)
        #expect(html.contains("<h2>Grad-CAM on the trained CNNs</h2>"))
        #expect(html.components(separatedBy: "<figure class=\"gradcam\">").count == 3)
        #expect(html.contains("Grad-CAM, y_") && html.contains("CAM, y_"))
        // The exercises' answers (`backprop exercises 30 --solutions`) are not on the page.
        let solutions = try CLI.run(["exercises", "30", "--solutions"])
        let answers = solutions.stdout.split(separator: "\n").filter { $0.hasPrefix("> **Answer:**") }
        #expect(answers.count == 2)
        let number = try NSRegularExpression(pattern: #"-?\d+\.\d+|-?\d+"#)
        for answer in answers {
            let text = String(answer.dropFirst("> **Answer:**".count)).components(separatedBy: " = ").dropFirst().joined(separator: " = ")
                .components(separatedBy: " (").first ?? ""
            let values = number.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).flatMap { Double(text[$0]) } }
            #expect(!values.isEmpty, "\(answer)")
            // 0, 0.5 and the shape's 3 stand on any page; every other entry must not, at 4 or 6 digits.
            for value in values where ![0, 0.5, 3].contains(value) {
                for form in [String(format: "%.4g", value), String(format: "%.6g", value)] {
                    #expect(!html.contains(form) && !result.stdout.contains(form), "the page shows \(form), an entry of the answer \(text)")
                }
            }
        }
    }
}
