import Foundation
import Testing
@testable import Support
@testable import Claims
@testable import ModelFiles
@testable import Lessons
@testable import Grading
@testable import Diagrams
#if canImport(FoundationXML)
import FoundationXML
#endif

// Training curves as SVG: well-formed XML, one point per epoch in each series, and the exact figures
// passed in, recoverable from the points' data attributes.

@Suite("Training curves")
struct CurvesTests {
    /// Three epochs of made-up figures, with batch losses given as running means (as the trainer reports them).
    static func sample(heldOut: Bool = true) -> TrainingCurves {
        var curves = TrainingCurves(title: "m & <model> on iris")
        let epochs: [(Double, Double, Double, Double)] = [(1.0986, 0.3333, 0.9012, 0.6), (0.5123456789, 0.8, 0.4, 0.8666666666666667), (0.25, 0.925, 0.3, 0.9333)]
        for (index, figures) in epochs.enumerated() {
            // Batches of 4, 4 and 2 examples with losses 1, 2 and 4: running means 1, 1.5 and 2.
            for (batch, (seen, mean)) in [(4, 1.0), (8, 1.5), (10, 2.0)].enumerated() {
                curves.addBatch(epoch: index + 1, batch: batch + 1, of: 3, seen: seen, runningMean: mean * figures.0)
            }
            curves.add(.init(epoch: index + 1, trainingLoss: figures.0, trainingAccuracy: figures.1,
                             heldOutLoss: heldOut ? figures.2 : nil, heldOutAccuracy: heldOut ? figures.3 : nil))
        }
        return curves
    }

    /// The SVG's elements with their attributes, in document order (Foundation's XMLParser).
    final class Elements: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var titles: [String] = []
        private var text: String?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
            if name == "title" { text = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title", let text { titles.append(text); self.text = nil }
        }
        static func parse(_ svg: String) throws -> Elements {
            let parser = XMLParser(data: Data(svg.utf8))
            let elements = Elements()
            parser.delegate = elements
            guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
            return elements
        }
        func points(_ kind: String) -> [(epoch: Int, value: Double)] {
            elements.filter { $0.name == "circle" && ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(kind)) }
                .map { (Int($0.attributes["data-epoch"] ?? "") ?? -1, Double($0.attributes["data-value"] ?? "") ?? .nan) }
        }
    }

    @Test("the SVG is XML with one point per epoch per series, holding exactly the figures passed in")
    func figuresRoundTrip() throws {
        let curves = Self.sample()
        let parsed = try Elements.parse(curves.svg())
        #expect(parsed.elements.first?.name == "svg")
        for (kind, figure) in [("training-loss", \TrainingCurves.Epoch.trainingLoss), ("training-accuracy", \.trainingAccuracy)] {
            #expect(parsed.points(kind).map(\.epoch) == [1, 2, 3], "\(kind)")
            #expect(parsed.points(kind).map(\.value) == curves.epochs.map { $0[keyPath: figure] }, "\(kind)")
        }
        #expect(parsed.points("held-out-accuracy").map(\.value) == curves.epochs.map { $0.heldOutAccuracy! })
        #expect(parsed.points("held-out-loss").map(\.value) == curves.epochs.map { $0.heldOutLoss! })
        #expect(parsed.titles.first == "m & <model> on iris")
        #expect(parsed.titles.contains("epoch 2: training loss 0.5123"))
        #expect(parsed.titles.contains("epoch 2: held-out accuracy 86.67%"))
        #expect(parsed.elements.contains { $0.name == "polyline" && $0.attributes["class"] == "batch-loss" })
    }

    @Test("each batch's own loss is recovered from the running means")
    func batchLosses() {
        let curves = Self.sample()
        #expect(curves.batchLosses.count == 9)
        let first = curves.batchLosses.prefix(3)
        let positions: [Double] = [1.0 / 3, 2.0 / 3, 1]
        #expect(first.map(\.position) == positions)
        for (batch, expected) in zip(first, [1.0, 2, 4]) { #expect(abs(batch.loss - expected * 1.0986) < 1e-12) }
        let fourth: Double = 1 + 1.0 / 3
        #expect(curves.batchLosses[3].position == fourth)
    }

    @Test("axes: ticks and labels on both panels, whole epochs on x, a legend naming each series")
    func axes() throws {
        let svg = Self.sample().svg()
        for text in [">0<", ">1<", ">2<", ">3<", ">epoch<", ">loss<", ">accuracy<", ">100%<", ">training loss (per epoch)<", ">held-out accuracy<"] {
            #expect(svg.contains(text), "\(text)")
        }
        #expect(!svg.contains(">1.5<"), "no fractional epoch ticks")
        let withoutHeldOut = Self.sample(heldOut: false).svg()
        #expect(!withoutHeldOut.contains("held-out"))
    }

    @Test("many batches are averaged down; NaN leaves a gap; no figures still gives valid XML")
    func limits() throws {
        var curves = TrainingCurves(title: "t")
        for batch in 1...5_000 { curves.addBatch(epoch: 1, batch: batch, of: 5_000, seen: batch, runningMean: 1) }
        curves.add(.init(epoch: 1, trainingLoss: 1, trainingAccuracy: 0.5))
        curves.add(.init(epoch: 2, trainingLoss: .nan, trainingAccuracy: 0.5))
        #expect(curves.drawnBatchLosses().count == TrainingCurves.maximumBatchPoints)
        let parsed = try Elements.parse(curves.svg())
        #expect(parsed.points("training-loss").map(\.epoch) == [1])
        #expect(parsed.points("training-accuracy").map(\.epoch) == [1, 2])
        _ = try Elements.parse(TrainingCurves(title: "").svg())
    }

    @Test("ticks are round and cover the range", arguments: [
        (0.0, 2.3, [0.0, 0.5, 1, 1.5, 2, 2.5]),
        (0.0, 0.0931, [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]),
        (0.85, 1.0, [0.85, 0.9, 0.95, 1]),
    ])
    func ticks(low: Double, high: Double, expected: [Double]) {
        let values = TrainingCurves.ticks(from: low, to: high).values
        #expect(values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(values)")
    }
}
