import Grading

/// The request bodies of every route that reads one, decoded and worked on as the server does,
/// without HTTP: the fuzzer's `api` surface (Fuzz/Sources/Fuzz.swift, docs/reliability.md) must
/// find no body that traps.
public enum RequestBodies {
    /// The routes with a body: `POST /api/trace`, `/api/check`, `/api/diagram`, `/api/exercises/1/answers`.
    public static let routes = ["trace", "check", "diagram", "answers"]

    /// Runs `body` as the body of `route` (one of `routes`); the HTTP status the server would answer.
    @discardableResult
    public static func handle(route: String, body: [UInt8], replyLimit: Int = RequestLimits.replyBytes) -> Int {
        switch route {
        case "trace": return Engine.withBody(body, as: TraceRequest.self) { Engine.trace($0, replyLimit: replyLimit) }.status
        case "check": return Engine.withBody(body, as: CheckRequest.self) { Engine.check($0, replyLimit: replyLimit) }.status
        case "diagram": return Engine.withBody(body, as: DiagramRequest.self) { Engine.diagram($0) }.status
        case "answers":
            // Decoded as the route decodes it, then read as the grader's submission (no grading: that
            // needs a lesson's exercise set, which the grading fuzz surface covers).
            switch API.decoded(AnswerRequest.self, from: body) {
            case .failure(let reply): return reply.status
            case .success(let request):
                _ = try? Submission(student: request.student, name: request.name, lesson: 1, answers: request.ordered, file: "fuzz")
                return 200
            }
        default: return 404
        }
    }
}
