#if os(Linux)
import Foundation

/// What tests read from a step-by-step page (docs/pages.md) in a browser.
public enum PageProbe {
    /// The page's step, narration and lit element.
    public struct State: Decodable, Equatable, CustomStringConvertible {
        public let step: String
        public let narration: String
        public let lit: String
        public init(step: String, narration: String, lit: String) {
            self.step = step
            self.narration = narration
            self.lit = lit
        }
        public var description: String { "step \(step) [\(lit)] \(narration)" }
    }

    static let readState = """
        (() => {
          const lit = document.querySelectorAll('#drawing g.lit');
          return JSON.stringify({
            step: document.getElementById('step').textContent,
            narration: document.getElementById('narration').textContent,
            lit: lit.length === 1 ? lit[0].id : (lit.length > 1 ? 'more than one' : ''),
          });
        })()
        """

    public static func state(_ browser: HeadlessChromium) throws -> State {
        guard let json = try browser.evaluate(readState) as? String else { throw HeadlessChromium.Failure(description: "no page state") }
        return try JSONDecoder().decode(State.self, from: Data(json.utf8))
    }

    /// The rendered size in CSS pixels of the smallest node label of the first drawing: its
    /// `font-size` in the SVG's units times the SVG's on-screen size per unit (zoom and all).
    public static func smallestLabel(_ browser: HeadlessChromium, drawing: String = ".viewer svg") throws -> Double {
        let script = """
            (() => {
              const svg = document.querySelector('\(drawing)');
              const perUnit = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              const sizes = Array.from(svg.querySelectorAll('g.node text')).filter(t => t.textContent.trim() !== '')
                .map(t => parseFloat(getComputedStyle(t).fontSize) * perUnit);
              return sizes.length ? Math.min(...sizes) : -1;
            })()
            """
        guard let size = try browser.evaluate(script) as? Double ?? (try browser.evaluate(script) as? Int).map(Double.init) else {
            throw HeadlessChromium.Failure(description: "could not measure the labels")
        }
        return size
    }

    /// The first viewer's zoom (1 = natural size).
    public static func scale(_ browser: HeadlessChromium) throws -> Double {
        let text = try browser.evaluate("document.querySelector('.viewport').dataset.scale") as? String ?? ""
        guard let value = Double(text) else { throw HeadlessChromium.Failure(description: "no data-scale on the viewport: '\(text)'") }
        return value
    }

    /// Turns the wheel over the middle of the first viewer.
    public static func wheelOverDrawing(_ browser: HeadlessChromium, deltaY: Double) throws {
        _ = try browser.evaluate("document.querySelector('.viewport').scrollIntoView({block: 'center'}), true")
        let json = try browser.evaluate("(() => { const b = document.querySelector('.viewport').getBoundingClientRect(); return JSON.stringify([b.left + b.width / 2, b.top + b.height / 2]); })()") as? String ?? "[]"
        let centre = try JSONDecoder().decode([Double].self, from: Data(json.utf8))
        guard centre.count == 2 else { throw HeadlessChromium.Failure(description: "no viewer") }
        try browser.wheel(x: centre[0], y: centre[1], deltaY: deltaY)
        try browser.settle()
    }
}
#endif
