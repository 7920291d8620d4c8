import Autograd

/// A single self-contained HTML page that replays a trace step by step: the frames' SVGs inlined,
/// Prev / Next buttons, the ← and → keys, a slider, and one line of narration per step.
///
/// The page needs no network and loads no script or style sheet: everything is in the one file.
/// For tests and tools it exposes its state in the DOM: the visible frame is the `.frame` without
/// `hidden`, with `data-highlight` naming the lit node or edge (`n2`, `e3`; empty on frame 0) and
/// the lit SVG element carrying the class `highlight`; `#step` holds the step number (0 first) and
/// `#narration` the step's narration.
public enum Stepper {
    /// The stepper page of a trace.
    ///
    /// ```swift
    /// let page = try Stepper.html(for: trace)
    /// try AtomicFile.write(page, to: "steps.html")
    /// ```
    /// - Parameters:
    ///   - trace: the trace to replay (see `Diagram.frames(for:options:)` for the steps).
    ///   - options: how each frame is drawn.
    ///   - title: the page's title; by default `Backpropagation of f, step by step` for output `f`.
    /// - Returns: the page's HTML text.
    /// - Throws: `GraphvizError` if Graphviz cannot render a frame.
    /// - Complexity: one Graphviz render per step, each O(nodes + edges) or worse (layout), so
    ///   pages of graphs beyond a few dozen nodes grow large and slow.
    public static func html(for trace: Trace, options: DiagramOptions = DiagramOptions(),
                            title: String? = nil) throws(GraphvizError) -> String {
        let frames = Diagram.frames(for: trace, options: options)
        var sections: [String] = []
        for frame in frames {
            let svg = try Graphviz.render(dot: frame.dot, as: .svg)
            let attributes = [
                ("class", "frame"), ("data-step", String(frame.index)), ("data-name", frame.name),
                ("data-phase", frame.phase.rawValue), ("data-highlight", frame.highlight?.identifier ?? ""),
                ("data-narration", frame.narration),
            ].map { "\($0.0)=\"\(htmlEscaped($0.1))\"" }.joined(separator: " ")
            sections.append("<section \(attributes)\(frame.index == 0 ? "" : " hidden")>\n"
                + inlinable(String(decoding: svg, as: UTF8.self)) + "</section>")
        }
        let heading = title ?? "Backpropagation of \(trace.outputNode.label), step by step"
        let last = frames.count - 1
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(htmlEscaped(heading))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <h1>\(htmlEscaped(heading))</h1>
            <nav>
            <button id="prev" type="button" title="Previous step (←)">◀ Prev</button>
            <input id="slider" type="range" min="0" max="\(last)" value="0" aria-label="Step">
            <button id="next" type="button" title="Next step (→)">Next ▶</button>
            <span class="counter">step <span id="step">0</span> of \(last)</span>
            </nav>
            <p id="narration">\(htmlEscaped(frames[0].narration))</p>
            <main id="frames">
            \(sections.joined(separator: "\n"))
            </main>
            <script>
            \(script)
            </script>
            </body>
            </html>

            """
    }

    /// An SVG document without what may not stand inside HTML: the XML declaration, the DOCTYPE
    /// and the comments before the `<svg>` element.
    static func inlinable(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }

    /// The page's whole style sheet.
    static let style = """
        body { font-family: system-ui, sans-serif; margin: 1rem 1.5rem; color: #24292f; }
        h1 { font-size: 1.2rem; font-weight: 600; }
        nav { display: flex; gap: 0.6rem; align-items: center; max-width: 60rem; }
        #slider { flex: 1; }
        #narration { font-family: ui-monospace, monospace; font-size: 1.05rem; min-height: 1.5em; }
        .frame svg { max-width: 100%; height: auto; }
        """

    /// The page's whole script: show one frame at a time and keep the controls in step.
    static let script = """
        const frames = Array.from(document.querySelectorAll('.frame'));
        const slider = document.getElementById('slider');
        let current = 0;

        function show(index) {
          current = Math.max(0, Math.min(frames.length - 1, index));
          frames.forEach((frame, position) => { frame.hidden = position !== current; });
          slider.value = String(current);
          document.getElementById('step').textContent = String(current);
          document.getElementById('narration').textContent = frames[current].dataset.narration;
          document.getElementById('prev').disabled = current === 0;
          document.getElementById('next').disabled = current === frames.length - 1;
        }

        document.getElementById('prev').addEventListener('click', () => show(current - 1));
        document.getElementById('next').addEventListener('click', () => show(current + 1));
        slider.addEventListener('input', () => show(Number(slider.value)));
        document.addEventListener('keydown', (event) => {
          if (event.target === slider) return;  // the slider moves itself with the arrow keys
          if (event.key === 'ArrowRight') show(current + 1);
          if (event.key === 'ArrowLeft') show(current - 1);
        });
        show(0);
        """
}
