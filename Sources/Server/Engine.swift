import Autograd
import Diagrams
import Expressions
import Foundation
import Support
import Claims
import Lessons
import Grading
import NIOCore
import Pages

// The playground's work, done by the same library functions as `backprop trace` and `backprop
// check`: `TraceJob`, `TraceReport.json`, `ClaimCheck`, `Diagram`, `Stepper`. This file and
// Course.swift are the only ones of the server that import the workbench's modules (Limits.swift
// imports Autograd for `EvaluationDeadline` alone, ServerFailure.swift Support for `WorkbenchFailure`,
// WorkbenchServer.swift Autograd for the allocator's settings (`Kernels.tuneAllocatorForServing`), API.swift, AnswerFile.swift and
// RequestBodies.swift Grading for the typed answers, `AnswerValue` and `Submission`).

/// What a handler sends back: Sendable bytes, ready before they leave the worker thread. (An
/// `Error` too, so that a refusal can travel in a `Result`.) The body is the `ByteBuffer` the
/// response sends, written once: a trace's 77 kB went writer → `[UInt8]` → `ByteBuffer` before.
struct Reply: Error, Sendable {
    /// The HTTP status: 200, or 400 for bad input (the CLI's exit 2), 422 for failed work (exit 1).
    var status: Int
    var contentType: String
    var body: ByteBuffer
    /// The exit status `backprop` would have ended with (0, 1 or 2), sent as `Backprop-Exit-Status`.
    var exitStatus: Int32

    static func json(_ text: String, exitStatus: Int32 = 0) -> Reply {
        Reply(status: 200, contentType: "application/json; charset=utf-8", body: ByteBuffer(string: text), exitStatus: exitStatus)
    }

    static func json(bytes: some Sequence<UInt8>, exitStatus: Int32 = 0) -> Reply {
        Reply(status: 200, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: bytes), exitStatus: exitStatus)
    }

    static func text(_ text: String, type: String, exitStatus: Int32 = 0) -> Reply {
        Reply(status: 200, contentType: type, body: ByteBuffer(string: text), exitStatus: exitStatus)
    }

    /// The body as text (tests, logs).
    var bodyText: String { String(buffer: body) }

    /// An error as JSON: the CLI's message, its position when it has one, and the exit status.
    ///
    /// ```json
    /// {"error": "program:1:5: error: unknown name 'zz'", "detail": "    f = zz\n        ^",
    ///  "exitStatus": 2, "line": 1, "column": 5}
    /// ```
    static func error(_ message: String, detail: String? = nil, exitStatus: Int32 = 2, httpStatus: Int? = nil, attempt: Int64? = nil,
                      location: SourceLocation? = nil) -> Reply {
        var object: [String: JSONValue] = ["error": .string(message), "exitStatus": .number(Double(exitStatus))]
        if let attempt { object["attempt"] = .number(Double(attempt)) }
        if let detail { object["detail"] = .string(detail) }
        if let line = location?.line { object["line"] = .number(Double(line)) }
        if let column = location?.column { object["column"] = .number(Double(column)) }
        return Reply(status: httpStatus ?? (exitStatus == 1 ? 422 : 400), contentType: "application/json; charset=utf-8",
                     body: ByteBuffer(bytes: JSONValue.object(object).utf8(capacity: 256)), exitStatus: exitStatus)
    }

    /// A diagnostic as the CLI prints it (`program:1:5: error: …`, or only what went wrong when it has
    /// no place), with its line and column as fields.
    static func failure(_ failure: WorkbenchFailure, httpStatus: Int? = nil) -> Reply {
        error(failure.location == nil ? failure.what : failure.headline, detail: failure.detail,
              exitStatus: failure.status.rawValue, httpStatus: httpStatus, location: failure.location)
    }
}

/// The limits on what one request may ask of the engine.
public enum RequestLimits {
    /// The largest request body, in bytes.
    public static let bodyBytes = 65_536
    /// The most entries the input values (`at`) may hold together: the grader's limit per answer.
    public static let inputEntries = AnswerLimits.tensorEntries
    /// The most entries the whole trace (every node's value) may hold: bounds the response.
    public static let traceEntries = 200_000
    /// The most claims one check request may make.
    public static let claims = 50
    /// The most random points a formula claim is tried at.
    public static let points = 100
    /// The largest reply, in bytes (`ServeOptions.replyBytes` sets the server's).
    public static let replyBytes = 16 << 20
}

/// The playground's requests, typed (API.swift) from JSON bodies that mirror the CLI's flags.
enum Engine {
    /// `POST /api/trace`: `{"program": "...", "at": "x=-2,y=5", "params": ["w"], "check": true}`; the
    /// body of the reply is exactly what `backprop trace --json` prints.
    static func trace(_ body: TraceRequest, replyLimit: Int = RequestLimits.replyBytes) -> Reply {
        do throws(WorkbenchFailure) {
            let source = try program(body.program)
            let job = try evaluate(source, at: body.at, values: try given(body.values), parameters: body.params?.values ?? [])
            let check = body.check == true ? try job.gradientCheck() : nil
            // The gradient check adds an entry of about 150 bytes per input entry checked.
            let estimate = ReplyEstimate.Sum(ReplyEstimate.trace(job.trace)).adding(check?.entries.count ?? 0, times: 200)
            if let refusal = tooBig(estimate, nodes: job.trace.nodes.count, replyLimit) { return refusal }
            let status: Int32 = check.map { $0.passed ? 0 : 1 } ?? 0
            // Written straight into the reply's bytes: no String of the whole document in between.
            return TraceReport.withJSONBytes(job.trace, check: check, lineEnd: true) { .json(bytes: $0, exitStatus: status) }
        } catch { return .failure(error) }
    }

    /// `POST /api/check`: `{"program": "...", "at": "...", "claims": ["df/dx = z"], "points": 5, "seed": 1}`;
    /// the reply is `backprop check --json`'s object plus `report`, the text `backprop check` prints.
    static func check(_ body: CheckRequest, replyLimit: Int = RequestLimits.replyBytes) -> Reply {
        do throws(WorkbenchFailure) {
            let (source, at) = (try program(body.program), body.at)
            guard let claims = body.claims?.values, !claims.isEmpty else {
                throw WorkbenchFailure.badInput("no claim to check: give one in \"claims\", e.g. \"claims\": [\"df/dx = z\"]")
            }
            guard claims.count <= RequestLimits.claims else { throw WorkbenchFailure.badInput("\(claims.count) claims; the limit is \(RequestLimits.claims) per request") }
            let points = body.points?.value ?? 5
            guard (0...RequestLimits.points).contains(points) else { throw WorkbenchFailure.badInput("points \(points): use 0 to \(RequestLimits.points) random points") }
            let seed = body.seed?.value ?? 1
            guard seed >= 0 else { throw WorkbenchFailure.badInput("seed \(seed): use a whole number ≥ 0") }
            let values = try given(body.values)
            try limitInputs(at, values: values)
            let check = try ClaimCheck(source: source, file: "program", inputs: at, values: values, claims: claims, randomPoints: points, seed: UInt64(seed))
            try limitTrace(check.job.trace)
            if let refusal = tooBig(ReplyEstimate.check(check), nodes: check.job.trace.nodes.count, replyLimit) { return refusal }
            guard case .object(var object) = check.json() else { return .error("internal: the check's JSON is not an object", exitStatus: 1) }
            object["report"] = .string(check.table())
            var bytes = JSONValue.object(object).utf8()
            bytes.append(UInt8(ascii: "\n"))
            return .json(bytes: bytes, exitStatus: check.passed ? 0 : 1)
        } catch { return .failure(error) }
    }

    /// `POST /api/diagram`: the annotated drawing of `trace -o f.svg` (`"format": "svg"`, the default)
    /// or the step-by-step page of `trace --html` (`"format": "html"`), from the same library calls.
    static func diagram(_ body: DiagramRequest) -> Reply {
        do throws(WorkbenchFailure) {
            let job = try evaluate(try program(body.program), at: body.at, values: try given(body.values), parameters: body.params?.values ?? [])
            var options = DiagramOptions(forwardOnly: body.forwardOnly ?? false)
            if let rankdir = body.rankdir {
                guard let direction = DiagramOptions.Direction(rawValue: rankdir.uppercased()) else { throw WorkbenchFailure.badInput("rankdir \(rankdir): use LR or TB") }
                options.direction = direction
            }
            let trace = job.trace
            switch body.format ?? "svg" {
            case "svg":
                let dot = trace.nodes.count > BigGraph.defaultLimit
                    ? BigGraph.collapse(trace, limit: BigGraph.defaultLimit, options: options).dot
                    : Diagram.dot(for: trace, options: options)
                return .text(String(decoding: try graphviz { () throws(GraphvizError) in try Graphviz.render(dot: dot, as: .svg) }, as: UTF8.self), type: "image/svg+xml")
            case "html":
                let frames = 1 + trace.forwardSteps.count + trace.backwardSteps.count
                guard trace.nodes.count <= BigGraph.defaultLimit, trace.nodes.count * frames <= 40_000 else {
                    throw WorkbenchFailure.badInput("html: \(frames) steps of a \(trace.nodes.count)-node graph are too many to step through; ask for \"format\": \"svg\"")
                }
                return .text(try graphviz { () throws(GraphvizError) in try Stepper.html(for: trace, options: options) }, type: "text/html; charset=utf-8")
            case let other:
                throw WorkbenchFailure.badInput("format \(other): use svg or html")
            }
        } catch { return .failure(error) }
    }

    // MARK: - Shared steps

    /// The 413 of a reply estimated (`ReplyEstimate`) at more than `limit` bytes, before any of it is written.
    static func tooBig(_ estimate: Int, nodes: Int, _ limit: Int) -> Reply? {
        guard estimate > limit else { return nil }
        return .error("program: the reply would be about \(ByteCount.text(estimate)) of JSON (\(nodes) nodes); "
                      + "the server's limit is \(ByteCount.text(limit)) a reply", exitStatus: 2, httpStatus: 413)
    }

    /// Decodes the body as `T` (`API.decode`) and hands it to `work`; a body that does not fit is bad input.
    static func withBody<T: Decodable>(_ bytes: [UInt8], as type: T.Type, _ work: (T) -> Reply) -> Reply {
        do throws(WorkbenchFailure) { return work(try API.decode(T.self, from: bytes)) } catch { return .failure(error) }
    }

    /// Graphviz's failure as the CLI reports it: failed work, exit 1.
    static func graphviz<T>(_ body: () throws(GraphvizError) -> T) throws(WorkbenchFailure) -> T {
        do { return try body() } catch { throw .failed("Graphviz: \(error.message)") }
    }

    static func program(_ source: String?) throws(WorkbenchFailure) -> String {
        guard let source else {
            throw .badInput("missing the program: send {\"program\": \"q = x + y; f = q * z\", \"at\": \"x=-2,y=5,z=-4\"}")
        }
        return source
    }

    static func evaluate(_ source: String, at: String?, values: GivenValues = GivenValues(), parameters: [String]) throws(WorkbenchFailure) -> TraceJob {
        try limitInputs(at, values: values)
        let job = try TraceJob(source: source, file: "program", inputs: at, values: values, parameters: parameters)
        try limitTrace(job.trace)
        return job
    }

    /// The body's `"values"` (names to numbers or nested arrays), held to the rules of `--values`:
    /// names a program can use, finite numbers, rectangular arrays, the engine's limits.
    static func given(_ values: [String: ValuesJSON.Nested]?) throws(WorkbenchFailure) -> GivenValues {
        guard let values else { return GivenValues() }
        var pairs: [(name: String, value: Tensor)] = []
        for (name, nested) in values.sorted(by: { $0.key < $1.key }) {
            guard ValuesJSON.isName(name) else { throw .badInput("values: '\(name)' is not a name a program can use") }
            do { pairs.append((name, try nested.tensor())) } catch { throw .badInput("values: \(name): \(error.message)") }
        }
        let entries = pairs.map(\.value.count).reduce(0, +)
        guard entries <= RequestLimits.inputEntries else {
            throw .badInput("values: the input values hold \(entries) entries; the server's limit is \(RequestLimits.inputEntries)")
        }
        return try GivenValues(pairs, source: "values")
    }

    /// Refuses input values (`"at"` and `"values"` together) with more entries than
    /// `RequestLimits.inputEntries` before evaluating.
    static func limitInputs(_ at: String?, values: GivenValues = GivenValues()) throws(WorkbenchFailure) {
        let fromValues = values.values.map(\.value.count).reduce(0, +)
        guard let at else { return }
        // Entries are numbers separated by commas, so there are at most commas + 1 of them. Within
        // that bound the values are not parsed here (TraceJob parses them): parsing them twice was
        // 7% of the server's CPU for f = (x + y) z (perf).
        guard at.utf8.reduce(1, { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }) + fromValues > RequestLimits.inputEntries else { return }
        guard let parsed = try? InputValues.parse(at) else { return }   // TraceJob reports a parse error itself
        let entries = parsed.map(\.value.count).reduce(0, +) + fromValues
        guard entries <= RequestLimits.inputEntries else {
            throw .badInput("at: the input values (with \"values\") hold \(entries) entries; the server's limit is \(RequestLimits.inputEntries)")
        }
    }

    /// Refuses a trace whose values hold more than `RequestLimits.traceEntries` entries (the reply would be huge).
    static func limitTrace(_ trace: Trace) throws(WorkbenchFailure) {
        // Each node read in place (a node copied out retains every string and tensor it holds).
        let entries = trace.nodes.withUnsafeBufferPointer { nodes in nodes.indices.reduce(0) { $0 + nodes[$1].storedValue.count } }
        guard entries <= RequestLimits.traceEntries else {
            throw .badInput("program: its \(trace.nodes.count) nodes hold \(entries) values; the server's limit is \(RequestLimits.traceEntries)")
        }
    }
}
