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
        case "trace": return Engine.withBody(body) { Engine.trace($0, replyLimit: replyLimit) }.status
        case "check": return Engine.withBody(body) { Engine.check($0, replyLimit: replyLimit) }.status
        case "diagram": return Engine.withBody(body) { Engine.diagram($0) }.status
        case "answers":
            do { _ = try AnswerFile.toml(fromJSON: body, lesson: 1); return 200 } catch { return 400 }
        default: return 404
        }
    }
}
