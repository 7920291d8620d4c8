import Autograd
import Foundation
import Support

/// Writing the pictures a command asks for: `-o FILE`, `--steps DIR`, `--html FILE`. All atomic;
/// the frames of `--steps DIR` through `OutputDirectory`, which never follows a link inside DIR.
public enum Drawing {
    /// Draws `trace` to the requested outputs; big graphs are collapsed unless `full`.
    /// - Throws: `WorkbenchFailure.badInput` for a bad path or format, `.failed` if Graphviz fails.
    public static func write(_ trace: Trace, options: DiagramOptions, output: String?, steps: String?, html: String?,
                             full: Bool, limit: Int = BigGraph.defaultLimit, canInsist: Bool = true) throws(WorkbenchFailure) {
        let insist = canInsist ? ", or --full to insist" : ""
        let big = !full && trace.nodes.count > limit
        // Every frame is a whole drawing: nodes × frames bounds the size of --steps and --html output.
        let frames = 1 + trace.forwardSteps.count + trace.backwardSteps.count
        let heavy = !full && trace.nodes.count * frames > 40_000
        if let output {
            guard let format = RenderFormat(pathExtension: (output as NSString).pathExtension) else {
                throw .badInput("-o \(output): unknown format; use a file ending in .svg, .png, .pdf or .dot")
            }
            let dot: String
            if big {
                let collapsed = BigGraph.collapse(trace, limit: limit, options: options)
                note(collapsed.summary)
                dot = collapsed.dot
            } else {
                dot = Diagram.dot(for: trace, options: options)
            }
            try save(try render(dot, format), to: output)
        }
        if heavy && !big && steps != nil {
            throw .badInput("--steps: \(frames) steps of a \(trace.nodes.count)-node graph would be \(frames) whole drawings (about \(trace.nodes.count * frames / 1000) MB); use -o for one drawing\(insist)")
        }
        if let steps {
            if big { throw .badInput("--steps: the graph has \(trace.nodes.count) nodes, one frame per step would be \(frames) drawings; use -o for one drawing\(insist)") }
            // One descriptor for the folder: a link planted at a frame's name is refused, never followed.
            let folder: OutputDirectory
            do { folder = try OutputDirectory(creating: steps) } catch { throw .badInput("--steps \(steps): \(error)") }
            for frame in Diagram.frames(for: trace, options: options) {
                let bytes = try render(frame.dot, .svg)
                do { try folder.write(bytes, to: frame.fileName(as: .svg)) } catch { throw .badInput("\(error)") }
            }
        }
        if let html {
            if big { throw .badInput("--html: the graph has \(trace.nodes.count) nodes, too many to step through; use -o for one drawing\(insist)") }
            let page: String
            do { page = try Stepper.html(for: trace, options: options) } catch { throw .failed("Graphviz: \(error.message)") }
            try save(Array(page.utf8), to: html)
        }
    }

    static func render(_ dot: String, _ format: RenderFormat) throws(WorkbenchFailure) -> [UInt8] {
        do { return try Graphviz.render(dot: dot, as: format) } catch { throw .failed("Graphviz: \(error.message)") }
    }

    public static func save(_ bytes: [UInt8], to path: String) throws(WorkbenchFailure) {
        do { try AtomicFile.write(bytes, to: path) } catch { throw .badInput("\(error)") }
    }

    static func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
