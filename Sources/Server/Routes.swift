import Crypto
import Foundation
import Hummingbird
import NIOCore

// The routes: pages, the JSON API mirroring the CLI, the teacher's routes. docs/serve.md lists them.

extension WorkbenchServer {
    func routes(_ router: Router<ServerContext>) {
        // Pages (self-contained: no network beyond this server).
        router.get("/") { _, _ in Reply.text(Pages.playground, type: "text/html; charset=utf-8").response }
        router.get("/lessons") { _, _ in Reply.text(Pages.lessons, type: "text/html; charset=utf-8").response }
        router.get("/lessons/:n") { request, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            return await self.lessonReply(number, request, json: false).response
        }
        router.get("/exercises/:n") { _, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            if let problem = self.course.exerciseProblem(number) { return problem.response }
            return Reply.text(Pages.exercises, type: "text/html; charset=utf-8").response
        }
        router.get("/exercises/:n/sheet") { request, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            let student: String?
            switch await self.viewer(request, context) {
            case .failure(let reply): return reply.response
            case .success(let who): student = who
            }
            return await self.gate.run { self.course.sheetPage(number, student: student) }.response
        }
        router.get("/teacher") { _, _ in Reply.text(Pages.teacher, type: "text/html; charset=utf-8").response }

        // The JSON API: the CLI's commands.
        router.post("/api/trace") { request, context in
            await self.evaluate(request, context, as: TraceRequest.self) { [replyBytes = self.options.replyBytes] in Engine.trace($0, replyLimit: replyBytes) }
        }
        router.post("/api/check") { request, context in
            await self.evaluate(request, context, as: CheckRequest.self) { [replyBytes = self.options.replyBytes] in Engine.check($0, replyLimit: replyBytes) }
        }
        router.post("/api/diagram") { request, context in
            await self.evaluate(request, context, as: DiagramRequest.self) { Engine.diagram($0) }
        }
        router.get("/api/lessons") { _, _ in self.course.lessonList().response }
        router.get("/api/lessons/:n") { request, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            return await self.lessonReply(number, request, json: true).response
        }
        router.get("/api/exercises/:n") { request, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            let student: String?
            switch await self.viewer(request, context) {
            case .failure(let reply): return reply.response
            case .success(let who): student = who
            }
            return await self.gate.run { self.course.exerciseForm(number, student: student) }.response
        }
        router.post("/api/exercises/:n/answers") { request, context in
            guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context).response }
            return await self.answer(number, request, context).response
        }

        router.get("/api/me/attempts") { request, context in await self.ownAttempts(request, context).response }
        courseRoutes(router)
        accountRoutes(router)

        // The teacher's routes: `Authorization: Bearer TOKEN` (with a course, each teacher's own token).
        let teacher = router.group("/api/teacher").add(middleware: TeacherOnly(token: token, digests: courseFile?.teachers.map(\.tokenSHA256), ltiTeachers: lti?.teachers))
        ltiRoutes(router, teacher: teacher)
        teacherCourseRoutes(teacher)
        teacher.get("/lessons/:n/submissions") { request, context in
            await self.teacherReply(context) { number in try await self.submissions(number, request, context) }.response
        }
        teacher.get("/lessons/:n/stats") { _, context in
            await self.teacherReply(context) { number in try await self.statistics(number) }.response
        }
        teacher.get("/lessons/:n/gradebook.csv") { _, context in
            await self.teacherReply(context) { number in try await self.gradebook(number, csv: true) }.response
        }
        teacher.get("/lessons/:n/gradebook.json") { _, context in
            await self.teacherReply(context) { number in try await self.gradebook(number, csv: false) }.response
        }
        teacher.get("/lessons/:n/students/:student") { _, context in
            // The id as the page sends it, percent-encoded (`encodeURIComponent`): `@`, spaces, `+`, any letter.
            let raw = context.parameters.get("student") ?? ""
            guard let student = raw.removingPercentEncoding else {
                return Reply.error("'\(raw)' is not a percent-encoded student id", exitStatus: 2, httpStatus: 400).response
            }
            return await self.teacherReply(context) { number in try await self.feedback(number, student: student) }.response
        }
    }

    /// The most attempts one page of `submissions` lists.
    static let pageLimit = 1000

    static func badNumber(_ context: ServerContext) -> Reply {
        .error("'\(context.parameters.get("n") ?? "")' is not a lesson number; the lessons are listed at GET /api/lessons")
    }


    /// Reads the body (at most 64 kB), then decodes it as `T` and runs `work` on it through the gate.
    /// Once it has a worker thread, the work holds from the memory budget the most a program may use,
    /// until it ends.
    func evaluate<T: Decodable & Sendable>(_ request: Request, _ context: ServerContext, as type: T.Type,
                                _ work: @escaping @Sendable (T) -> Reply) async -> Response {
        switch await body(request) {
        case .failure(let reply): return reply.response
        case .success(let bytes):
            let budget = self.budget, cost = MemoryBudget.evaluationBytes(replyLimit: options.replyBytes)
            return await gate.run(cancelling: true) {
                guard let held = budget.reserve(cost) else { return budget.refusal(cost, for: "a program") }
                defer { held.release() }
                return Engine.withBody(bytes, as: T.self, work)
            }.response
        }
    }

    /// The request body, or a JSON error when it is over the limit.
    func body(_ request: Request) async -> Result<[UInt8], Reply> {
        do {
            var buffer = try await request.body.collect(upTo: RequestLimits.bodyBytes)
            return .success(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch {
            return .failure(.error("request body: larger than the limit of \(RequestLimits.bodyBytes / 1024) kB", exitStatus: 2, httpStatus: 413))
        }
    }

    /// `POST /api/exercises/N/answers`: graded by `backprop grade`'s grader, stored, then acknowledged.
    /// With a course: who is signed in, the assignment, its due time and attempts are checked first
    /// (401, 403, 409, nothing stored), and the engine's figures are held back as `reveal` says.
    func answer(_ number: Int, _ request: Request, _ context: ServerContext) async -> Reply {
        var admission: Admission? = nil
        if courseFile != nil {
            switch await admit(number, request, context) {
            case .failure(let reply): return reply
            case .success(let admitted): admission = admitted
            }
        }
        let bytes: [UInt8]
        switch await body(request) {
        case .failure(let reply): return reply
        case .success(let read): bytes = read
        }
        let answers: Answers
        if request.headers[.contentType]?.lowercased().hasPrefix("application/toml") == true {
            answers = .file(String(decoding: bytes, as: UTF8.self))
        } else {
            var typed: AnswerRequest
            switch API.decoded(AnswerRequest.self, from: bytes) {
            case .success(let request): typed = request
            case .failure(let reply): return reply
            }
            if let admission {
                switch ownAnswers(typed, student: admission.student) {
                case .failure(let reply): return reply
                case .success(let own): typed = own
                }
            }
            answers = .typed(typed)
        }
        let file = "lesson \(number) answers"
        let graded: Course.Graded
        let course = self.course
        let reveal = admission?.reveal ?? true
        let student = admission?.student
        switch await gate.result({ course.grade(number, answers, file: file, reveal: reveal, student: student) }) {
        case .failure(let reply), .success(.failure(let reply)): return reply
        case .success(.success(let value)): graded = value
        }
        if let admission, graded.student != admission.student {
            // An answer file (application/toml) must name the signed-in student itself.
            return .error("you are signed in as '\(admission.student)': the answer file must say student = \"\(admission.student)\"; nothing was stored", exitStatus: 2, httpStatus: 403)
        }
        let id: Int64
        do {
            guard let stored = try await store.record(NewAttempt(lesson: number, client: context.client, answers: answers, graded: graded,
                                                                 late: admission?.late ?? false),
                                                      maxAttempts: admission?.assignment.attempts) else {
                return Self.attemptsUsed(number, admission?.assignment.attempts ?? 0)
            }
            id = stored
        } catch {
            return .error("the answers were graded but could not be stored (\(error)); nothing was acknowledged, send them again", exitStatus: 1, httpStatus: 500)
        }
        if let rejection = graded.rejection {
            return .error("\(file): \(rejection)", exitStatus: 2, attempt: id)
        }
        if let admission { lti?.scores.enqueue(student: admission.student, lesson: number) }   // to the LMS, after the reply's attempt is stored
        return Course.attemptReply(id, graded, late: admission?.late ?? false)
    }

    // MARK: - The teacher's routes

    func teacherReply(_ context: ServerContext, _ work: (Int) async throws -> Reply) async -> Reply {
        guard let number = context.parameters.get("n", as: Int.self) else { return Self.badNumber(context) }
        if let problem = course.exerciseProblem(number) { return problem }
        do { return try await work(number) } catch { return .error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500) }
    }

    /// The attempts at the lesson, newest first, a page at a time: `?before=ID` continues after a
    /// page (its `next`), `?after=ID` keeps the newer ones only, `?limit=N` (1 to 1,000; 500).
    func submissions(_ number: Int, _ request: Request, _ context: ServerContext) async throws -> Reply {
        let refusal = Reply.error("submissions: use ?before=ID, ?after=ID (attempt numbers) and ?limit=N (1 to \(Self.pageLimit))")
        guard let query = try? request.uri.decodeQuery(as: SubmissionsQuery.self, context: context) else { return refusal }
        let (limit, after, before) = (query.limit ?? 500, query.after ?? 0, query.before ?? Int64.max)
        guard (1...Self.pageLimit).contains(limit), after >= 0, before >= 0 else { return refusal }
        let page = try await store.newest(lesson: number, after: after, before: before, limit: limit + 1)
        let attempts = page.prefix(limit)
        let formatter = ISO8601DateFormatter()
        let rows = attempts.map { attempt in
            SubmissionsPage.Row(attempt: attempt.id, received: formatter.string(from: attempt.received), student: attempt.student,
                                name: attempt.name, points: attempt.points, maxPoints: attempt.maxPoints, client: attempt.client,
                                rejection: attempt.rejection)
        }
        return API.reply(SubmissionsPage(lesson: number, submissions: rows, next: page.count > limit ? attempts.last?.id : nil))
    }

    /// Per exercise: students right now (their latest attempts), and over all attempts how often
    /// it was right and the commonest wrong answers and mistakes, from the grades stored with the
    /// attempts (a stored grade that cannot be read is the store's failure: 500).
    func statistics(_ number: Int) async throws -> Reply {
        let ids = course.exerciseIDs(number)
        let all = try await store.attempts(lesson: number, limit: 1_000_000)
        let latest = try await counted(number)
        struct Tally { var attempts = 0, right = 0, studentsRight = 0; var wrong: [String: Int] = [:]; var mistakes: [String: Int] = [:] }
        var tallies = Dictionary(uniqueKeysWithValues: ids.map { ($0, Tally()) })
        let decoder = JSONDecoder()
        func exercises(_ attempt: StoredAttempt) throws -> [StoredGrade.Exercise] {
            guard attempt.rejection == nil else { return [] }
            return try decoder.decode(StoredGrade.self, from: Data(attempt.grade.utf8)).exercises
        }
        for attempt in all {
            for exercise in try exercises(attempt) where tallies[exercise.id] != nil && exercise.verdict != "missing" {
                tallies[exercise.id]!.attempts += 1
                if exercise.verdict == "right" { tallies[exercise.id]!.right += 1; continue }
                if let given = exercise.given { tallies[exercise.id]!.wrong[given, default: 0] += 1 }
                if let mistake = exercise.mistake { tallies[exercise.id]!.mistakes[mistake, default: 0] += 1 }
            }
        }
        for attempt in latest {
            for exercise in try exercises(attempt) where exercise.verdict == "right" && tallies[exercise.id] != nil {
                tallies[exercise.id]!.studentsRight += 1
            }
        }
        func top(_ counts: [String: Int]) -> [(key: String, value: Int)] {
            Array(counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(5))
        }
        let rows = ids.map { id in
            let tally = tallies[id]!
            return LessonStatistics.Exercise(
                id: id, answers: tally.attempts, right: tally.right, studentsRight: tally.studentsRight,
                commonWrongAnswers: top(tally.wrong).map { .init(answer: $0.key, mistake: nil, count: $0.value) },
                commonMistakes: top(tally.mistakes).map { .init(answer: nil, mistake: $0.key, count: $0.value) })
        }
        return API.reply(LessonStatistics(lesson: number, students: latest.count, attempts: all.count, exercises: rows))
    }

    /// The gradebook of each student's latest attempt (best, with a course whose assignment counts
    /// the best), in `backprop grade`'s CSV or JSON.
    func gradebook(_ number: Int, csv: Bool) async throws -> Reply {
        let attempts = try await counted(number).map { (id: $0.id, student: $0.student, answers: try $0.answers()) }
        let course = self.course
        return await gate.run { course.gradebook(number, attempts: attempts, csv: csv) }
    }

    /// One student's attempts and the feedback of the latest, as `backprop grade` reports it.
    func feedback(_ number: Int, student: String) async throws -> Reply {
        let attempts = try await store.attempts(lesson: number, student: student)
        guard let last = attempts.last else {
            return .error("no attempt by student '\(student)' at lesson \(number)", exitStatus: 2, httpStatus: 404)
        }
        let course = self.course, answers = try last.answers()
        return await gate.run {
            switch course.teacherGrade(number, id: last.id, student: last.student, answers: answers) {
            case .failure(let reply): return reply
            case .success(let grade):
                let text: String
                switch answers {
                case .file(let file): text = file
                case .typed(let request): text = AnswerFile.toml(request, lesson: number)
                }
                return Course.feedbackReply(student: student, attempts: attempts.count, latest: last.id, answers: text, grade)
            }
        }
    }

}

/// The teacher's routes need `Authorization: Bearer TOKEN` (compared in constant time); with a
/// course, a token whose SHA-256 is one of the course file's teachers'.
struct TeacherOnly: RouterMiddleware {
    typealias Context = ServerContext
    let token: String
    let digests: [[UInt8]]?
    /// Teachers signed in by an LTI launch (cookie `backprop_teacher`), with a course's `[lti]`.
    var ltiTeachers: TeacherSessions? = nil

    /// Whether `request` carries a teacher's token (`Authorization: Bearer TOKEN`), or an LTI
    /// teacher's session cookie.
    static func allows(_ request: Request, token: String, digests: [[UInt8]]?, ltiTeachers: TeacherSessions? = nil) -> Bool {
        let given = request.headers[.authorization].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : "" } ?? ""
        var allowed: Bool
        if let digests {
            let hash = Array(SHA256.hash(data: Array(given.utf8)))
            var any = false
            for digest in digests where TeacherOnly.same(hash, digest) { any = true }   // every one compared
            allowed = any
        } else {
            allowed = TeacherOnly.same(Array(given.utf8), Array(token.utf8))
        }
        if !allowed, let ltiTeachers, let session = request.cookies[TeacherSessions.cookieName]?.value, ltiTeachers.teacher(session) != nil {
            allowed = true
        }
        return allowed
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard Self.allows(request, token: token, digests: digests, ltiTeachers: ltiTeachers) else {
            var response = Reply.error(digests == nil ? "the teacher's routes need the token printed when the server started: send 'Authorization: Bearer TOKEN'"
                                                      : "the teacher's routes need your own teacher token (its SHA-256 is in the course file): send 'Authorization: Bearer TOKEN'",
                                       exitStatus: 2, httpStatus: 401).response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count { difference |= (index < a.count ? a[index] : 0) ^ b[index] }
        return difference == 0
    }
}
