import Foundation
import Testing
@testable import Server

/// The JSON API against the CLI it mirrors: the same JSON, the same messages, positions and exit statuses.
@Suite("serve: the JSON API", .serialized)
struct APITests {
    static let program = "q = x + y; f = q * z"
    static let at = "x=-2,y=5,z=-4"

    @Test("POST /api/trace answers exactly what `backprop trace --json` prints")
    func traceMatchesCLI() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let reply = try await server.request("POST", "/api/trace", json: ["program": Self.program, "at": Self.at])
        #expect(reply.status == 200)
        #expect(reply.exitStatus == "0")
        let cli = try Backprop.run(["trace", Self.program, "--at", Self.at, "--json"])
        #expect(cli.status == 0)
        #expect(reply.text == cli.stdout)
        #expect(reply.object["value"] as? Double == -12)

        // With the gradient check, as `trace --json --check`.
        let checked = try await server.request("POST", "/api/trace", json: ["program": "f = tanh(w * x + b)", "at": "w=0.5,x=2,b=-1", "check": true])
        let cliChecked = try Backprop.run(["trace", "f = tanh(w * x + b)", "--at", "w=0.5,x=2,b=-1", "--json", "--check"])
        #expect(checked.text == cliChecked.stdout)
    }

    @Test("\"values\" in the body gives inputs as --values FILE does, with the same rules")
    func valuesInBody() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let reply = try await server.request("POST", "/api/trace", json: ["program": "f = sum(W @ x) * b", "at": "b=2",
                                                                         "values": ["W": [[1, 2], [3, 4]], "x": [1, -1]]])
        #expect(reply.status == 200, "\(reply.text)")
        let cli = try Backprop.run(["trace", "f = sum(W @ x) * b", "--at", "b=2,W=[[1,2],[3,4]],x=[1,-1]", "--json"])
        #expect(cli.status == 0 && reply.text == cli.stdout)
        let ragged = try await server.request("POST", "/api/check", json: ["program": "f = sum(W)", "values": ["W": [[1, 2], [3]]],
                                                                          "claims": ["df/dW = 1"]])
        #expect(ragged.status == 400 && (ragged.object["error"] as? String)?.contains("not rectangular") == true, "\(ragged.text)")
        let twice = try await server.request("POST", "/api/trace", json: ["program": "f = x", "at": "x=1", "values": ["x": 2]])
        #expect(twice.status == 400 && (twice.object["error"] as? String)?.contains("'x' is given twice: in --at and in values") == true, "\(twice.text)")
    }

    @Test("errors carry the CLI's message, line:column and exit status (2 bad input → 400, 1 failed → 422)")
    func errorsMatchCLI() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let bad = try await server.request("POST", "/api/trace", json: ["program": "q = x + y\nf = q * zz", "at": "x=1,y=2"])
        #expect(bad.status == 400)
        #expect(bad.exitStatus == "2")
        #expect(bad.object["exitStatus"] as? Int == 2)
        #expect(bad.object["line"] as? Int == 2)
        #expect(bad.object["column"] as? Int == 9)
        #expect((bad.object["error"] as? String)?.hasPrefix("program:2:9: error:") == true)
        #expect(bad.object["detail"] as? String == "    f = q * zz\n            ^")

        let nan = try await server.request("POST", "/api/trace", json: ["program": "f = log(x)", "at": "x=-1"])
        let cli = try Backprop.run(["trace", "f = log(x)", "--at", "x=-1"])
        #expect(cli.status == 1)
        #expect(nan.status == 422)
        #expect(nan.exitStatus == "1")
        #expect((nan.object["error"] as? String)?.contains("NaN") == true)

        let notJSON = try await server.request("POST", "/api/trace", body: Data("program=f".utf8))
        #expect(notJSON.status == 400)
        #expect((notJSON.object["error"] as? String)?.hasPrefix("request body: not valid JSON") == true)

        let missing = try await server.request("GET", "/api/nothing-here")
        #expect(missing.status == 404)
        #expect(missing.object["error"] as? String == "no such page or API route: GET /api/nothing-here")
    }

    @Test("POST /api/check reports as `backprop check` does, exit status 1 for a wrong claim")
    func checkMatchesCLI() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let claims = ["dq/dx = 1", "df/dq = x + y"]
        let reply = try await server.request("POST", "/api/check", json: ["program": Self.program, "at": Self.at, "claims": claims])
        let cli = try Backprop.run(["check", Self.program, "--at", Self.at] + claims.flatMap { ["--claim", $0] })
        #expect(reply.status == 200)
        #expect(reply.exitStatus == "1")
        #expect(cli.status == 1)
        #expect((reply.object["report"] as? String).map { $0 + "\n" } == cli.stdout)
        #expect(reply.object["passed"] as? Bool == false)
        #expect(reply.object["firstWrong"] as? String == "∂f/∂q")

        let right = try await server.request("POST", "/api/check", json: ["program": Self.program, "at": Self.at, "claims": ["df/dx = z"]])
        #expect(right.exitStatus == "0")
        #expect(right.object["passed"] as? Bool == true)

        let badClaim = try await server.request("POST", "/api/check", json: ["program": Self.program, "at": Self.at, "claims": ["df/dw = 1"]])
        let cliBad = try Backprop.run(["check", Self.program, "--at", Self.at, "--claim", "df/dw = 1"])
        #expect(cliBad.status == 2)
        #expect(badClaim.status == 400)
    }

    @Test("limits: a body over 64 kB, input values over the entry limit, too many claims")
    func limits() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let big = try await server.request("POST", "/api/trace", json: ["program": "f = x # " + String(repeating: "a", count: 70_000), "at": "x=1"])
        #expect(big.status == 413)
        #expect(big.object["error"] as? String == "request body: larger than the limit of 64 kB")

        let entries = "[" + Array(repeating: "1", count: RequestLimits.inputEntries + 1).joined(separator: ",") + "]"
        let many = try await server.request("POST", "/api/trace", json: ["program": "f = sum(x)", "at": "x=" + entries])
        #expect(many.status == 400)
        #expect((many.object["error"] as? String)?.contains("the server's limit is \(RequestLimits.inputEntries)") == true)

        let claims = try await server.request("POST", "/api/check", json: ["program": Self.program, "at": Self.at,
                                                                           "claims": Array(repeating: "df/dx = z", count: 51)])
        #expect(claims.status == 400)
    }

    @Test("an evaluation past the deadline is answered 503 at the deadline")
    func deadline() async throws {
        let server = try await TestServer.start { $0.deadline = .milliseconds(1) }
        defer { Task { await server.stop() } }
        let started = Date()
        // Lesson 13's page takes far longer than 1 ms to draw.
        let reply = try await server.request("GET", "/lessons/13")
        #expect(reply.status == 503)
        #expect((reply.object["error"] as? String)?.hasPrefix("the evaluation took longer than") == true)
        #expect(reply.object["exitStatus"] as? Int == 1)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a runaway evaluation is stopped at the deadline: its slot is free within seconds, not after its minutes of work")
    func runawayStops() async throws {
        let server = try await TestServer.start { $0.deadline = .milliseconds(500) }
        defer { Task { await server.stop() } }
        // Products of 1,000 × 1,000 matrices: one evaluation with backward took 0.7 s (release build,
        // `backprop trace`), and the check evaluates the program again at each of 20 random points.
        let at = "x=[" + (0..<1000).map { String(Double($0 % 7) / 7) }.joined(separator: ",") + "],w=0.5"
        let program = "m = reshape(x, [1000, 1]) * x; a = m @ m; b = a @ m; f = sum(b) * w"
        let started = Date()
        let reply = try await server.request("POST", "/api/check", json: ["program": program, "at": at, "claims": ["df/dw = sum(b)"], "points": 20])
        #expect(reply.status == 503)
        #expect((reply.object["error"] as? String) == "the evaluation took longer than 0.5 s; it was stopped")
        while server.server.gate.busy > 0 && Date().timeIntervalSince(started) < 60 { try await Task.sleep(for: .milliseconds(20)) }
        let ended = Date().timeIntervalSince(started)
        #expect(server.server.gate.busy == 0)
        // A single tensor operation is not interrupted: the work ends at the first check after the deadline.
        #expect(ended < 5, "the stopped work ended \(ended) s after the request was sent")
        let next = try await server.request("POST", "/api/trace", json: ["program": Self.program, "at": Self.at])
        #expect(next.status == 200)
    }

    @Test("lessons: the list, `lesson N --json`, the lesson's page and unknown lessons")
    func lessons() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let list = try await server.request("GET", "/api/lessons")
        let lessons = try JSONSerialization.jsonObject(with: list.body) as? [[String: Any]] ?? []
        let cliList = try Backprop.run(["lessons"])
        // `backprop lessons` prints chapter headings, then each lesson as "  N  title" and its source.
        let numbered = cliList.stdout.split(separator: "\n").filter { line in
            line.wholeMatch(of: /^ {1,2}[0-9]{1,2}  .*/) != nil
        }
        #expect(lessons.count == numbered.count, "\(lessons.count) lessons served, \(numbered.count) listed: \(numbered)")
        #expect(lessons.count >= 28)
        #expect(lessons.first?["title"] as? String == "Backpropagation through f = (x + y) z")

        let one = try await server.request("GET", "/api/lessons/1")
        #expect(one.text == (try Backprop.run(["lesson", "1", "--json"])).stdout)

        let page = try await server.request("GET", "/lessons/1")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("id=\"next\""))
        #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http") && !page.text.contains("url(http"),
                "the page must load nothing from the network")

        let unknown = try await server.request("GET", "/api/lessons/99")
        #expect(unknown.status == 400)
        #expect((unknown.object["error"] as? String)?.hasPrefix("there is no lesson 99") == true, "\(unknown.text)")
    }
}
