import Foundation
import Support

/// Small images drawn as hand-written SVG: one `<rect>` per pixel, panels side by side, each with
/// a title. Images are grey (ink dark on white, as the notes' digit plots); heat maps use a colour
/// ramp, either alone or laid over a grey image with an opacity that grows with the value.
///
/// ```swift
/// let svg = PixelPicture.svg([.grey("image", pixels, height: 8, width: 8)], caption: "digit 3")
/// ```
public enum PixelPicture {
    /// One panel: an H × W grid of values, row-major.
    public struct Panel: Sendable {
        public enum Kind: Sendable {
            /// Grey levels: `range.lowerBound` is white, `range.upperBound` black.
            case grey(ClosedRange<Double>)
            /// The colour ramp from 0 (dark) to `maximum` (bright); a colour bar is drawn below.
            case heat(maximum: Double)
            /// A grey image with a heat map over it: the ramp colour, opacity 0.8 · value / maximum.
            case overlay(grey: [Double], range: ClosedRange<Double>, maximum: Double)
        }
        public let title: String
        public let values: [Double]
        public let height: Int, width: Int
        public let kind: Kind

        /// A panel of `values` (H · W of them, row-major).
        public init(title: String, values: [Double], height: Int, width: Int, kind: Kind) {
            precondition(values.count == height * width, "a panel needs height × width values")
            self.title = title; self.values = values; self.height = height; self.width = width; self.kind = kind
        }

        /// A grey image whose range is the data's [0, 1].
        public static func grey(_ title: String, _ values: [Double], height: Int, width: Int, range: ClosedRange<Double> = 0...1) -> Panel {
            Panel(title: title, values: values, height: height, width: width, kind: .grey(range))
        }
    }

    /// Inferno, sampled at five stops (matplotlib's values at 0, ¼, ½, ¾, 1).
    static let ramp: [(Double, Double, Double)] = [(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)]

    /// The ramp's colour at t in [0, 1], linearly between the stops, as `#rrggbb`.
    public static func heatColour(_ t: Double) -> String {
        let clamped = t.isFinite ? Swift.min(Swift.max(t, 0), 1) : 0
        let position = clamped * Double(ramp.count - 1)
        let low = Swift.min(Int(position), ramp.count - 2)
        let fraction = position - Double(low)
        let (a, b) = (ramp[low], ramp[low + 1])
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * fraction).rounded()) }
        return hex(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    static func hex(_ red: Int, _ green: Int, _ blue: Int) -> String {
        "#" + [red, green, blue].map { String(format: "%02x", Swift.min(Swift.max($0, 0), 255)) }.joined()
    }

    /// The grey of `value` in `range`: white at the lower bound, black at the upper.
    static func greyColour(_ value: Double, _ range: ClosedRange<Double>) -> String {
        let span = range.upperBound - range.lowerBound
        let t = span > 0 && value.isFinite ? Swift.min(Swift.max((value - range.lowerBound) / span, 0), 1) : 0
        let level = Int((255 * (1 - t)).rounded())
        return hex(level, level, level)
    }

    /// The panels side by side, the caption above them; deterministic text (no timestamps).
    public static func svg(_ panels: [Panel], caption: String) -> String {
        let side = 192, gap = 24, top = 40, bottom = 44
        let cells = panels.map { Swift.max(1, side / Swift.max($0.height, $0.width, 1)) }
        let widths = zip(panels, cells).map { $0.width * $1 }
        let height = top + (zip(panels, cells).map { $0.height * $1 }.max() ?? 0) + bottom
        let width = gap + widths.reduce(0) { $0 + $1 + gap }
        var lines = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>",
            "<text x=\"\(gap)\" y=\"16\" font-size=\"13\">\(escape(caption))</text>",
        ]
        var x = gap
        for (panel, cell) in zip(panels, cells) {
            lines.append("<g transform=\"translate(\(x),\(top))\">")
            lines.append("<text x=\"0\" y=\"-6\">\(escape(panel.title))</text>")
            for i in 0..<panel.height {
                for j in 0..<panel.width {
                    let value = panel.values[i * panel.width + j]
                    let rect = "<rect x=\"\(j * cell)\" y=\"\(i * cell)\" width=\"\(cell)\" height=\"\(cell)\""
                    switch panel.kind {
                    case .grey(let range):
                        lines.append(rect + " fill=\"\(greyColour(value, range))\"/>")
                    case .heat(let maximum):
                        lines.append(rect + " fill=\"\(heatColour(maximum > 0 ? value / maximum : 0))\"/>")
                    case .overlay(let grey, let range, let maximum):
                        lines.append(rect + " fill=\"\(greyColour(grey[i * panel.width + j], range))\"/>")
                        let t = maximum > 0 && value.isFinite ? Swift.min(Swift.max(value / maximum, 0), 1) : 0
                        if t > 0 { lines.append(rect + " fill=\"\(heatColour(t))\" fill-opacity=\"\(String(format: "%.3f", 0.8 * t))\"/>") }
                    }
                }
            }
            switch panel.kind {
            case .heat(let maximum), .overlay(_, _, let maximum):
                // The colour bar: 0 on the left, the panel's maximum on the right.
                let barTop = panel.height * cell + 8, barWidth = panel.width * cell
                for step in 0..<32 {
                    lines.append("<rect x=\"\(step * barWidth / 32)\" y=\"\(barTop)\" width=\"\((step + 1) * barWidth / 32 - step * barWidth / 32)\" height=\"8\" fill=\"\(heatColour(Double(step) / 31))\"/>")
                }
                lines.append("<text x=\"0\" y=\"\(barTop + 22)\">0</text>")
                lines.append("<text x=\"\(barWidth)\" y=\"\(barTop + 22)\" text-anchor=\"end\">\(String(format: "%.3g", maximum))</text>")
            case .grey: break
            }
            lines.append("</g>")
            x += panel.width * cell + gap
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
