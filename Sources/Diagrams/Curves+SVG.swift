import Foundation
import Support

extension TrainingCurves {
    /// The curves as a standalone SVG document (no scripts, no external resources).
    ///
    /// Only finite figures are drawn; an epoch whose loss is NaN leaves a gap, not a broken axis.
    public func svg() -> String {
        let width = 720.0, left = 70.0, right = 20.0
        let plotWidth = width - left - right
        let lossPanel = (top: 56.0, height: 200.0), accuracyPanel = (top: 334.0, height: 150.0)
        let height = accuracyPanel.top + accuracyPanel.height + 50

        // x: epochs 0…N at whole-number ticks.
        let lastEpoch = max(1, epochs.map(\.epoch).max() ?? 1, Int(ceil(batchLosses.map(\.position).max() ?? 1)))
        let xStep = max(1, Int(Self.ticks(from: 0, to: Double(lastEpoch), count: 8).step.rounded(.up)))
        let xTicks = Array(stride(from: 0, through: lastEpoch, by: xStep)).map(Double.init) + (lastEpoch % xStep == 0 ? [] : [Double(lastEpoch)])
        func x(_ epoch: Double) -> Double { left + epoch / Double(lastEpoch) * plotWidth }

        // y: the loss from 0 to a round ceiling; the accuracy from a round floor to 100%.
        let batches = drawnBatchLosses()
        let losses = (epochs.flatMap { [$0.trainingLoss, $0.heldOutLoss ?? .nan] } + batches.map(\.loss)).filter(\.isFinite)
        let lossTicks = Self.ticks(from: 0, to: max(losses.max() ?? 1, 1e-9))
        let accuracies = epochs.flatMap { [$0.trainingAccuracy, $0.heldOutAccuracy ?? .nan] }.filter(\.isFinite)
        let lowestAccuracy = min(accuracies.min() ?? 0, 0.95)
        var accuracyTicks = Self.ticks(from: max(0, lowestAccuracy), to: 1)
        accuracyTicks.values = accuracyTicks.values.filter { $0 >= -1e-9 && $0 <= 1 + 1e-9 }
        func y(_ value: Double, _ ticks: [Double], _ panel: (top: Double, height: Double)) -> Double {
            let (low, high) = (ticks.first ?? 0, ticks.last ?? 1)
            return panel.top + panel.height - (value - low) / max(high - low, 1e-12) * panel.height
        }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <title>\(Self.escape(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(left))" y="22" font-size="14" font-weight="bold">\(Self.escape(title))</text>

            """
        func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }
        func panel(_ name: String, _ ticks: [Double], step: Double, _ box: (top: Double, height: Double), scale: Double, suffix: String) {
            let bottom = box.top + box.height
            svg += "<g class=\"axes\" stroke=\"#444\" fill=\"none\">"
            svg += "<path d=\"M\(coordinate(left)),\(coordinate(box.top))V\(coordinate(bottom))H\(coordinate(left + plotWidth))\"/>"
            for tick in ticks {
                let position = y(tick, ticks, box)
                svg += "<path d=\"M\(coordinate(left - 5)),\(coordinate(position))H\(coordinate(left))\"/>"
                svg += "<path stroke=\"#ddd\" d=\"M\(coordinate(left + 1)),\(coordinate(position))H\(coordinate(left + plotWidth))\"/>"
            }
            for tick in xTicks { svg += "<path d=\"M\(coordinate(x(tick))),\(coordinate(bottom))v5\"/>" }
            svg += "</g>\n<g class=\"tick-labels\" fill=\"#222\">"
            for tick in ticks {
                svg += "<text x=\"\(coordinate(left - 8))\" y=\"\(coordinate(y(tick, ticks, box) + 4))\" text-anchor=\"end\">\(Self.label(tick, step: step, scale: scale, suffix: suffix))</text>"
            }
            for tick in xTicks {
                svg += "<text x=\"\(coordinate(x(tick)))\" y=\"\(coordinate(bottom + 19))\" text-anchor=\"middle\">\(Int(tick))</text>"
            }
            svg += "</g>\n"
            svg += "<text x=\"16\" y=\"\(coordinate(box.top + box.height / 2))\" transform=\"rotate(-90 16 \(coordinate(box.top + box.height / 2)))\" text-anchor=\"middle\">\(name)</text>\n"
            svg += "<text x=\"\(coordinate(left + plotWidth / 2))\" y=\"\(coordinate(bottom + 36))\" text-anchor=\"middle\">epoch</text>\n"
        }
        /// One series: a line through its finite points, and a point for each with its exact figure.
        func series(_ kind: String, _ label: String, _ values: [(epoch: Int, value: Double)], color: String, dashed: Bool,
                    ticks: [Double], box: (top: Double, height: Double), percent: Bool) {
            let finite = values.filter { $0.value.isFinite }
            guard !finite.isEmpty else { return }
            let points = finite.map { "\(coordinate(x(Double($0.epoch)))),\(coordinate(y($0.value, ticks, box)))" }.joined(separator: " ")
            svg += "<polyline class=\"\(kind)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(points)\"/>\n"
            for point in finite {
                let shown = percent ? String(format: "%.2f%%", point.value * 100) : String(format: "%.4f", point.value)
                svg += "<circle class=\"point \(kind)\" data-epoch=\"\(point.epoch)\" data-value=\"\(point.value)\" cx=\"\(coordinate(x(Double(point.epoch))))\" cy=\"\(coordinate(y(point.value, ticks, box)))\" r=\"3.5\" fill=\"\(color)\"><title>epoch \(point.epoch): \(label) \(shown)</title></circle>\n"
            }
        }
        func legend(_ entries: [(label: String, color: String, dashed: Bool, opacity: Double)], top: Double) {
            var position = left + 12
            svg += "<g class=\"legend\">"
            for entry in entries {
                svg += "<path d=\"M\(coordinate(position)),\(coordinate(top))h22\" stroke=\"\(entry.color)\" stroke-width=\"2\" stroke-opacity=\"\(entry.opacity)\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
                svg += "<text x=\"\(coordinate(position + 28))\" y=\"\(coordinate(top + 4))\">\(entry.label)</text>"
                position += 44 + Double(entry.label.count) * 5.8
            }
            svg += "</g>\n"
        }

        let training = "#1f77b4", heldOut = "#d62728"
        let hasHeldOut = epochs.contains { $0.heldOutAccuracy != nil }
        panel("loss", lossTicks.values, step: lossTicks.step, lossPanel, scale: 1, suffix: "")
        if !batches.isEmpty {
            let points = batches.map { "\(coordinate(x($0.position))),\(coordinate(y($0.loss, lossTicks.values, lossPanel)))" }.joined(separator: " ")
            svg += "<polyline class=\"batch-loss\" fill=\"none\" stroke=\"\(training)\" stroke-opacity=\"0.3\" stroke-width=\"1\" points=\"\(points)\"/>\n"
        }
        series("training-loss", "training loss", epochs.map { ($0.epoch, $0.trainingLoss) }, color: training, dashed: false,
               ticks: lossTicks.values, box: lossPanel, percent: false)
        series("held-out-loss", "held-out loss", epochs.compactMap { epoch in epoch.heldOutLoss.map { (epoch.epoch, $0) } }, color: heldOut,
               dashed: true, ticks: lossTicks.values, box: lossPanel, percent: false)
        legend([("training loss (per epoch)", training, false, 1), ("per batch", training, false, 0.3)]
               + (hasHeldOut ? [("held-out loss", heldOut, true, 1)] : []), top: lossPanel.top - 14)

        panel("accuracy", accuracyTicks.values, step: accuracyTicks.step, accuracyPanel, scale: 100, suffix: "%")
        series("training-accuracy", "training accuracy", epochs.map { ($0.epoch, $0.trainingAccuracy) }, color: training, dashed: false,
               ticks: accuracyTicks.values, box: accuracyPanel, percent: true)
        series("held-out-accuracy", "held-out accuracy", epochs.compactMap { epoch in epoch.heldOutAccuracy.map { (epoch.epoch, $0) } },
               color: heldOut, dashed: false, ticks: accuracyTicks.values, box: accuracyPanel, percent: true)
        legend([("training accuracy", training, false, 1)] + (hasHeldOut ? [("held-out accuracy", heldOut, false, 1)] : []),
               top: accuracyPanel.top - 14)
        return svg + "</svg>\n"
    }

    /// Text for an XML element or attribute.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default:
                // XML 1.0 allows no control characters but tab, newline and return.
                if character.value < 0x20 && character != "\t" && character != "\n" && character != "\r" { result += "?" }
                else { result.unicodeScalars.append(character) }
            }
        }
        return result
    }
}
