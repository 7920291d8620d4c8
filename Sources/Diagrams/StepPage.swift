import Autograd

/// The parts of a self-contained step-by-step page: one shared drawing at reading size (zoom and
/// pan), the step list beside it, ← / → and a slider. `Stepper` (a trace) and the lesson page use it.
///
/// The page exposes its state for tools and tests:
/// - `#step` holds the current step (0 first), `#narration` its narration;
/// - the lit node or edge of the drawing (`#drawing g.node.lit`, `g.edge.lit`; its `id` is `n2`, `e3`);
/// - the `.viewport`'s `data-scale` is the zoom (1 = the drawing's natural size, labels 11 pt ≈ 14.7 px;
///   a drawing wider than its window opens at down to 0.75 to fit, labels still ≥ 11 px);
/// - `window.stepper.show(k)` goes to step k, `window.stepper.zoom(f)` zooms by f.
public enum StepPage {
    /// One step of the page.
    public struct Step: Sendable {
        /// What the step does to the drawing.
        public var event: StepEvent
        /// Its narration; a line starting with `›` (after spaces) is an explanation, set apart.
        public var narration: String
        /// `inputs`, `forward`, `backward` or anything else (`training`, `update`, `model`).
        public var phase: String

        public init(event: StepEvent, narration: String, phase: String) {
            self.event = event
            self.narration = narration
            self.phase = phase
        }
    }

    /// The element a step lights: the computed node, the output for the seed, the used edge.
    public static func lit(_ step: Step, trace: Trace) -> String {
        switch step.event {
        case .compute(let node): return "n\(node)"
        case .use(let edge): return "e\(edge)"
        case .seed: return "n\(trace.output)"
        case .none: return ""
        }
    }

    /// The stepper: controls, the narration of the current step, the drawing and the step list.
    /// - Parameters:
    ///   - svg: the drawing (`SteppedDrawing.svg`), or any SVG for a drawing without steps.
    ///   - steps: the steps, at least one.
    ///   - trace: the trace the events refer to.
    public static func stepper(svg: String, steps: [Step], trace: Trace) -> String {
        let last = max(steps.count - 1, 0)
        let items = steps.enumerated().map { index, step in
            let lines = step.narration.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let trimmed = line.drop { $0 == " " }
                return trimmed.hasPrefix("›") ? "<span class=\"why\">\(htmlEscaped(String(line)))</span>" : htmlEscaped(String(line))
            }
            return "<li class=\"step\" data-step=\"\(index)\" data-phase=\"\(htmlEscaped(step.phase))\" data-lit=\"\(lit(step, trace: trace))\">"
                + "<span class=\"number\">\(index)</span><span class=\"text\">" + lines.joined(separator: "\n") + "</span></li>"
        }
        return """
            <div class="stepper" id="stepper">
            <nav class="controls">
            <button id="prev" type="button" title="Previous step (←)">◀ Prev</button>
            <input id="slider" type="range" min="0" max="\(last)" value="0" aria-label="Step">
            <button id="next" type="button" title="Next step (→)">Next ▶</button>
            <span class="counter">step <span id="step">0</span> of \(last)</span>
            </nav>
            <p id="narration">\(htmlEscaped(steps.first?.narration ?? ""))</p>
            <div class="beside">
            <ol id="steps" class="steps">
            \(items.joined(separator: "\n"))
            </ol>
            \(viewer(svg: svg))
            </div>
            </div>
            """
    }

    /// A drawing at its natural size in a window with zoom (wheel, + / −, fit, 1:1) and pan (drag).
    public static func viewer(svg: String, id: String = "drawing") -> String {
        """
        <figure class="viewer">
        <div class="zoom" role="toolbar" aria-label="Zoom">
        <button type="button" data-zoom="out" title="Zoom out (−)">−</button>
        <button type="button" data-zoom="in" title="Zoom in (+)">+</button>
        <button type="button" data-zoom="fit" title="Fit the drawing in the window (0)">fit</button>
        <button type="button" data-zoom="one" title="Natural size (1)">1:1</button>
        <span class="level">100%</span>
        <span class="hint">wheel to zoom, drag to pan</span>
        </div>
        <div class="viewport" tabindex="0" data-scale="1" aria-label="The computation graph">
        <div class="canvas" id="\(htmlEscaped(id))">
        \(svg)
        </div>
        </div>
        </figure>
        """
    }

    /// The style sheet of a page: reading text, the stepper, the viewer, and print rules (A4 or
    /// Letter, a drawing never cut across pages).
    public static let style = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1rem auto; padding: 0 1.5rem; color: #24292f; line-height: 1.45; max-width: 96rem; }
        h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; margin-top: 2rem; }
        .source { color: #57606a; margin-top: 0; }
        pre, code { font-family: ui-monospace, Menlo, Consolas, monospace; }
        pre.program, pre.lines { background: #f6f8fa; padding: 0.6rem 0.8rem; overflow-x: auto; }
        .controls { display: flex; gap: 0.6rem; align-items: center; }
        .controls button, .zoom button { font: inherit; padding: 0.15rem 0.7rem; }
        #slider { flex: 1; }
        #narration { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 1rem; min-height: 3em; white-space: pre-wrap; background: #f6f8fa; padding: 0.4rem 0.6rem; border-left: 4px solid #0969da; }
        .beside { display: grid; grid-template-columns: minmax(16rem, 26rem) minmax(0, 1fr); gap: 1rem; align-items: start; }
        @media (max-width: 60rem) { .beside { grid-template-columns: minmax(0, 1fr); } .steps { max-height: 14rem; } }
        .steps { list-style: none; margin: 0; padding: 0; max-height: 78vh; overflow-y: auto; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; border: 1px solid #d0d7de; }
        .step { display: flex; gap: 0.5rem; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eaeef2; cursor: pointer; white-space: pre-wrap; }
        .step .number { color: #57606a; min-width: 2.2em; text-align: right; }
        .step .why { color: #57606a; font-family: system-ui, sans-serif; }
        .step.current { background: #fff8c5; }
        .step.future { color: #8c959f; }
        .viewer { margin: 0; }
        .zoom { display: flex; gap: 0.4rem; align-items: center; margin-bottom: 0.3rem; }
        .zoom .level { min-width: 3.5em; text-align: right; font-variant-numeric: tabular-nums; }
        .zoom .hint { color: #57606a; font-size: 0.85rem; }
        .viewport { position: relative; overflow: hidden; height: 78vh; min-height: 16rem; border: 1px solid #d0d7de; background: #fff; cursor: grab; touch-action: none; }
        .viewport:active { cursor: grabbing; }
        .viewport:focus { outline: 2px solid #0969da; }
        .canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
        .canvas svg { display: block; }
        #drawing text.pending { fill: #8c959f; }
        #drawing g.node.lit ellipse, #drawing g.node.lit polygon, #drawing g.node.lit path { stroke: #0969da; stroke-width: 3px; fill: #fff8c5; }
        #drawing g.edge.lit path { stroke: #0969da; stroke-width: 3px; }
        #drawing g.edge.lit polygon { stroke: #0969da; fill: #0969da; }
        #drawing g.edge.lit text { font-weight: bold; }
        table.checks { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        table.checks th, table.checks td { border: 1px solid #d0d7de; padding: 0.2rem 0.6rem; text-align: left; }
        table.checks td.mark { text-align: center; font-weight: bold; }
        td.pass { color: #1a7f37; } td.fail { color: #cf222e; }
        .exercise { border-top: 1px solid #d0d7de; }
        .exercise h3 small { font-weight: normal; color: #57606a; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10.5pt; }
          .controls, .zoom, #narration { display: none; }
          .beside { display: flex; flex-direction: column; }
          .beside .viewer { order: -1; margin-bottom: 1rem; }
          .steps { max-height: none; overflow: visible; border: none; font-size: 8.5pt; }
          .step.future { color: inherit; }
          .step.current { background: none; }
          .viewer { break-inside: avoid; page-break-inside: avoid; }
          .viewport { height: auto !important; min-height: 0; overflow: visible; border: none; }
          .canvas { position: static; transform: none !important; }
          .canvas svg { max-width: 100%; max-height: 24cm; height: auto; width: auto; }
          figure, table, pre, .exercise { break-inside: avoid; page-break-inside: avoid; }
          h2 { break-after: avoid; page-break-after: avoid; }
        }
        """

    /// The page's script: the stepper (if there is one) and every viewer's zoom and pan.
    public static let script = """
        (() => {
          function setUpViewer(figure) {
            const viewport = figure.querySelector('.viewport');
            const canvas = figure.querySelector('.canvas');
            const svg = canvas.querySelector('svg');
            const level = figure.querySelector('.level');
            let scale = 1, x = 0, y = 0;
            const natural = () => { const box = svg.getBoundingClientRect(); return { width: box.width / scale, height: box.height / scale }; };
            function apply() {
              canvas.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
              viewport.dataset.scale = String(Math.round(scale * 1000) / 1000);
              if (level) level.textContent = Math.round(scale * 100) + '%';
            }
            function zoomAt(factor, cx, cy) {
              const next = Math.min(8, Math.max(0.02, scale * factor));
              x = cx - (cx - x) * next / scale; y = cy - (cy - y) * next / scale; scale = next; apply();
            }
            function centre() { return [viewport.clientWidth / 2, viewport.clientHeight / 2]; }
            function fit() {
              const size = natural();
              scale = Math.min(viewport.clientWidth / size.width, viewport.clientHeight / size.height, 8);
              x = (viewport.clientWidth - size.width * scale) / 2; y = (viewport.clientHeight - size.height * scale) / 2; apply();
            }
            // The default zoom: the natural size, or as much smaller as fits the window's width while
            // labels stay at 11 px or more (11 pt = 14.7 px at 1, so no less than 0.75; 0.76 for rounding).
            function initial() {
              const size = natural();
              scale = Math.min(1, Math.max(0.76, viewport.clientWidth / size.width));
              x = Math.max(0, (viewport.clientWidth - size.width * scale) / 2); y = Math.max(0, (viewport.clientHeight - size.height * scale) / 2); apply();
            }
            function naturalSize() {
              const size = natural();
              scale = 1;
              x = Math.max(0, (viewport.clientWidth - size.width) / 2); y = Math.max(0, (viewport.clientHeight - size.height) / 2); apply();
            }
            // A drawing smaller than the window gets a window its own height.
            const size = natural();
            const first = Math.min(1, Math.max(0.76, viewport.clientWidth / size.width));
            if (size.height * first + 8 < viewport.clientHeight) viewport.style.height = Math.max(size.height * first + 8, 200) + 'px';
            initial();
            viewport.addEventListener('wheel', (event) => {
              event.preventDefault();
              const box = viewport.getBoundingClientRect();
              zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
            }, { passive: false });
            let drag = null;
            viewport.addEventListener('pointerdown', (event) => { drag = { id: event.pointerId, x: event.clientX, y: event.clientY }; viewport.setPointerCapture(event.pointerId); });
            viewport.addEventListener('pointermove', (event) => {
              if (!drag || drag.id !== event.pointerId) return;
              x += event.clientX - drag.x; y += event.clientY - drag.y; drag.x = event.clientX; drag.y = event.clientY; apply();
            });
            const end = () => { drag = null; };
            viewport.addEventListener('pointerup', end); viewport.addEventListener('pointercancel', end);
            const actions = { in: () => zoomAt(1.25, ...centre()), out: () => zoomAt(0.8, ...centre()), fit, one: naturalSize };
            figure.querySelectorAll('[data-zoom]').forEach((button) => button.addEventListener('click', actions[button.dataset.zoom]));
            // Brings an element of the drawing into the window if it is outside.
            function reveal(element) {
              // An edge is found by its label (a long edge's box is most of the drawing).
              const texts = element.classList.contains('edge') ? Array.from(element.querySelectorAll('text')) : [];
              const boxes = texts.length ? texts.map((text) => text.getBoundingClientRect()) : [element.getBoundingClientRect()];
              const box = { left: Math.min(...boxes.map((b) => b.left)), right: Math.max(...boxes.map((b) => b.right)),
                            top: Math.min(...boxes.map((b) => b.top)), bottom: Math.max(...boxes.map((b) => b.bottom)) };
              box.width = box.right - box.left; box.height = box.bottom - box.top;
              const view = viewport.getBoundingClientRect();
              const margin = 24;
              if (box.left >= view.left + margin && box.right <= view.right - margin && box.top >= view.top + margin && box.bottom <= view.bottom - margin) return;
              x += (view.left + view.width / 2) - (box.left + box.width / 2);
              y += (view.top + view.height / 2) - (box.top + box.height / 2);
              apply();
            }
            return { actions, reveal, zoom: (factor) => zoomAt(factor, ...centre()), get scale() { return scale; } };
          }

          const viewers = Array.from(document.querySelectorAll('figure.viewer')).map(setUpViewer);
          window.viewers = viewers;
          const stepper = document.getElementById('stepper');
          if (!stepper) {
            document.addEventListener('keydown', (event) => {
              if (!viewers.length || event.target.closest('input, textarea')) return;
              if (event.key === '+' || event.key === '=') viewers[0].actions.in();
              if (event.key === '-') viewers[0].actions.out();
              if (event.key === '0') viewers[0].actions.fit();
              if (event.key === '1') viewers[0].actions.one();
            });
            return;
          }
          const viewer = viewers[0];
          const items = Array.from(stepper.querySelectorAll('.step'));
          const slider = document.getElementById('slider');
          const drawing = document.getElementById('drawing');
          const marks = Array.from(drawing.querySelectorAll('text[data-at]'));
          marks.forEach((mark) => { mark.dataset.full = mark.textContent; });
          let current = 0, lit = null;

          function show(index, reveal = true) {
            current = Math.max(0, Math.min(items.length - 1, index));
            marks.forEach((mark) => {
              const known = Number(mark.dataset.at) <= current;
              mark.textContent = known ? mark.dataset.full : mark.dataset.q;
              mark.classList.toggle('pending', !known);
            });
            if (lit) lit.classList.remove('lit');
            const id = items[current].dataset.lit;
            lit = id ? drawing.querySelector(`g#${CSS.escape(id)}`) : null;
            if (lit) { lit.classList.add('lit'); if (reveal && viewer) viewer.reveal(lit); }
            items.forEach((item, position) => {
              item.classList.toggle('current', position === current);
              item.classList.toggle('future', position > current);
            });
            const list = document.getElementById('steps');
            const item = items[current];
            if (item.offsetTop < list.scrollTop || item.offsetTop + item.offsetHeight > list.scrollTop + list.clientHeight) {
              list.scrollTop = item.offsetTop - list.clientHeight / 3;
            }
            slider.value = String(current);
            document.getElementById('step').textContent = String(current);
            document.getElementById('narration').textContent = item.querySelector('.text').textContent;
            document.getElementById('prev').disabled = current === 0;
            document.getElementById('next').disabled = current === items.length - 1;
          }

          document.getElementById('prev').addEventListener('click', () => show(current - 1));
          document.getElementById('next').addEventListener('click', () => show(current + 1));
          slider.addEventListener('input', () => show(Number(slider.value)));
          items.forEach((item, position) => item.addEventListener('click', () => show(position)));
          document.addEventListener('keydown', (event) => {
            if (event.target === slider || event.target.closest('textarea')) return;
            if (event.key === 'ArrowRight') { show(current + 1); event.preventDefault(); }
            if (event.key === 'ArrowLeft') { show(current - 1); event.preventDefault(); }
            if (viewer && (event.key === '+' || event.key === '=')) viewer.actions.in();
            if (viewer && event.key === '-') viewer.actions.out();
            if (viewer && event.key === '0') viewer.actions.fit();
            if (viewer && event.key === '1') viewer.actions.one();
          });
          window.stepper = { show, get current() { return current; }, get count() { return items.length; }, zoom: (f) => viewer.zoom(f) };
          // A printed page shows the finished drawing and every step.
          const printing = document.documentElement.dataset.print === 'final';
          // On paper: the finished drawing, nothing lit.
          const final = () => { show(items.length - 1, false); if (lit) { lit.classList.remove('lit'); lit = null; } };
          if (printing) final(); else show(0, false);
          window.addEventListener('beforeprint', final);
        })();
        """

    /// A whole page: the head with the style sheet, the body, the script.
    public static func document(title: String, body: String, extraStyle: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(htmlEscaped(title))</title>
        <style>
        \(style)
        \(extraStyle)
        </style>
        </head>
        <body>
        \(body)
        <script>
        \(script)
        </script>
        </body>
        </html>

        """
    }
}

/// Text made safe for HTML content and quoted attributes (`&`, `<`, `>`, quotes).
public func htmlText(_ text: String) -> String { htmlEscaped(text) }
