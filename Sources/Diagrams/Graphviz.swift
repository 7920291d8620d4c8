import CGraphviz
import Foundation

/// A file format a diagram can be written in.
///
/// `svg`, `png` and `pdf` are rendered by Graphviz; `dot` is the DOT text itself.
public enum RenderFormat: String, CaseIterable, Sendable {
    /// Scalable Vector Graphics, from Graphviz's core renderer (text, deterministic).
    case svg
    /// A PNG bitmap, from Graphviz's cairo renderer.
    case png
    /// A PDF document, from Graphviz's cairo renderer.
    case pdf
    /// The DOT source, unchanged.
    case dot

    /// The format a file extension names (`"svg"`, `".svg"`, `"SVG"` …); nil for anything else.
    ///
    /// - Parameter pathExtension: the extension, with or without its leading dot, in any case.
    public init?(pathExtension: String) {
        var ext = Substring(pathExtension)
        if ext.hasPrefix(".") { ext = ext.dropFirst() }
        self.init(rawValue: ext.lowercased())
    }
}

/// A failure to parse, lay out or render DOT text, carrying Graphviz's own message.
public struct GraphvizError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in Graphviz's words where it gave any
    /// (e.g. `Error: syntax error in line 1 near 'x'`).
    public let message: String

    /// An error with this message.
    public init(message: String) {
        self.message = message
    }

    /// The same as `message`.
    public var description: String { message }
}

/// Graphviz's layout and rendering, done in-process through libgvc (no `dot` process is spawned).
///
/// Graphviz keeps global state (its DOT parser, its error reporting), so every call here is
/// serialised behind one process-wide lock; calling `render` from many threads at once is safe
/// but does not run in parallel. Nothing else in the process should call libgvc/libcgraph
/// directly. Graphviz's errors and warnings do not reach stderr: they are collected and
/// returned in a `GraphvizError` when the call fails, and dropped when it succeeds. (A few
/// plugin failures that Graphviz prints with a bare `fprintf`, like cairo failing to allocate
/// a surface, cannot be caught.)
///
/// ```swift
/// let svg = try Graphviz.render(dot: "digraph { a -> b }", as: .svg)
/// ```
public enum Graphviz {
    /// Renders DOT text to the bytes of a file in the given format.
    ///
    /// The same input gives the same bytes on every call: SVG loses the comment naming the
    /// Graphviz version and keeps a stable title for an anonymous graph (see
    /// `deterministicSVG(_:)`), and PDF gets a fixed creation date. A PNG larger than 32000 pixels
    /// on a side (cairo's limit is 32767) is scaled down to fit, as the `size` attribute would.
    /// For `.dot` the text is parsed (so bad DOT still throws) and its UTF-8 bytes are returned
    /// unchanged.
    ///
    /// - Parameters:
    ///   - dot: the graph, in the DOT language; only its first graph is drawn.
    ///   - format: the file format wanted.
    ///   - layout: the Graphviz layout engine (`"dot"`, `"neato"`, …).
    /// - Returns: the file's bytes, never empty.
    /// - Throws: `GraphvizError` with Graphviz's messages if the text does not parse, the layout
    ///   engine is unknown, rendering fails, or Graphviz reports any error along the way (as
    ///   `dot` exits non-zero then); warnings alone do not throw.
    public static func render(dot: String, as format: RenderFormat, layout: String = "dot")
        throws(GraphvizError) -> [UInt8]
    {
        try GraphvizEngine.shared.withContext { (context) throws(GraphvizError) -> [UInt8] in
            let graph = try GraphvizEngine.parse(dot)
            defer { agclose(graph) }
            try GraphvizEngine.checkForErrors("Graphviz reported an error in the DOT text")
            if format == .dot { return Array(dot.utf8) }

            let laidOut = gvLayout(context, graph, layout)
            defer { gvFreeLayout(context, graph) }  // safe even when the layout failed
            guard laidOut == 0 else {
                throw GraphvizEngine.failure("Graphviz could not lay out the graph with \"\(layout)\"")
            }

            if format == .png {
                // cairo's limit is 32767 pixels a side (96 dpi unless the graph sets one); keep
                // under it with room for margins, so Graphviz need not shrink it and say so on stderr.
                _ = cgraphviz_cap_bitmap_size(graph, 32_000, 96)
            }

            var data: UnsafeMutablePointer<CChar>?
            var length: UInt32 = 0
            let rendered = gvRenderData(context, graph, format.rawValue, &data, &length)
            defer { if let data { gvFreeRenderData(data) } }
            guard rendered == 0, let data, length > 0 else {
                throw GraphvizEngine.failure("Graphviz could not render the graph as \(format.rawValue)")
            }
            // Like `dot`, which exits non-zero after any error: a bad HTML label, for one, is
            // reported as an error but still drawn (as plain text).
            try GraphvizEngine.checkForErrors("Graphviz reported an error while drawing the graph")
            let bytes = Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
            switch format {
            case .svg: return deterministicSVGBytes(bytes)
            case .pdf: return deterministicPDFBytes(bytes)
            case .png, .dot: return bytes
            }
        }
    }

    /// SVG text made the same on every run and every Graphviz version that lays out the same.
    ///
    /// Removes the comment naming the Graphviz version (`<!-- Generated by graphviz version
    /// 2.43.0 (0)\n -->`) and the line break after it. An anonymous graph (`digraph { … }`) is
    /// titled by a process-wide counter (`%3` on the first render, `%7` on the next, …); its
    /// title is set back to `%3`, what a fresh `dot` process writes. Anything else is unchanged.
    public static func deterministicSVG(_ svg: String) -> String {
        String(decoding: deterministicSVGBytes(Array(svg.utf8)), as: UTF8.self)
    }

    /// `deterministicSVG(_:)` on UTF-8 bytes, so rendered output is never decoded lossily.
    static func deterministicSVGBytes(_ svg: [UInt8]) -> [UInt8] {
        var result = svg
        if let start = firstIndex(of: Array("<!-- Generated by graphviz".utf8), in: result, from: 0),
           let close = firstIndex(of: Array("-->".utf8), in: result, from: start)
        {
            var end = close + 3
            if end < result.count, result[end] == UInt8(ascii: "\r") { end += 1 }
            if end < result.count, result[end] == UInt8(ascii: "\n") { end += 1 }
            result.removeSubrange(start..<end)
        }

        // `<!-- Title: %12 Pages: 1 -->` … `<title>%12</title>`: the root graph's title comes first.
        let titleComment = Array("<!-- Title: %".utf8)
        guard let comment = firstIndex(of: titleComment, in: result, from: 0) else { return result }
        let digitsStart = comment + titleComment.count
        var digitsEnd = digitsStart
        while digitsEnd < result.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(result[digitsEnd]) {
            digitsEnd += 1
        }
        let counter = Array(result[digitsStart..<digitsEnd])
        guard !counter.isEmpty, result[digitsEnd...].starts(with: Array(" Pages:".utf8)) else { return result }
        let anonymous = Array("<title>%".utf8) + counter + Array("</title>".utf8)
        if let title = firstIndex(of: anonymous, in: result, from: digitsEnd) {
            result.replaceSubrange(title..<(title + anonymous.count), with: Array("<title>%3</title>".utf8))
        }
        result.replaceSubrange(digitsStart..<digitsEnd, with: [UInt8(ascii: "3")])
        return result
    }

    /// PDF bytes with their creation date set to 1970-01-01, so rendering is repeatable.
    ///
    /// cairo stamps `/CreationDate (D:20250101120000Z)` (and may stamp `/ModDate`) in the
    /// document information; each digit is replaced in place, so the length and every byte
    /// offset in the cross-reference table stay valid.
    static func deterministicPDFBytes(_ pdf: [UInt8]) -> [UInt8] {
        var result = pdf
        let epoch = Array("19700101000000".utf8)
        for key in ["/CreationDate (D:", "/ModDate (D:"] {
            let needle = Array(key.utf8)
            guard let found = firstIndex(of: needle, in: result, from: 0) else { continue }
            var index = found + needle.count
            var digit = 0
            // A PDF date is at most `YYYYMMDDHHmmSS+HH'mm'`; stop at the closing parenthesis.
            while index < result.count, index < found + needle.count + 24, result[index] != UInt8(ascii: ")") {
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(result[index]) {
                    result[index] = digit < epoch.count ? epoch[digit] : UInt8(ascii: "0")
                    digit += 1
                }
                index += 1
            }
        }
        return result
    }

    /// Where `needle` first occurs in `haystack` at or after `from`, if anywhere.
    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count
        else { return nil }
        for start in from...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// The process's one Graphviz context, and the lock that serialises every use of Graphviz.
///
/// Graphviz's error messages go to a C callback, which cannot capture context; it appends to
/// `messages` here, which is only touched with `lock` held.
private final class GraphvizEngine: @unchecked Sendable {
    /// The engine every render goes through.
    static let shared = GraphvizEngine()

    /// Guards `context`, `messages` and every call into Graphviz.
    private let lock = NSLock()
    /// The `GVC_t *`, created on first use and kept for the life of the process.
    private var context: OpaquePointer?
    /// Graphviz's messages since the current call began (`Error: …`, `Warning: …`).
    var messages = ""

    /// Runs `body` with the Graphviz context, holding the lock and collecting Graphviz's messages.
    func withContext<T>(_ body: (OpaquePointer) throws(GraphvizError) -> T) throws(GraphvizError) -> T {
        lock.lock()
        defer {
            messages = ""
            lock.unlock()
        }
        // Route every message (warnings included) to the callback instead of stderr. Set on each
        // call in case anything else in the process changed Graphviz's error handling.
        _ = agseterr(AGWARN)
        _ = agseterrf { text in
            if let text { GraphvizEngine.shared.messages += String(cString: text) }
            return 0
        }
        _ = agreseterrors()
        messages = ""

        if context == nil { context = gvContext() }
        guard let context else {
            throw Self.failure("Graphviz could not create its context (is libgvc installed?)")
        }
        return try body(context)
    }

    /// Parses DOT text into a graph the caller must `agclose`; the lock must be held.
    static func parse(_ dot: String) throws(GraphvizError) -> UnsafeMutablePointer<Agraph_t> {
        // agmemread reads up to the first NUL; a NUL inside the text would silently truncate it.
        guard !dot.utf8.contains(0) else {
            throw GraphvizError(message: "DOT text contains a NUL character")
        }
        guard let graph = dot.withCString({ agmemread($0) }) else {
            throw failure("no graph found in the DOT text")
        }
        return graph
    }

    /// Throws Graphviz's collected messages if it reported anything at error level since the call
    /// began (warnings alone pass); the lock must be held.
    static func checkForErrors(_ fallback: String) throws(GraphvizError) {
        if agerrors() >= Int32(AGERR.rawValue) { throw failure(fallback) }
    }

    /// An error carrying Graphviz's collected messages, or `fallback` if it said nothing;
    /// the lock must be held.
    static func failure(_ fallback: String) -> GraphvizError {
        let said = shared.messages.trimmingCharacters(in: .whitespacesAndNewlines)
        return GraphvizError(message: said.isEmpty ? fallback : said)
    }
}
