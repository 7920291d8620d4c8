import Benchmarks
import Foundation
import Testing

/// `backprop bench trace` times the engine's share of the load test's requests: its programs must
/// be the ones the load scripts send, or the two measure different things.
@Suite("The load scripts and bench trace")
struct LoadScriptTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/load").standardized

    /// The `program` and `at` of a wrk script's JSON body.
    static func body(_ script: String) throws -> (program: String, at: String) {
        let text = try String(contentsOf: scripts.appendingPathComponent(script), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("wrk.body = '") })
        let json = line.dropFirst("wrk.body = '".count).dropLast()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return (try #require(object["program"] as? String), try #require(object["at"] as? String))
    }

    @Test("bench trace's two programs are the bodies of trace-small.lua and trace-100.lua", arguments: [
        ("trace-small.lua", 0), ("trace-100.lua", 1),
    ])
    func samePrograms(script: String, index: Int) throws {
        let sent = try Self.body(script)
        let timed = TraceWorkBenchmark.programs[index]
        #expect(sent.program == timed.source)
        #expect(sent.at == timed.at)
    }
}
