import CryptoExtras
import Foundation
@testable import LTI
import Testing

/// The parts, one at a time.
@Suite("LTI 1.3: the parts")
struct LTIPartsTests {
    @Test("pending logins: used once, ten minutes, at most so many in all and per address")
    func loginStates() throws {
        let states = LoginStates(capacity: 3, perClient: 2)
        let now = Date()
        let first = try #require(states.start(platform: "p", target: "t", client: "10.0.0.1", now: now))
        #expect(states.start(platform: "p", target: "t", client: "10.0.0.1", now: now) != nil)
        #expect(states.start(platform: "p", target: "t", client: "10.0.0.1", now: now) == nil)   // per address
        #expect(states.start(platform: "p", target: "t", client: "10.0.0.2", now: now) != nil)
        #expect(states.start(platform: "p", target: "t", client: "10.0.0.3", now: now) == nil)   // in all
        let taken = try #require(states.take(state: first.state, now: now))
        #expect(states.matches(taken, nonce: first.nonce) && !states.matches(taken, nonce: first.state))
        #expect(states.take(state: first.state, now: now) == nil)                               // once
        let late = try #require(states.start(platform: "p", target: "t", client: "10.0.0.3", now: now))
        #expect(states.take(state: late.state, now: now.addingTimeInterval(LoginStates.lifetime + 1)) == nil)
        // Expired logins make room.
        #expect(states.start(platform: "p", target: "t", client: "10.0.0.4", now: now.addingTimeInterval(LoginStates.lifetime + 1)) != nil)
    }

    @Test("the score queue is bounded: beyond its capacity a score is dropped and logged, a student and lesson wait once")
    func boundedQueue() async throws {
        let key = try ToolKey(pem: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation)
        let gate = Gate()
        let reported = Gate()
        let scores = ScoreService(toolKey: key, capacity: 2, resolve: { student, _ in
            await gate.wait()
            await reported.add(student)
            return nil   // no line item: nothing is sent
        }, report: { line in Task { await reported.add(line) } })
        for student in ["s1", "s2", "s3", "s4", "s2"] { scores.enqueue(student: student, lesson: 1) }
        let dropped = scores.outcomes.filter { $0.status == "dropped" }
        // However the worker and the enqueues interleave, two wait at most: one or two of the five are dropped, never the repeated s2.
        #expect((1...2).contains(dropped.count) && !dropped.contains { $0.student == "s2" }, "\(dropped.map(\.student))")
        #expect(!scores.idle)
        await gate.open()
        let deadline = Date().addingTimeInterval(10)
        while !scores.idle && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(scores.idle)
        let resolved = await reported.items.filter { $0.hasPrefix("s") }
        #expect(resolved.count + dropped.count == 4 && Set(resolved).count == resolved.count, "\(resolved) \(dropped.map(\.student))")   // s2 resolved once
    }

    @Test("forms, the scores address and the lesson of a launch")
    func pieces() {
        #expect(FormEncoding.decode("a=1&b=x%20y+z")?["b"] == "x y z")
        #expect(FormEncoding.decode("state=1&state=2") == nil)     // a field twice: which one counts would be a guess
        #expect(FormEncoding.decode("a=%zz") == nil)
        #expect(FormEncoding.decode(FormEncoding.encode([("k", "a&b=c d/é")]))?["k"] == "a&b=c d/é")
        #expect(ScoreService.scoresURL(URL(string: "https://lms.example/api/lti/courses/1/line_items/2?type_id=5")!).absoluteString
                == "https://lms.example/api/lti/courses/1/line_items/2/scores?type_id=5")
        #expect(ScoreService.scoresURL(URL(string: "https://lms.example/items/2/")!).absoluteString == "https://lms.example/items/2/scores")
        #expect(LaunchVerifier.lesson(custom: "3", target: "https://w.example/exercises/1") == 3)
        #expect(LaunchVerifier.lesson(custom: nil, target: "https://w.example/exercises/12/sheet") == 12)
        #expect(LaunchVerifier.lesson(custom: nil, target: "https://w.example/lessons/4") == 4)
        #expect(LaunchVerifier.lesson(custom: "0", target: nil) == nil && LaunchVerifier.lesson(custom: "one", target: nil) == nil)
        #expect(LaunchVerifier.lesson(custom: nil, target: "https://w.example/") == nil)
    }
}

/// Holds the score worker until opened; collects what it saw.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var items: [String] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func open() { isOpen = true; for waiter in waiters { waiter.resume() }; waiters = [] }
    func add(_ item: String) { items.append(item) }
}
