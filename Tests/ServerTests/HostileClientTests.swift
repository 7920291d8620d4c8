import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Server

/// The server against a student trying to knock it over before a deadline: idle and slow
/// connections, replies too big to build, concurrent heavy work, odd ids. After each, a normal
/// request is answered. Timeouts and limits are set low here (`ServeOptions`) so that each test takes seconds.
@Suite("serve: hostile clients", .serialized)
struct HostileClientTests {
    static let program = "q = x + y; f = q * z"
    static let at = "x=-2,y=5,z=-4"

    /// The class's request, which must keep being answered.
    static func answersNormally(_ server: TestServer) async throws {
        let reply = try await server.request("POST", "/api/trace", json: ["program": program, "at": at])
        #expect(reply.status == 200)
        #expect(reply.object["value"] as? Double == -12)
    }

    /// Whether `condition` holds within `seconds`, polled every 20 ms (no fixed sleep a loaded machine outruns).
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test("idle connections: at the connection limit a new one replaces the one idle the longest; busy ones are kept, and a new one is closed at once")
    func idleConnections() async throws {
        // `backprop serve` as its own process: in the full suite an in-process server shares the
        // test process's two cooperative threads with hundreds of other tests, and accepted none of
        // eight connections in 10 s (make test, 2026-12-07); a class's server has its own process.
        let server = try ServerProcess.start(["--connections", "8", "--body-timeout", "6"])
        defer { server.stop() }
        let port = server.base.port!
        var held: [RawConnection] = []
        for _ in 0..<8 { held.append(try RawConnection(port: port)); try await Task.sleep(for: .milliseconds(50)) }
        // Accepted in their order: a request on the last one is answered once all eight are in.
        #expect(held[7].send("GET /api/lessons HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        #expect(await held[7].replied(within: 30), "the eighth connection was not served")
        // Six more: the six idle the longest make room, the newer two (and the six new) stay.
        var newer: [RawConnection] = []
        for _ in 0..<6 { newer.append(try RawConnection(port: port)); try await Task.sleep(for: .milliseconds(50)) }
        for connection in held.prefix(6) { #expect(await connection.closed(within: 15), "an idle connection was kept past the limit") }
        for connection in held.suffix(2) + newer { #expect(!connection.isClosed()) }
        // The class's request is answered at once, without waiting for any timeout.
        let reply = try await HTTPReply.send("POST", server.base.absoluteString + "api/trace", json: ["program": Self.program, "at": Self.at])
        #expect(reply.status == 200 && reply.object["value"] as? Double == -12, "\(reply.status) \(reply.text)")

        // Eight connections in the middle of a request (a head read, the body still coming) are busy:
        // none is closed for a new connection, which is closed at once instead.
        held = []; newer = []
        let busy = try (0..<8).map { _ in try RawConnection(port: port) }
        for connection in busy {
            #expect(connection.send("POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"))
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(500))
        let turnedAway = try RawConnection(port: port)
        #expect(await turnedAway.closed(within: 5), "a connection past a limit of busy connections was kept")
        for connection in busy { #expect(!connection.isClosed(), "a busy connection was closed before its body deadline") }
        // The body deadline (6 s here) ends them, and the class is answered again.
        for connection in busy { #expect(await connection.closed(within: 30)) }
        let again = try await HTTPReply.send("POST", server.base.absoluteString + "api/trace", json: ["program": Self.program, "at": Self.at])
        #expect(again.status == 200, "\(again.status) \(again.text)")
    }

    @Test("idle timeout: an idle connection is closed after it, though it sent nothing")
    func idleTimeout() async throws {
        let server = try await TestServer.start(socket: true) { $0.idleTimeout = .seconds(1) }
        defer { Task { await server.stop() } }
        let idle = try RawConnection(port: server.base.port!)
        #expect(await idle.closed(within: 10))
        try await Self.answersNormally(server)
    }

    @Test("slowloris: a header sent a byte at a time is cut off at the idle timeout; a body sent slowly at the body timeout")
    func slowClients() async throws {
        let server = try await TestServer.start(socket: true) { $0.idleTimeout = .seconds(1); $0.bodyTimeout = .seconds(1) }
        defer { Task { await server.stop() } }
        let port = server.base.port!

        // A header byte every 100 ms: never a complete head, so never a request.
        let header = try RawConnection(port: port)
        #expect(header.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
        let started = Date()
        var cut = false
        while Date().timeIntervalSince(started) < 10 {
            if !header.send("X") || header.isClosed() { cut = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cut, "a header sent a byte every 100 ms kept its connection for 10 s")

        // A complete head, then the body a byte every 100 ms: each byte resets the idle timeout, the body deadline holds.
        let body = try RawConnection(port: port)
        #expect(body.send("POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"))
        let bodyStarted = Date()
        cut = false
        while Date().timeIntervalSince(bodyStarted) < 10 {
            if !body.send(" ") || body.isClosed() { cut = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cut, "a body sent a byte every 100 ms kept its connection for 10 s")
        try await Self.answersNormally(server)
    }

    @Test("a reply over the byte limit is refused with 413 and its size, before it is built")
    func replyTooBig() async throws {
        let server = try await TestServer.start { $0.replyBytes = 100 << 10 }
        defer { Task { await server.stop() } }
        // 5,000 entries: the value, gradient and edges of x * x come to several hundred kB of JSON.
        let x = "x=[" + (0..<5000).map { String($0 % 10) }.joined(separator: ",") + "]"
        let big = try await server.request("POST", "/api/trace", json: ["program": "f = sum(x * x)", "at": x])
        #expect(big.status == 413)
        #expect(big.exitStatus == "2")
        let message = big.object["error"] as? String ?? ""
        #expect(message.hasPrefix("program: the reply would be about "), "\(message)")
        #expect(message.hasSuffix("the server's limit is 100 kB a reply"), "\(message)")
        try await Self.answersNormally(server)
        // A check writes its input at every point tried: 21 points of 5,000 entries.
        let check = try await server.request("POST", "/api/check", json: ["program": "f = sum(x * x)", "at": x, "claims": ["df/dx = 2 * x"], "points": 20])
        #expect(check.status == 413)
        #expect((check.object["error"] as? String ?? "").hasPrefix("program: the reply would be about "), "\(check.text)")
        let small = try await server.request("POST", "/api/check", json: ["program": Self.program, "at": Self.at, "claims": ["df/dx = z"]])
        #expect(small.status == 200)

        // One entry at rank 10,000: its JSON is nested and indented, tens of MB (or refused for its rank by the engine).
        let ones = Array(repeating: "1", count: 10_000).joined(separator: ",")
        let deep = try await server.request("POST", "/api/trace", json: ["program": "f = reshape(x, [\(ones)])", "at": "x=[5]"])
        #expect([400, 413].contains(deep.status), "rank 10,000 answered \(deep.status)")
        try await Self.answersNormally(server)
    }

    @Test("concurrent heavy requests past the memory budget get 503 with the reason, and every byte is given back")
    func memoryBudget() async throws {
        let replyBytes = RequestLimits.replyBytes
        // Room for one evaluation at a time.
        let server = try await TestServer.start { $0.memoryBudget = MemoryBudget.evaluationBytes(replyLimit: replyBytes) + (1 << 20) }
        defer { Task { await server.stop() } }
        let at = "x=[" + (0..<1000).map { String(Double($0 % 7) / 7) }.joined(separator: ",") + "],w=0.5"
        let heavy = "m = reshape(x, [1000, 1]) * x; a = m @ m; b = a @ m; f = sum(b) * w"
        let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            group.addTask { try await server.request("POST", "/api/check", json: ["program": heavy, "at": at, "claims": ["df/dw = sum(b)"], "points": 20]) }
            try await Task.sleep(for: .milliseconds(300))
            for _ in 0..<3 { group.addTask { try await server.request("POST", "/api/trace", json: ["program": heavy, "at": at]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refused = replies.filter { $0.status == 503 && ($0.object["error"] as? String ?? "").contains("of memory") }
        #expect(!refused.isEmpty, "no request was refused for memory: \(replies.map(\.status))")
        for reply in refused {
            #expect(reply.exitStatus == "1")
            #expect((reply.object["error"] as? String)?.hasPrefix("the server is busy: a program needs 144.0 MB of memory") == true, "\(reply.text)")
        }
        // Once everything is answered, nothing stays reserved.
        let patience = Date().addingTimeInterval(30)
        while server.server.budget.inUse > 0 && Date() < patience { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.server.budget.inUse == 0)
        try await Self.answersNormally(server)
    }

    @Test("teacher view: newest first, paged to the end with ?before; ids with @, spaces, ' and any letter are looked up")
    func teacherPagingAndOddIDs() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        // Every character the grader allows in an id (letters, digits, spaces, . _ - @ ').
        let students = ["ada@uni.example", "Ada Lovelace", "O'Brien_2", "Zoë-ü", "s1", "s2", "s3"]
        var ids: [Int] = []
        for student in students {
            let sent = try await server.request("POST", "/api/exercises/1/answers", json: ["student": student, "answers": ["q-value": 3]])
            #expect(sent.status == 200, "\(student): \(sent.text)")
            ids.append(sent.object["attempt"] as? Int ?? -1)
        }
        var listed: [Int] = []
        var query = "?limit=3"
        var pages = 0
        while pages < 10 {
            let page = try await server.request("GET", "/api/teacher/lessons/1/submissions" + query, teacher: true)
            #expect(page.status == 200)
            let rows = (page.object["submissions"] as? [[String: Any]] ?? []).compactMap { $0["attempt"] as? Int }
            #expect(rows.count <= 3)
            listed += rows
            pages += 1
            guard let next = page.object["next"] as? Int else { break }
            query = "?limit=3&before=\(next)"
        }
        #expect(pages == 3)
        #expect(listed == ids.reversed())
        for bad in ["?limit=0", "?limit=5000", "?before=abc", "?after=-1"] {
            let refused = try await server.request("GET", "/api/teacher/lessons/1/submissions" + bad, teacher: true)
            #expect(refused.status == 400, "\(bad) answered \(refused.status)")
        }
        // As the page sends an id (encodeURIComponent: everything but letters, digits and -_.!~*'() encoded), and as a path allows it.
        let component = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.!~*'()"))
        for student in students.prefix(4) {
            for encoded in [student.addingPercentEncoding(withAllowedCharacters: component)!, student.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!] {
                let feedback = try await server.request("GET", "/api/teacher/lessons/1/students/" + encoded, teacher: true)
                #expect(feedback.status == 200, "\(encoded): \(feedback.text)")
                #expect(feedback.object["student"] as? String == student)
                #expect(feedback.object["attempts"] as? Int == 1)
            }
        }
        // `+` is itself in a path, never a space (the grader allows no `+` in an id, so nobody has it).
        let plus = try await server.request("GET", "/api/teacher/lessons/1/students/Ada+Lovelace", teacher: true)
        #expect(plus.status == 404)
        #expect(plus.object["error"] as? String == "no attempt by student 'Ada+Lovelace' at lesson 1")
        let broken = try await server.request("GET", "/api/teacher/lessons/1/students/%E0%A4", teacher: true)
        #expect(broken.status == 400)
        try await Self.answersNormally(server)
    }

    /// Issue 30's 100-byte request that killed the whole server (SIGILL in the engine's strides), sent
    /// to `backprop serve` as its own process so that a crash fails this test and not the suite.
    @Test("the empty tensor with huge axes: one line of 400, and the server still answers")
    func hugeEmptyAxes() async throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let reply = try await HTTPReply.send("POST", server.base.absoluteString + "api/trace",
                                             json: ["program": "f = sum(transpose(reshape(W[0:0], [0, 999999999, 999999999, 999999999])))", "at": "W=[1,2]"])
        #expect(reply.status == 400, "\(reply.status): \(reply.text)")
        #expect(server.process.isRunning)
        let lessons = try await server.request("GET", "/api/lessons")
        #expect(lessons.status == 200)
    }
}

/// A TCP connection of our own, to behave as no browser would.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { close(fd); throw TestFailure("connect: \(errno)") }
    }

    deinit { close(fd) }

    /// Sends `text`; false once the server has closed the connection.
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the server has closed the connection (read the end, or reset it), without waiting.
    func isClosed() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || poller.revents & Int16(POLLHUP | POLLERR) != 0
    }

    /// Waits up to `seconds` for the start of an HTTP reply (the bytes read are consumed).
    func replied(within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        repeat {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { received += buffer.prefix(count) }
            if String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 ") { return true }
            if count == 0 { return false }
            try? await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return false
    }

    /// Waits up to `seconds` for the server to close the connection.
    func closed(within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isClosed() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return isClosed()
    }
}
