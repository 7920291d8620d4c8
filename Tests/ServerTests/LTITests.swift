import CryptoExtras
import Foundation
import GRDB
import JWTKit
@testable import LTI
import Testing
@testable import Server

/// LTI 1.3 against a platform simulator (PlatformSimulator.swift) that signs with its own RSA key,
/// serves its JWKS and token endpoint and receives scores: a student's login → launch → answer →
/// score, a teacher's launch, and the hostile launches, each refused with no session and nothing stored.
@Suite("LTI 1.3: login, launch, scores", .serialized)
struct LTITests {
    static let lessonTarget = "https://workbench.example/exercises/1"

    /// A course with `[lti]` for the simulator: the tool's key (made here, mode 0600), its JWKS address.
    static func course(_ platform: PlatformSimulator, counts: String = "best", extra: String = "") throws -> String {
        let path = try CourseTests.course(attempts: 10)
        let directory = (path as NSString).deletingLastPathComponent
        let toolKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let keyFile = directory + "/lti-key.pem"
        FileManager.default.createFile(atPath: keyFile, contents: Data(toolKey.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
        var text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "counts = \"best\"", with: "counts = \"\(counts)\"")
        text += """

            [lti]
            private_key = "lti-key.pem"
            name = "Simulator"
            issuer = "\(PlatformSimulator.issuer)"
            client_id = "\(PlatformSimulator.clientID)"
            deployment_ids = ["\(PlatformSimulator.deploymentID)"]
            auth_url = "\(platform.base)/auth?platform=1"
            token_url = "\(platform.base)/token"
            jwks_url = "\(platform.base)/jwks"
            \(extra)
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The simulator and a course server that knows it; the simulator learns the tool's key from `/lti/jwks.json`.
    static func start(counts: String = "best") async throws -> (PlatformSimulator, TestServer) {
        let platform = try await PlatformSimulator.start()
        let server = try await CourseTests.start(try course(platform, counts: counts))
        let jwks = try await server.request("GET", "/lti/jwks.json")
        #expect(jwks.status == 200)
        platform.recorder.with { $0.toolJWKS = Array(jwks.body) }
        return (platform, server)
    }

    /// `/lti/login` as the platform starts it; returns the state and nonce of the redirect.
    static func login(_ server: TestServer, post: Bool = false) async throws -> (state: String, nonce: String, query: [String: String]) {
        let fields = [("iss", PlatformSimulator.issuer), ("login_hint", "hint-17"), ("target_link_uri", lessonTarget),
                      ("lti_message_hint", "message-hint-1"), ("client_id", PlatformSimulator.clientID)]
        let reply = post
            ? try await server.request("POST", "/lti/login", body: Data(FormEncoding.encode(fields).utf8), contentType: "application/x-www-form-urlencoded")
            : try await server.request("GET", "/lti/login?" + FormEncoding.encode(fields))
        #expect(reply.status == 302, "\(reply.text)")
        let location = reply.headers["location"] ?? ""
        let query = FormEncoding.decode(String(location.split(separator: "?", maxSplits: 1).last ?? "")) ?? [:]
        guard let state = query["state"], let nonce = query["nonce"] else { throw TestFailure("no state and nonce in \(location)") }
        return (state, nonce, query)
    }

    static func launch(_ server: TestServer, token: String?, state: String?) async throws -> HTTPReply {
        var fields: [(String, String)] = []
        if let token { fields.append(("id_token", token)) }
        if let state { fields.append(("state", state)) }
        return try await server.request("POST", "/lti/launch", body: Data(FormEncoding.encode(fields).utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// Sessions and remembered line items in the store.
    static func stored(_ server: TestServer) throws -> (sessions: Int, lineItems: Int, attempts: Int) {
        let queue = try DatabaseQueue(path: server.dataDirectory + "/attempts.sqlite")
        return try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM lti_line_item") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt") ?? -1)
        }
    }

    static func waitForScores(_ server: TestServer) async throws {
        let deadline = Date().addingTimeInterval(20)
        while !(server.server.lti?.scores.idle ?? true) {
            guard Date() < deadline else { throw TestFailure("the scores were not sent within 20 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("a student: login → launch → signed in → answers → each score reaches the line item (the best, as counted)")
    func studentFlow() async throws {
        let (platform, server) = try await Self.start()
        defer { platform.stop() }
        let (state, nonce, query) = try await Self.login(server)
        #expect(query["redirect_uri"] == "https://workbench.example/lti/launch")
        #expect(query["client_id"] == PlatformSimulator.clientID && query["login_hint"] == "hint-17" && query["lti_message_hint"] == "message-hint-1")
        #expect(query["response_type"] == "id_token" && query["response_mode"] == "form_post" && query["scope"] == "openid" && query["prompt"] == "none")
        #expect(query["platform"] == "1")   // the auth URL's own query kept
        #expect(state != nonce && state.count >= 43 && nonce.count >= 43)

        let token = try await platform.idToken(nonce: nonce, lineItem: platform.base + "/lineitems/7")
        let launched = try await Self.launch(server, token: token, state: state)
        #expect(launched.status == 303, "\(launched.text)")
        #expect(launched.headers["location"] == "/exercises/1")
        let setCookie = launched.headers["set-cookie"] ?? ""
        #expect(setCookie.hasPrefix(SignIn.cookieName + "=") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
        let session = String(setCookie.split(separator: ";")[0])
        let me = try await server.request("GET", "/api/me", cookie: session)
        #expect(me.object["student"] as? String == "s1001", "\(me.text)")
        #expect(try Self.stored(server).lineItems == 1)

        // The same launch again (a replayed form): its state is used. With a new login's state: the nonce is not its.
        let replay = try await Self.launch(server, token: token, state: state)
        #expect(replay.status == 403 && replay.headers["set-cookie"] == nil, "\(replay.text)")
        let fresh = try await Self.login(server, post: true)
        let replayNonce = try await Self.launch(server, token: token, state: fresh.state)
        #expect(replayNonce.status == 403 && replayNonce.text.contains("nonce"), "\(replayNonce.text)")
        #expect(try Self.stored(server).sessions == 1)

        // A good answer, then a worse one: the assignment counts the best, so both scores sent are the first's.
        let good = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 3]], cookie: session)
        #expect(good.status == 200, "\(good.text)")
        let grade = good.object["grade"] as? [String: Any] ?? [:]
        let (points, maxPoints) = (grade["points"] as? Double ?? -1, grade["maxPoints"] as? Double ?? -1)
        #expect(points > 0 && maxPoints > points)
        try await Self.waitForScores(server)
        let worse = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 0]], cookie: session)
        #expect(worse.status == 200)
        #expect(((worse.object["grade"] as? [String: Any])?["points"] as? Double ?? -1) < points)
        try await Self.waitForScores(server)

        let scores = platform.recorder.scores
        #expect(scores.count == 2, "\(platform.recorder.refused)")
        for score in scores {
            #expect(score.lineItem == "7")
            #expect(score.contentType == "application/vnd.ims.lis.v1.score+json")
            #expect(score.body["userId"] as? String == "lms-user-17")
            #expect(score.body["scoreGiven"] as? Double == points)
            #expect(score.body["scoreMaximum"] as? Double == maxPoints)
            #expect(score.body["activityProgress"] as? String == "Completed" && score.body["gradingProgress"] as? String == "FullyGraded")
            #expect((score.body["timestamp"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) } != nil, "\(score.body)")
        }
        #expect(platform.recorder.tokens.count == 1)       // the bearer token is kept for the second score
        #expect(platform.recorder.jwksFetches == 1)        // the platform's JWKS is fetched once and cached
        #expect(platform.recorder.refused.isEmpty, "\(platform.recorder.refused)")

        // The teacher sees what was sent.
        let log = try await server.request("GET", "/api/teacher/lti/scores", token: CourseTests.teacherToken)
        let outcomes = log.object["scores"] as? [[String: Any]] ?? []
        #expect(outcomes.count == 2 && outcomes.allSatisfy { $0["status"] as? String == "sent" && $0["student"] as? String == "s1001" }, "\(log.text)")

        // After an outage of the LMS the teacher sends every remembered score again: the best still.
        let resend = try await server.request("POST", "/api/teacher/lti/resend", token: CourseTests.teacherToken)
        #expect(resend.object["queued"] as? Int == 1, "\(resend.text)")
        try await Self.waitForScores(server)
        #expect(platform.recorder.scores.count == 3 && platform.recorder.scores.last?.body["scoreGiven"] as? Double == points)
        let student = try await server.request("POST", "/api/teacher/lti/resend", cookie: session)
        #expect(student.status == 401)   // a student's session is no teacher's
    }

    @Test("with counts = latest the score sent is the latest attempt's; a platform that refuses scores is logged for the teacher, and the answer is still stored")
    func latestAndFailures() async throws {
        let (platform, server) = try await Self.start(counts: "latest")
        defer { platform.stop() }
        let (state, nonce, _) = try await Self.login(server)
        let token = try await platform.idToken(nonce: nonce, lineItem: platform.base + "/lineitems/8")
        let session = String((try await Self.launch(server, token: token, state: state).headers["set-cookie"] ?? "").split(separator: ";")[0])
        _ = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 3]], cookie: session)
        let worse = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 0]], cookie: session)
        try await Self.waitForScores(server)
        let latest = (worse.object["grade"] as? [String: Any])?["points"] as? Double
        #expect(platform.recorder.scores.last?.body["scoreGiven"] as? Double == latest)

        // The platform goes away: the answer is acknowledged and stored all the same; the failure is the teacher's to see.
        platform.stop()
        try await Task.sleep(for: .milliseconds(200))
        let answered = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 3]], cookie: session)
        #expect(answered.status == 200, "\(answered.text)")
        try await Self.waitForScores(server)
        #expect(try Self.stored(server).attempts == 3)
        let log = try await server.request("GET", "/api/teacher/lti/scores", token: CourseTests.teacherToken)
        let newest = (log.object["scores"] as? [[String: Any]])?.first
        #expect(newest?["status"] as? String == "failed" && (newest?["detail"] as? String)?.contains("could not be reached") == true, "\(log.text)")
    }

    @Test("a launch with only the line items' container: the lesson's line item is made once, then found, and the scores go to it")
    func containerOnly() async throws {
        let (platform, server) = try await Self.start()
        defer { platform.stop() }
        var sessions: [String] = []
        for student in ["s1001", "s1002"] {
            let (state, nonce, _) = try await Self.login(server)
            let token = try await platform.idToken(nonce: nonce, sub: "lms-" + student, sourcedID: student, containerOnly: true)
            let launched = try await Self.launch(server, token: token, state: state)
            #expect(launched.status == 303, "\(launched.text)")
            sessions.append(String((launched.headers["set-cookie"] ?? "").split(separator: ";")[0]))
        }
        for session in sessions {
            let answered = try await server.request("POST", "/api/exercises/1/answers", json: ["answers": ["q-value": 3]], cookie: session)
            #expect(answered.status == 200, "\(answered.text)")
            try await Self.waitForScores(server)
        }
        let made = platform.recorder.lineItems
        #expect(made.count == 1, "\(made)")   // the second student's score finds the line item the first one's made
        #expect(made.first?["tag"] as? String == "backprop-lesson-1" && made.first?["resourceLinkId"] as? String == "link-1")
        #expect((made.first?["scoreMaximum"] as? Double ?? 0) > 0)
        let scores = platform.recorder.scores
        #expect(scores.count == 2 && scores.allSatisfy { $0.lineItem == "100" }, "\(scores.map(\.lineItem)) \(platform.recorder.refused)")
        #expect(Set(scores.compactMap { $0.body["userId"] as? String }) == ["lms-s1001", "lms-s1002"])
        // The line item is remembered in the container's place: the next score goes straight to it.
        let remembered = try await server.server.lti?.lineItems.lineItem(student: "s1001", lesson: 1)
        #expect(remembered?.container == false && remembered?.lineItem.hasSuffix("/lineitems/100") == true)
    }

    @Test("a teacher's launch opens the teacher's page and routes, and signs no student in")
    func teacherLaunch() async throws {
        let (platform, server) = try await Self.start()
        defer { platform.stop() }
        let (state, nonce, _) = try await Self.login(server)
        let token = try await platform.idToken(nonce: nonce, sub: "lms-teacher-2", roles: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
                                               sourcedID: nil)
        let launched = try await Self.launch(server, token: token, state: state)
        #expect(launched.status == 303 && launched.headers["location"] == "/teacher", "\(launched.text)")
        let cookie = String((launched.headers["set-cookie"] ?? "").split(separator: ";")[0])
        #expect(cookie.hasPrefix(TeacherSessions.cookieName + "="))
        let stats = try await server.request("GET", "/api/teacher/lessons/1/stats", cookie: cookie)
        #expect(stats.status == 200, "\(stats.text)")
        let without = try await server.request("GET", "/api/teacher/lessons/1/stats")
        #expect(without.status == 401)
        let forged = try await server.request("GET", "/api/teacher/lessons/1/stats", cookie: TeacherSessions.cookieName + "=made-up-teacher-session-0123456789")
        #expect(forged.status == 401)
        let me = try await server.request("GET", "/api/me", cookie: cookie)
        #expect(me.status == 401)   // a teacher is not a student
        #expect(try Self.stored(server).sessions == 0)
    }

    @Test("hostile launches are refused with no session and nothing stored")
    func hostileLaunches() async throws {
        let (platform, server) = try await Self.start()
        defer { platform.stop() }
        let stranger = JWTKeyCollection()
        await stranger.add(rsa: try JWTKit.Insecure.RSA.PrivateKey(backing: try _RSA.Signing.PrivateKey(keySize: .bits2048)), digestAlgorithm: .sha256,
                           kid: JWKIdentifier(string: PlatformSimulator.keyID))
        let lti = "https://purl.imsglobal.org/spec/lti/claim/"
        let now = Date().timeIntervalSince1970
        typealias Make = (String) async throws -> String
        let cases: [(String, String, Make)] = [
            ("bad signature", "signature", { try await platform.idToken(nonce: $0, signer: stranger) }),
            ("wrong aud", "audience", { try await platform.idToken(nonce: $0) { $0["aud"] = .string("another-tool") } }),
            ("several aud, no azp", "authorized party", { try await platform.idToken(nonce: $0) { $0["aud"] = .array([.string(PlatformSimulator.clientID), .string("another-tool")]) } }),
            ("expired", "expired", { try await platform.idToken(nonce: $0) { $0["exp"] = .number(now - 600); $0["iat"] = .number(now - 700) } }),
            ("issued in the future", "issue time", { try await platform.idToken(nonce: $0) { $0["iat"] = .number(now + 3600); $0["exp"] = .number(now + 3700) } }),
            ("wrong issuer", "issuer", { try await platform.idToken(nonce: $0) { $0["iss"] = .string("https://evil.example") } }),
            ("another nonce", "nonce", { _ in try await platform.idToken(nonce: "not-the-login-nonce") }),
            ("unknown kid", "kid", { try await platform.idToken(nonce: $0, kid: "rotated-away") }),
            ("wrong deployment", "deployment", { try await platform.idToken(nonce: $0) { $0[lti + "deployment_id"] = .string("deployment-9") } }),
            ("not a resource link", "LtiResourceLinkRequest", { try await platform.idToken(nonce: $0) { $0[lti + "message_type"] = .string("LtiDeepLinkingRequest") } }),
            ("LTI 1.1 version", "version", { try await platform.idToken(nonce: $0) { $0[lti + "version"] = .string("1.1") } }),
            ("unknown user", "class list", { try await platform.idToken(nonce: $0, sourcedID: "s9999") }),
            ("no roster id", "did not say who you are", { try await platform.idToken(nonce: $0, sourcedID: nil) }),
            ("unknown lesson", "not an assignment", { try await platform.idToken(nonce: $0, custom: ["lesson": "2"]) }),
            ("no lesson", "which lesson", { try await platform.idToken(nonce: $0, custom: [:]) { $0[lti + "target_link_uri"] = .string("https://workbench.example/") } }),
            ("alg none", "RS256", { nonce in
                let payload = Data(#"{"iss":"\#(PlatformSimulator.issuer)","aud":"\#(PlatformSimulator.clientID)","nonce":"\#(nonce)"}"#.utf8)
                return PlatformSimulator.b64url(Data(#"{"alg":"none","kid":"simulator-key-1"}"#.utf8)) + "." + PlatformSimulator.b64url(payload) + "."
            }),
            ("not a JWT", "not a JWT", { _ in "garbage" }),
        ]
        for (name, says, make) in cases {
            let (state, nonce, _) = try await Self.login(server)
            let reply = try await Self.launch(server, token: try await make(nonce), state: state)
            #expect(reply.status == 403, "\(name): \(reply.status) \(reply.text)")
            #expect(reply.text.contains(says), "\(name): \(reply.text)")
            #expect(reply.headers["set-cookie"] == nil, "\(name)")
            #expect(reply.headers["content-type"]?.hasPrefix("text/html") == true, "\(name)")
        }
        // No state, an unknown state, no id_token.
        let (_, nonce, _) = try await Self.login(server)
        let token = try await platform.idToken(nonce: nonce)
        let noState = try await Self.launch(server, token: token, state: nil)
        #expect(noState.status == 400 && noState.headers["set-cookie"] == nil)
        let madeUp = try await Self.launch(server, token: token, state: "made-up-state-0123456789abcdefghijkl")
        #expect(madeUp.status == 403 && madeUp.headers["set-cookie"] == nil)
        let noToken = try await Self.launch(server, token: nil, state: try await Self.login(server).state)
        #expect(noToken.status == 400)
        // A login from a platform the course does not know.
        let unknown = try await server.request("GET", "/lti/login?" + FormEncoding.encode([("iss", "https://evil.example"), ("login_hint", "x"), ("target_link_uri", Self.lessonTarget)]))
        #expect(unknown.status == 403 && unknown.headers["location"] == nil)

        let stored = try Self.stored(server)
        #expect(stored.sessions == 0 && stored.lineItems == 0 && stored.attempts == 0, "\(stored)")
        #expect(platform.recorder.jwksFetches == 1, "an unknown kid refetches at most once a minute")
    }

    @Test("a JWKS given as a file (offline use): the launch is checked against it and nothing is fetched")
    func jwksFile() async throws {
        let platform = try await PlatformSimulator.start()
        defer { platform.stop() }
        let path = try Self.course(platform)
        let directory = (path as NSString).deletingLastPathComponent
        try platform.jwks.write(toFile: directory + "/platform-jwks.json", atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "jwks_url = \"\(platform.base)/jwks\"", with: "jwks_file = \"platform-jwks.json\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let server = try await CourseTests.start(path)
        let (state, nonce, _) = try await Self.login(server)
        let launched = try await Self.launch(server, token: try await platform.idToken(nonce: nonce), state: state)
        #expect(launched.status == 303 && launched.headers["location"] == "/exercises/1", "\(launched.text)")
        let second = try await Self.login(server)
        let unknownKid = try await Self.launch(server, token: try await platform.idToken(nonce: second.nonce, kid: "rotated-away"), state: second.state)
        #expect(unknownKid.status == 403 && unknownKid.text.contains("kid"))
        #expect(platform.recorder.jwksFetches == 0)
        // A JWKS file whose key is no RSA key of 2048 bits is refused at the door.
        try #"{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","n":"abc","e":"AQAB"}]}"#.write(toFile: directory + "/platform-jwks.json", atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try CourseFile(file: path) }
    }

    @Test("the course file's [lti] is checked at the door: the key's mode, unknown keys, addresses, one of jwks_url and jwks_file")
    func configuration() async throws {
        let platform = try await PlatformSimulator.start()
        defer { platform.stop() }
        let path = try Self.course(platform)
        let directory = (path as NSString).deletingLastPathComponent
        let good = try CourseFile(file: path)
        #expect(good.lti?.platforms.first?.clientID == PlatformSimulator.clientID)
        func failure(_ text: String) -> (what: String, location: (line: Int, column: Int)?)? {
            do { _ = try CourseFile(text: text, file: path); return nil } catch {
                return (error.what, error.location.map { ($0.line ?? 0, $0.column ?? 0) })
            }
        }
        let original = try String(contentsOfFile: path, encoding: .utf8)
        func line(of text: String, _ needle: String) -> Int {
            (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) } ?? -2) + 1
        }
        // A key others may read.
        chmod(directory + "/lti-key.pem", 0o644)
        let loose = failure(original)
        #expect(loose?.what.contains("chmod 600") == true && loose?.location?.line == line(of: original, "private_key"), "\(String(describing: loose))")
        chmod(directory + "/lti-key.pem", 0o600)
        // An unknown key, a plain http address elsewhere, both jwks keys, a wrong roster_id.
        let unknownKey = original + "\nclient_secret = \"x\"\n"
        #expect(failure(unknownKey)?.location?.line == line(of: unknownKey, "client_secret"))
        let http = original.replacingOccurrences(of: "token_url = \"\(platform.base)/token\"", with: "token_url = \"http://lms.example/token\"")
        #expect(failure(http)?.what.contains("https://") == true && failure(http)?.location?.line == line(of: http, "token_url"))
        let both = original + "\njwks_file = \"x.json\"\n"
        #expect(failure(both)?.what.contains("one of them") == true)
        let roster = original + "\nroster_id = \"email\"\n"
        #expect(failure(roster)?.location?.line == line(of: roster, "roster_id ="))
        // Several platforms: [[lti.platform]], the same one twice refused.
        let block = original.components(separatedBy: "[lti]\n")[1].replacingOccurrences(of: "private_key = \"lti-key.pem\"\n", with: "")
        let several = original.components(separatedBy: "[lti]\n")[0] + "[lti]\nprivate_key = \"lti-key.pem\"\n\n[[lti.platform]]\n" + block + "\n[[lti.platform]]\n" + block
        let twice = failure(several)
        let secondClientID = several.range(of: "client_id =", options: .backwards).map { several[..<$0.lowerBound].filter { $0 == "\n" }.count + 1 }
        #expect(twice?.what.contains("twice") == true && twice?.location?.line == secondClientID, "\(String(describing: twice))")
        let two = several.replacingOccurrences(of: "client_id = \"\(PlatformSimulator.clientID)\"\ndeployment_ids", with: "client_id = \"second\"\ndeployment_ids", options: [], range: several.range(of: "client_id = \"\(PlatformSimulator.clientID)\"\ndeployment_ids", options: .backwards))
        #expect(try CourseFile(text: two, file: path).lti?.platforms.map(\.clientID) == [PlatformSimulator.clientID, "second"])
    }
}

extension ISO8601DateFormatter {
    static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
