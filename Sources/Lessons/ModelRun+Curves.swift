import Foundation
import NeuralNetworks

/// What training did, as pictures in the terminal (issue 29, item 6): the loss and the accuracy of
/// every mini-batch over the run with the held-out figures after each epoch, and the held-out
/// confusion matrix before training and after epoch 1. Every mark is a figure of the run.
extension ModelRun {
    /// The curve and confusion steps, after the held-out line of `steps()`; empty without training.
    public func pictureSteps() -> [String] {
        guard let training, !training.points.isEmpty else { return [] }
        let epochs = training.epochs.count
        let span = "over \(epochs) epoch\(epochs == 1 ? "" : "s") (\(ModelRun.grouped(training.points.count)) updates)"
        let dropout = rows.contains { $0.layer is ModelSpec.Dropout }
        var loss = "curve     the loss " + span + ": • the batches (their mean per column), o held out"
        loss += "\n" + ModelRun.chart(training.points.map { ($0.position, $0.loss) },
                                      marks: heldOutMarks(training) { $0.loss }, format: { String(format: "%.2f", $0) })
        loss += "\n      › o is the loss on the held-out examples before training (at 0) and after each epoch; • is the loss"
            + " of the batches the updates were computed on" + (dropout ? ", with dropout on" : "") + "."
        var accuracy = "curve     the accuracy " + span + ": • the batches, o held out"
        accuracy += "\n" + ModelRun.chart(training.points.map { ($0.position, $0.accuracy * 100) },
                                          marks: heldOutMarks(training) { $0.accuracy * 100 }, format: { String(format: "%.0f%%", $0) }, floor: 0)
        let first = training.epochs.first!, last = training.epochs.last!
        accuracy += "\n      › Held out: \(ModelRun.percent(training.untrained.accuracy)) before training, "
            + "\(ModelRun.percent(first.heldOutAccuracy)) after epoch 1"
            + (epochs > 1 ? ", \(ModelRun.percent(last.heldOutAccuracy)) after epoch \(epochs)" : "")
            + ". " + ModelRun.verdict(training)
        func trimmed(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n")
        }
        return ([loss, accuracy, confusionStep(training)] + (filterStep(training).map { [$0] } ?? [])).map(trimmed)
    }

    /// The held-out figure before training (at 0) and after each epoch (at its end).
    private func heldOutMarks(_ training: Training, _ value: (HeldOut) -> Double) -> [(Double, Double)] {
        [(0, value(training.untrained))] + training.epochs.enumerated().map { index, epoch in
            (Double(index + 1), value(HeldOut(loss: epoch.heldOutLoss, accuracy: epoch.heldOutAccuracy, confusion: [])))
        }
    }

    /// What the curves show, in words chosen by the run's figures.
    static func verdict(_ training: Training) -> String {
        let tenth = max(1, training.points.count / 10)
        func mean(_ part: ArraySlice<Point>) -> Double { part.map(\.loss).reduce(0, +) / Double(part.count) }
        var text = "The batches' loss is \(number(mean(training.points.prefix(tenth)))) on average over the first tenth of the updates and "
            + "\(number(mean(training.points.suffix(tenth)))) over the last tenth."
        let best = training.epochs.enumerated().min { $0.element.heldOutLoss < $1.element.heldOutLoss }!
        let last = training.epochs.last!, count = training.epochs.count
        if best.offset + 1 < count {
            text += " The held-out loss was lowest after epoch \(best.offset + 1) (\(number(best.element.heldOutLoss))) and is "
                + "\(number(last.heldOutLoss)) after epoch \(count)"
            text += last.loss < best.element.loss
                ? ": the training loss went on falling (\(number(best.element.loss)) → \(number(last.loss))), so the model fits its training examples better without doing better on examples it has not seen."
                : "."
        }
        return text
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.2f%%", fraction * 100) }

    /// A text chart, 60 columns by 9 rows: `points` binned by column (their mean, •) and `marks`
    /// (o), over x from 0 to the last point's position, y from `floor` (or 0) to the largest value.
    static func chart(_ points: [(x: Double, y: Double)], marks: [(x: Double, y: Double)], format: (Double) -> String, floor: Double = 0) -> String {
        let width = 60, height = 9
        let all = (points + marks).filter { $0.x.isFinite && $0.y.isFinite }
        let xMax = max(all.map(\.x).max() ?? 1, 1e-9)
        func column(_ x: Double) -> Int { min(width - 1, max(0, Int((x / xMax * Double(width - 1)).rounded()))) }
        // The columns' means first: the scale is that of what is drawn, not of one stray batch.
        var sums = [Double](repeating: 0, count: width), counts = [Int](repeating: 0, count: width)
        for point in points where point.x.isFinite && point.y.isFinite {
            sums[column(point.x)] += point.y; counts[column(point.x)] += 1
        }
        let means = (0..<width).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : Double.nan }
        let drawn = means.filter(\.isFinite) + marks.map(\.y).filter(\.isFinite)
        let yMin = floor, yMax = max(drawn.max() ?? 1, yMin + 1e-9)
        func row(_ y: Double) -> Int { min(height - 1, max(0, Int(((y - yMin) / (yMax - yMin) * Double(height - 1)).rounded()))) }
        var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
        for index in 0..<width where means[index].isFinite { grid[row(means[index])][index] = "•" }
        for mark in marks where mark.x.isFinite && mark.y.isFinite { grid[row(mark.y)][column(mark.x)] = "o" }
        let labels = [yMax, (yMax + yMin) / 2, yMin].map(format)
        let labelWidth = labels.map(\.count).max()!
        var lines: [String] = []
        for r in stride(from: height - 1, through: 0, by: -1) {
            let label = r == height - 1 ? labels[0] : r == (height - 1) / 2 ? labels[1] : r == 0 ? labels[2] : ""
            let axis = r == height - 1 || r == (height - 1) / 2 || r == 0 ? "┤" : "│"
            let line = "          " + String(repeating: " ", count: labelWidth - label.count) + label + " " + axis + String(grid[r])
            lines.append(String(line.reversed().drop { $0 == " " }.reversed()))
        }
        // The epochs under the axis: every one when they fit, else the first, the middle and the last.
        let epochs = Int(xMax.rounded())
        let ticks = epochs <= 10 ? Array(0...epochs) : [0, epochs / 2, epochs]
        var axis = [Character](repeating: " ", count: width + 8)
        for tick in ticks {
            let text = Array(String(tick)), start = column(Double(tick))
            for (offset, character) in text.enumerated() where start + offset < axis.count { axis[start + offset] = character }
        }
        lines.append("          " + String(repeating: " ", count: labelWidth + 1) + "└" + String(repeating: "─", count: width))
        lines.append("          " + String(repeating: " ", count: labelWidth + 2) + String(String(axis).reversed().drop { $0 == " " }.reversed()) + "  epochs")
        return lines.joined(separator: "\n")
    }

    /// The held-out confusion matrices before training and after epoch 1, side by side when they fit.
    func confusionStep(_ training: Training) -> String {
        let names = training.classNames
        let numbered = names.allSatisfy { Int($0) != nil }
        var text = "confusion held out, true class (rows) by predicted class (columns)"
        let before = ModelRun.matrix(training.untrained.confusion, title: "before training")
        let after = ModelRun.matrix(training.afterFirst.confusion, title: "after epoch 1")
        let gap = "    "
        if 10 + before[0].count + gap.count + after[0].count <= 100 {
            for (left, right) in zip(before, after) {
                text += "\n" + String(("          " + left + gap + right).reversed().drop { $0 == " " }.reversed())
            }
        } else {
            for line in before + [""] + after { text += "\n          " + line }
        }
        func diagonal(_ m: [[Int]]) -> Int { m.indices.map { m[$0][$0] }.reduce(0, +) }
        if !numbered { text += "\n      › Classes: " + names.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ") + "." }
        text += "\n      › The diagonal holds the right answers: \(ModelRun.grouped(diagonal(training.untrained.confusion))) of "
            + "\(ModelRun.grouped(training.testCount)) before training, \(ModelRun.grouped(diagonal(training.afterFirst.confusion))) after one epoch."
        // The untrained network's favourite column, and the commonest mistake left after one epoch.
        let columns = names.indices.map { c in training.untrained.confusion.map { $0[c] }.reduce(0, +) }
        if let top = columns.indices.max(by: { columns[$0] < columns[$1] }) {
            text += " Before training the random weights put \(ModelRun.grouped(columns[top])) of them in class \(top)'s column."
        }
        var worst: (count: Int, truth: Int, predicted: Int) = (0, 0, 0)
        for (t, row) in training.afterFirst.confusion.enumerated() {
            for (p, count) in row.enumerated() where p != t && count > worst.count { worst = (count, t, p) }
        }
        if worst.count > 0 {
            text += " After epoch 1 the commonest mistake is class \(worst.truth) read as \(worst.predicted) (\(ModelRun.grouped(worst.count)) times)."
        }
        return text
    }

    /// The first convolution's first filter before training and after epoch 1, side by side.
    func filterStep(_ training: Training) -> String? {
        guard let filter = training.filter, filter.before.count == filter.side * filter.side,
              filter.after.count == filter.before.count, filter.side > 0 else { return nil }
        func grid(_ values: [Double], _ title: String) -> [String] {
            let rows = (0..<filter.side).map { r in
                values[(r * filter.side)..<((r + 1) * filter.side)].map { String(format: "%6.2f", abs($0) < 0.005 ? 0 : $0) }.joined()
            }
            return [title.padding(toLength: rows[0].count, withPad: " ", startingAt: 0)] + rows
        }
        var text = "filter    layer 1's first filter (\(filter.side) × \(filter.side) weights on the first input channel): what one epoch changed"
        for (left, right) in zip(grid(filter.before, "before training"), grid(filter.after, "after epoch 1")) {
            text += "\n          " + left + "    " + right
        }
        let changes = zip(filter.before, filter.after).map { $1 - $0 }
        let largest = changes.indices.max { abs(changes[$0]) < abs(changes[$1]) }!
        let meanChange = changes.map(abs).reduce(0, +) / Double(changes.count)
        let meanWeight = filter.before.map(abs).reduce(0, +) / Double(changes.count)
        text += "\n      › The mean size of a change is \(String(format: "%.3f", meanChange)), against a mean initial weight of "
            + "\(String(format: "%.3f", meanWeight)) in size; the largest is at row \(largest / filter.side), column \(largest % filter.side): "
            + "\(String(format: "%.3f", filter.before[largest])) → \(String(format: "%.3f", filter.after[largest])). The "
            + "\(ModelRun.grouped(training.points.count / max(1, training.epochs.count))) updates of epoch 1, each by the update rule above, add up to these changes."
        return text
    }

    /// A confusion matrix as lines of text under a title, counts right-aligned.
    static func matrix(_ m: [[Int]], title: String) -> [String] {
        let cell = max(2, (m.flatMap { $0 }.map { String($0).count }.max() ?? 1)) + 1
        let head = "   " + m.indices.map { String($0).leftPad(cell) }.joined()
        var lines = [title, head]
        for (index, row) in m.enumerated() { lines.append(String(index).leftPad(2) + " " + row.map { String($0).leftPad(cell) }.joined()) }
        let width = lines.map(\.count).max()!
        return lines.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }
    }
}

private extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
