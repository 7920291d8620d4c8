import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// With `--course`: sign-in (`GET /join/CODE`, `POST /api/sign-in`, `GET /api/me`) and who may answer
// what, when. docs/serve.md, "A course".

extension WorkbenchServer {
    func courseRoutes(_ router: Router<ServerContext>) {
        router.get("/join/:code") { request, context in
            let code = context.parameters.get("code") ?? ""
            switch await self.signIn(code: code, request, context) {
            case .failure(let reply): return reply.response
            case .success(let (_, cookie)):
                var response = Response(status: .seeOther, headers: [.location: "/lessons", .cacheControl: "no-store"])
                response.setCookie(cookie)
                return response
            }
        }
        router.post("/api/sign-in") { request, context in
            if let refusal = Self.crossSite(request) { return refusal.response }
            let bytes: [UInt8]
            switch await self.body(request) {
            case .failure(let reply): return reply.response
            case .success(let read): bytes = read
            }
            let code: String
            switch API.decoded(SignInRequest.self, from: bytes) {
            case .success(let request): code = request.code
            case .failure(let reply): return reply.response
            }
            switch await self.signIn(code: code, request, context) {
            case .failure(let reply): return reply.response
            case .success(let (student, cookie)):
                var response = self.me(student).response
                response.setCookie(cookie)
                return response
            }
        }
        router.get("/api/me") { request, context in
            // Without a course: 200 with no course and no student (a page asks this without failing).
            guard self.courseFile != nil else { return API.reply(MeReply(course: nil, student: nil, name: nil, assignments: nil)).response }
            switch await self.signedIn(request, context) {
            case .failure(let reply): return reply.response
            case .success(nil): return Self.notSignedIn.response
            case .success(let student?): return self.me(student).response
            }
        }
    }

    static var notSignedIn: Reply {
        .error("sign in first: open the /join/CODE link your teacher gave you, or send 'Authorization: Bearer CODE'", exitStatus: 2, httpStatus: 401)
    }

    /// Who is signed in and the course's assignments (the policy a student may know).
    func me(_ student: String) -> Reply {
        guard let courseFile else { return .error("no course", exitStatus: 2, httpStatus: 404) }
        let formatter = ISO8601DateFormatter()
        let assignments = courseFile.assignments.map { assignment in
            MeReply.Assignment(lesson: assignment.lesson, due: assignment.due.map { formatter.string(from: $0) }, attempts: assignment.attempts,
                               counts: assignment.counts.rawValue, reveal: assignment.reveal.rawValue,
                               lateUntil: assignment.lateUntil.map { formatter.string(from: $0) })
        }
        return API.reply(MeReply(course: courseFile.name, student: student, name: courseFile.student(student)?.name, assignments: assignments))
    }

    /// Checks a code (rate-limited per address; a failure costs more) and starts a session.
    func signIn(code: String, _ request: Request, _ context: ServerContext) async -> Result<(String, Cookie), Reply> {
        guard courseFile != nil else {
            return .failure(.error("this server has no course (backprop serve --course FILE): there is nothing to sign in to", exitStatus: 2, httpStatus: 404))
        }
        guard signInLimiter.allow(context.client) else { return .failure(signInRefusal(context)) }
        do {
            guard let student = try await SignIn.student(code: code, store: store) else {
                signInLimiter.spend(context.client, options.signInFailureCost)
                return .failure(.error("this sign-in code is not valid (mistyped, or replaced by a new one): ask your teacher", exitStatus: 2, httpStatus: 401))
            }
            let session = try await SignIn.startSession(student: student, store: store)
            let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
            let cookie = Cookie(name: SignIn.cookieName, value: session, maxAge: Int(SignIn.sessionSeconds), path: "/",
                                secure: secure, httpOnly: true, sameSite: .strict)
            return .success((student, cookie))
        } catch {
            return .failure(.error("the sign-in store failed: \(error)", exitStatus: 1, httpStatus: 500))
        }
    }

    func signInRefusal(_ context: ServerContext) -> Reply {
        .error("too many sign-in attempts from \(context.client); wait a minute and try again", exitStatus: 1, httpStatus: 429)
    }

    /// The signed-in student: from `Authorization: Bearer CODE` (a sign-in attempt: rate-limited) or the
    /// session cookie; nil when neither is there. A wrong code is 401; too many, 429.
    func signedIn(_ request: Request, _ context: ServerContext) async -> Result<String?, Reply> {
        do {
            if let header = request.headers[.authorization] {
                guard header.hasPrefix("Bearer ") else { return .failure(.error("Authorization: use 'Bearer CODE' with your sign-in code", exitStatus: 2, httpStatus: 401)) }
                // A right code costs nothing here (scripts send it with every request); a wrong one costs as at sign-in.
                guard signInLimiter.allow(context.client, cost: 0) else { return .failure(signInRefusal(context)) }
                guard let student = try await SignIn.student(code: String(header.dropFirst(7)), store: store) else {
                    signInLimiter.spend(context.client, options.signInFailureCost)
                    return .failure(.error("this sign-in code is not valid (mistyped, or replaced by a new one): ask your teacher", exitStatus: 2, httpStatus: 401))
                }
                return .success(student)
            }
            if let session = request.cookies[SignIn.cookieName]?.value {
                return .success(try await SignIn.student(session: session, store: store))
            }
            return .success(nil)
        } catch {
            return .failure(.error("the sign-in store failed: \(error)", exitStatus: 1, httpStatus: 500))
        }
    }

    /// Whose exercises a page or form shows: the signed-in student (their own variant), nil without a
    /// course or a session (the notes' numbers). A wrong Bearer code is refused as at sign-in.
    func viewer(_ request: Request, _ context: ServerContext) async -> Result<String?, Reply> {
        guard courseFile != nil else { return .success(nil) }
        return await signedIn(request, context)
    }

    /// With a course: the answer's student, the assignment and whether figures may be shown, all
    /// checked before any grading; the JSON body rewritten to name the signed-in student.
    struct Admission { let student: String; let assignment: CourseFile.Assignment; let reveal: Bool; var late = false }

    func admit(_ number: Int, _ request: Request, _ context: ServerContext) async -> Result<Admission, Reply> {
        guard let courseFile else { return .failure(.error("no course")) }
        guard let assignment = courseFile.assignment(number) else {
            let lessons = courseFile.assignments.map { String($0.lesson) }.joined(separator: ", ")
            return .failure(.error("lesson \(number) is not an assignment of this course; answers are taken for lessons \(lessons)", exitStatus: 2, httpStatus: 403))
        }
        let student: String
        switch await signedIn(request, context) {
        case .failure(let reply): return .failure(reply)
        case .success(nil): return .failure(Self.notSignedIn)
        case .success(let who?): student = who
        }
        let now = Date()
        if let due = assignment.due, !assignment.isOpen(at: now) {
            let late = assignment.lateUntil.map { "; late answers were taken until \(ISO8601DateFormatter().string(from: $0))" } ?? ""
            return .failure(.error("lesson \(number) was due at \(ISO8601DateFormatter().string(from: due))\(late); answers are no longer taken", exitStatus: 2, httpStatus: 409))
        }
        if let limit = assignment.attempts {
            do {
                if try await store.gradedAttempts(lesson: number, student: student) >= limit {
                    return .failure(Self.attemptsUsed(number, limit))
                }
            } catch { return .failure(.error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500)) }
        }
        return .success(Admission(student: student, assignment: assignment, reveal: assignment.reveals(at: now), late: assignment.isLate(at: now)))
    }

    static func attemptsUsed(_ number: Int, _ limit: Int) -> Reply {
        .error("lesson \(number): all \(limit) attempt\(limit == 1 ? "" : "s") are used; nothing was stored", exitStatus: 2, httpStatus: 409)
    }

    /// JSON answers with their `student` checked against the signed-in one (403 when another) and
    /// set to it, and the name set from the roster.
    func ownAnswers(_ answers: AnswerRequest, student: String) -> Result<AnswerRequest, Reply> {
        if let named = answers.student, named != student {
            return .failure(.error("you are signed in as '\(student)' and may answer only as yourself; nothing was stored", exitStatus: 2, httpStatus: 403))
        }
        var own = answers
        own.student = student
        own.name = courseFile?.student(student)?.name
        return .success(own)
    }
}
