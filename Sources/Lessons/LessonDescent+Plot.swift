import Autograd
import Foundation
import Support
import Expressions

extension DescentRun {
    /// The loss surface over the two parameters as an SVG contour plot, with every run's path.
    /// The surface is the engine's loss on a 60 × 60 grid; the contours are drawn by marching
    /// squares at levels spaced evenly in log(loss − min + small), so the valley's floor shows.
    /// - Throws: `.badInput` when the lesson has not exactly two parameters.
    public func svg() throws(WorkbenchFailure) -> String {
        guard parameters.count == 2 else { throw .badInput("--plot draws two parameters; this lesson has \(parameters.count)", at: SourceLocation(file: lesson.file)) }
        // The window: every finite point of the runs that stayed bounded, plus a margin.
        // A run whose loss ends above where it started is drawn, but does not set the window.
        let bounded = paths.filter { !$0.diverged && ($0.losses.last ?? .infinity) <= ($0.losses.first ?? 0) }.flatMap(\.points)
        let shown = bounded.isEmpty ? paths.flatMap { $0.points.prefix(3) } : bounded
        var lo = [Double.infinity, .infinity], hi = [-Double.infinity, -.infinity]
        for point in shown where point.allSatisfy(\.isFinite) {
            for i in 0..<2 { lo[i] = min(lo[i], point[i]); hi[i] = max(hi[i], point[i]) }
        }
        for i in 0..<2 {
            let span = max(hi[i] - lo[i], 1e-3)
            lo[i] -= 0.15 * span; hi[i] += 0.15 * span
        }
        let n = 60
        var grid = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
        for row in 0...n {
            for column in 0...n {
                let point = [lo[0] + (hi[0] - lo[0]) * Double(column) / Double(n), lo[1] + (hi[1] - lo[1]) * Double(row) / Double(n)]
                grid[row][column] = try DescentRun.evaluate(lesson, values: values, data: descent.data, parameters: parameters,
                                                            point: point, rows: nil, gradient: false).0
            }
        }
        let flat = grid.flatMap { $0 }.filter(\.isFinite)
        let low = flat.min() ?? 0, high = flat.max() ?? 1
        let shift = max((high - low) * 1e-4, 1e-12)
        let levels = (1...14).map { k in low - shift + exp(log(shift) + (log(high - low + shift) - log(shift)) * Double(k) / 15) }

        let width = 780.0, height = 480.0, left = 60.0, top = 20.0, plotW = 440.0, plotH = 400.0
        func x(_ value: Double) -> Double { left + (value - lo[0]) / (hi[0] - lo[0]) * plotW }
        func y(_ value: Double) -> Double { top + plotH - (value - lo[1]) / (hi[1] - lo[1]) * plotH }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <title>\(escape(lesson.title))</title>
        <rect x="\(f(left))" y="\(f(top))" width="\(f(plotW))" height="\(f(plotH))" fill="white" stroke="#444"/>

        """
        // Marching squares: in each cell, the edges where the level is crossed, joined in pairs.
        for (k, level) in levels.enumerated() {
            var d = ""
            for row in 0..<n {
                for column in 0..<n {
                    let corners = [grid[row][column], grid[row][column + 1], grid[row + 1][column + 1], grid[row + 1][column]]
                    guard corners.allSatisfy(\.isFinite) else { continue }
                    let px = [Double(column), Double(column + 1), Double(column + 1), Double(column)]
                    let py = [Double(row), Double(row), Double(row + 1), Double(row + 1)]
                    var crossings: [(Double, Double)] = []
                    for edge in 0..<4 {
                        let a = edge, b = (edge + 1) % 4
                        if (corners[a] < level) != (corners[b] < level) {
                            let t = (level - corners[a]) / (corners[b] - corners[a])
                            let gx = px[a] + t * (px[b] - px[a]), gy = py[a] + t * (py[b] - py[a])
                            crossings.append((x(lo[0] + (hi[0] - lo[0]) * gx / Double(n)), y(lo[1] + (hi[1] - lo[1]) * gy / Double(n))))
                        }
                    }
                    var i = 0
                    while i + 1 < crossings.count {
                        d += "M\(f(crossings[i].0)),\(f(crossings[i].1))L\(f(crossings[i + 1].0)),\(f(crossings[i + 1].1))"
                        i += 2
                    }
                }
            }
            let shade = 200 - 10 * k
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"rgb(\(shade),\(shade),\(min(255, shade + 40)))\" stroke-width=\"0.8\"/>\n"
        }
        let colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
        svg += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath>\n"
        for (index, path) in paths.enumerated() {
            let color = colors[index % colors.count]
            let points = path.points.filter { $0.allSatisfy(\.isFinite) && $0.allSatisfy { abs($0) < 1e6 } }
            let line = points.map { "\(f(x($0[0]))),\(f(y($0[1])))" }.joined(separator: " ")
            svg += "<g clip-path=\"url(#plot)\"><polyline points=\"\(line)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
            for point in points { svg += "<circle cx=\"\(f(x(point[0])))\" cy=\"\(f(y(point[1])))\" r=\"1.8\" fill=\"\(color)\"/>" }
            svg += "</g>\n"
            let legendY = top + 14 + Double(index) * 18
            svg += "<line x1=\"515\" y1=\"\(f(legendY - 4))\" x2=\"535\" y2=\"\(f(legendY - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            svg += "<text x=\"540\" y=\"\(f(legendY))\">\(escape(path.run.label))\(path.diverged ? " (diverged)" : "")</text>\n"
        }
        if let start = paths.first?.points.first {
            svg += "<circle cx=\"\(f(x(start[0])))\" cy=\"\(f(y(start[1])))\" r=\"4\" fill=\"none\" stroke=\"black\"/>\n"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 32))\" text-anchor=\"middle\">\(escape(parameters[0]))</text>\n"
        svg += "<text x=\"18\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotH / 2)))\">\(escape(parameters[1]))</text>\n"
        for t in 0...4 {
            let u = Double(t) / 4
            let vx = lo[0] + (hi[0] - lo[0]) * u, vy = lo[1] + (hi[1] - lo[1]) * u
            svg += "<text x=\"\(f(x(vx)))\" y=\"\(f(top + plotH + 15))\" text-anchor=\"middle\">\(TraceFormat.number(vx, significantDigits: 3))</text>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y(vy) + 4))\" text-anchor=\"end\">\(TraceFormat.number(vy, significantDigits: 3))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
