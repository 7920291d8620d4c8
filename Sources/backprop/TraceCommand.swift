import ArgumentParser
import Autograd
import Diagrams
import Foundation
import Support
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop trace`: evaluate a program, run backward, print the steps; draw it on request.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Evaluate a program, run backward and show every step (table, JSON, SVG/PNG/PDF/DOT, frames, HTML).",
        discussion: """
            The program is in the expression language (docs/expression-language.md):
              backprop trace "q = x + y; f = q * z" --at x=-2,y=5,z=-4
              backprop trace --file prog.bp --at 'x=[1,2,3]' --json
              echo "f = tanh(w * x)" | backprop trace - --at w=0.5,x=2 -o f.svg
            """)

    @OptionGroup var input: ProgramOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Names among the inputs to record as parameters (drawn as 3-D boxes).")
    var params: [String] = []

    @Flag(name: .long, help: "Print one JSON object (schema in docs/json.md) instead of the table.")
    var json = false

    @Flag(name: .long, help: "Run the gradient check (central differences); exit 1 if an input's gradient disagrees.")
    var check = false

    @Option(name: [.short, .customLong("output")], help: "Draw the graph to FILE: .svg, .png, .pdf or .dot.")
    var output: String?

    @Option(name: .long, help: "Graph direction: LR (left to right) or TB (top to bottom).")
    var rankdir: String = "LR"

    @Option(name: .long, help: "Significant digits of the numbers in diagrams.")
    var precision: Int = 4

    @Flag(name: .long, help: "Draw the forward pass only: gradients shown as '?'.")
    var forwardOnly = false

    @Option(name: .long, help: "Write one SVG frame per forward and backward step into DIR.")
    var steps: String?

    @Option(name: .long, help: "Write a self-contained step-by-step HTML page to FILE.")
    var html: String?

    @Flag(name: .long, help: "Draw every node even of a big graph (by default graphs over \(BigGraph.defaultLimit) nodes are collapsed); print every value and step in the table.")
    var full = false

    func validate() throws {
        if output != nil, let output, RenderFormat(pathExtension: (output as NSString).pathExtension) == nil {
            throw ValidationError("-o \(output): unknown format; use a file ending in .svg, .png, .pdf or .dot")
        }
        if DiagramOptions.Direction(rawValue: rankdir.uppercased()) == nil {
            throw ValidationError("--rankdir \(rankdir): use LR or TB")
        }
        if !(1...17).contains(precision) { throw ValidationError("--precision \(precision): use 1 to 17 significant digits") }
    }

    func run() throws {
        let (source, name) = try input.source()
        // Before any work: no output may replace the program file.
        try RunFiles(inputs: [(input.file, "the program file")] + input.valuePaths.map { (path: Optional($0), description: "a values file") }).check([("-o", output), ("--html", html)])

        let job = try TraceJob(source: source, file: name, inputs: input.at, values: try input.givenValues(), parameters: params)
        for note in job.notes { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let gradientCheck = check ? try job.gradientCheck() : nil

        let options = DiagramOptions(direction: DiagramOptions.Direction(rawValue: rankdir.uppercased())!,
                                     precision: precision, forwardOnly: forwardOnly)
        try Drawing.write(job.trace, options: options, output: output, steps: steps, html: html, full: full)

        if json {
            let bytes = try TraceReport.jsonBytes(job.trace, check: gradientCheck, limit: TraceReport.jsonByteLimit)
            print(String(decoding: bytes, as: UTF8.self))
        } else {
            print(TraceReport.table(job.trace, full: full))
            if let gradientCheck { print(TraceReport.checkTable(gradientCheck)) }
        }
        if let gradientCheck, !gradientCheck.passed {
            throw WorkbenchFailure.failed("the gradient check failed (largest relative error \(String(format: "%.1e", gradientCheck.maximumRelativeError)))")
        }
    }
}
