import Foundation
import HTTPTypes
import Hummingbird
import LTI
import Support

// LTI 1.3, the tool side (docs/lti.md): `/lti/login` (OIDC third-party login initiation), `/lti/launch`
// (the platform's signed id_token), `/lti/jwks.json` (the tool's public key), and the teacher's view
// of the scores sent back (`/api/teacher/lti/scores`).

extension WorkbenchServer {
    func ltiRoutes(_ router: Router<ServerContext>, teacher: RouterGroup<ServerContext>) {
        router.get("/lti/jwks.json") { _, _ in
            guard let lti = self.lti else { return Self.noLTI.response }
            return Reply.json(bytes: lti.configuration.toolKey.jwks).response
        }
        router.get("/lti/login") { request, context in
            let query = String(request.uri.query ?? "")
            return self.ltiLogin(FormEncoding.decode(query), context)
        }
        router.post("/lti/login") { request, context in
            switch await self.body(request) {
            case .failure(let reply): return reply.response
            case .success(let bytes):
                // A login may come as a form POST with more fields in the query; the form's count.
                var fields = FormEncoding.decode(String(request.uri.query ?? "")) ?? [:]
                guard let form = FormEncoding.decode(String(decoding: bytes, as: UTF8.self)) else { return self.ltiLogin(nil, context) }
                fields.merge(form) { _, posted in posted }
                return self.ltiLogin(fields, context)
            }
        }
        router.post("/lti/launch") { request, context in
            switch await self.body(request) {
            case .failure(let reply): return reply.response
            case .success(let bytes): return await self.ltiLaunch(bytes, request, context)
            }
        }
        teacher.get("/lti/scores") { _, _ in
            guard let lti = self.lti else { return Self.noLTI.response }
            return API.reply(LTIScoresReply(scores: lti.scores.outcomes)).response
        }
        teacher.post("/lti/resend") { _, _ in
            // After the LMS was down: every remembered line item gets its student's score of now.
            guard let lti = self.lti else { return Self.noLTI.response }
            do {
                let items = try await lti.lineItems.lineItems()
                for item in items { lti.scores.enqueue(student: item.student, lesson: item.lesson) }
                return API.reply(LTIResendReply(queued: items.count)).response
            } catch {
                return Reply.error("the answer store failed: \(error)", exitStatus: 1, httpStatus: 500).response
            }
        }
    }

    static var noLTI: Reply {
        .error("this server has no LTI platform: add an [lti] table to the course file (docs/lti.md)", exitStatus: 2, httpStatus: 404)
    }

    /// A refusal as a page a person reads in the LMS's window, with the HTTP status.
    static func ltiRefusal(_ what: String, status: Int = 403) -> Reply {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Launch refused — Backprop Workbench</title></head>
            <body><h1>The Backprop Workbench did not open</h1><p>\(TerminalText.html(what))</p>
            <p>Nothing was stored and nobody was signed in. Open the activity again from your course; if this stays, show this page to your teacher.</p>
            </body></html>
            """
        var reply = Reply.text(html, type: "text/html; charset=utf-8", exitStatus: 2)
        reply.status = status
        return reply
    }

    /// `/lti/login`: checks the platform and answers with the redirect to its authorization endpoint,
    /// carrying a new `state` and `nonce`.
    func ltiLogin(_ fields: [String: String]?, _ context: ServerContext) -> Response {
        switch ltiRedirect(fields, client: context.client) {
        case .failure(let reply): return reply.response
        case .success(let location): return Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
        }
    }

    /// The address of the platform's authorization endpoint with the login's parameters, or the refusal.
    func ltiRedirect(_ fields: [String: String]?, client: String) -> Result<String, Reply> {
        guard let lti else { return .failure(Self.noLTI) }
        guard let fields else { return .failure(Self.ltiRefusal("the login request is not a valid form (bad percent-encoding, or a field twice)", status: 400)) }
        guard let issuer = fields["iss"], let hint = fields["login_hint"], let target = fields["target_link_uri"] else {
            return .failure(Self.ltiRefusal("the login request needs iss, login_hint and target_link_uri (OIDC third-party login initiation)", status: 400))
        }
        guard let platform = lti.configuration.platform(issuer: issuer, clientID: fields["client_id"]) else {
            return .failure(Self.ltiRefusal("no platform with issuer '\(issuer.prefix(200))'\(fields["client_id"].map { " and client_id '\($0.prefix(100))'" } ?? "") is configured in this course's [lti]"))
        }
        guard let targetURL = URLComponents(string: target), ["http", "https"].contains(targetURL.scheme ?? ""), let host = targetURL.host, !host.isEmpty else {
            return .failure(Self.ltiRefusal("target_link_uri must be an address of this tool", status: 400))
        }
        let base: String
        if let publicURL = options.publicURL.map({ $0.hasSuffix("/") ? String($0.dropLast()) : $0 }) {
            guard target == publicURL || target.hasPrefix(publicURL + "/") else {
                return .failure(Self.ltiRefusal("target_link_uri '\(target.prefix(200))' is not an address of this tool (\(publicURL))"))
            }
            base = publicURL
        } else {
            base = "\(targetURL.scheme!)://\(host)\(targetURL.port.map { ":\($0)" } ?? "")"
        }
        guard let (state, nonce) = lti.logins.start(platform: platform.key, target: target, client: client) else {
            return .failure(.error("too many LTI logins are pending (from \(client), or in all); try again in a few minutes", exitStatus: 1, httpStatus: 503))
        }
        var parameters = [("scope", "openid"), ("response_type", "id_token"), ("response_mode", "form_post"), ("prompt", "none"),
                          ("client_id", platform.clientID), ("redirect_uri", base + "/lti/launch"), ("login_hint", hint),
                          ("state", state), ("nonce", nonce)]
        if let message = fields["lti_message_hint"] { parameters.append(("lti_message_hint", message)) }
        let auth = platform.authURL.absoluteString
        return .success(auth + (auth.contains("?") ? "&" : "?") + FormEncoding.encode(parameters))
    }

    /// `/lti/launch`: the state is taken (once), the id_token verified, the user mapped to a roster
    /// student (a session, as `/join/CODE` starts) or a teacher, and the resource link to a lesson.
    func ltiLaunch(_ bytes: [UInt8], _ request: Request, _ context: ServerContext) async -> Response {
        guard let lti, let courseFile else { return Self.noLTI.response }
        guard let fields = FormEncoding.decode(String(decoding: bytes, as: UTF8.self)) else {
            return Self.ltiRefusal("the launch is not a valid form (bad percent-encoding, or a field twice)", status: 400).response
        }
        if let error = fields["error"] {
            return Self.ltiRefusal("the platform refused the login: \(error.prefix(100)) \(fields["error_description"]?.prefix(300) ?? "")").response
        }
        guard let state = fields["state"], !state.isEmpty else { return Self.ltiRefusal("the launch has no state", status: 400).response }
        guard let token = fields["id_token"], !token.isEmpty else { return Self.ltiRefusal("the launch has no id_token", status: 400).response }
        guard let login = lti.logins.take(state: state) else {
            return Self.ltiRefusal("this launch's state is unknown, used already or expired (a launch works once, within 10 minutes of its login)").response
        }
        let launch: Launch
        do { launch = try await lti.verifier.verify(idToken: token, login: login, states: lti.logins) } catch {
            return Self.ltiRefusal(error.what, status: error.status).response
        }
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        if launch.isTeacher {
            guard let session = lti.teachers.start(name: launch.name ?? launch.subject) else {
                return Reply.error("too many teacher sessions; try again later", exitStatus: 1, httpStatus: 503).response
            }
            var response = Response(status: .seeOther, headers: [.location: "/teacher", .cacheControl: "no-store"])
            response.setCookie(Cookie(name: TeacherSessions.cookieName, value: session, maxAge: Int(TeacherSessions.seconds), path: "/",
                                      secure: secure, httpOnly: true, sameSite: .strict))
            return response
        }
        guard let student = launch.rosterID else {
            return Self.ltiRefusal("\(launch.platform.name) did not say who you are on the class list (the launch has no \(Self.rosterClaim(launch.platform.rosterID)))").response
        }
        guard courseFile.student(student) != nil else {
            return Self.ltiRefusal("'\(student.prefix(100))' is not on this course's class list").response
        }
        guard let lesson = launch.lesson else {
            return Self.ltiRefusal("the activity does not say which lesson it is: give it the custom parameter lesson=N, or the address /exercises/N").response
        }
        guard courseFile.assignment(lesson) != nil else {
            return Self.ltiRefusal("lesson \(lesson) is not an assignment of this course").response
        }
        do {
            if let lineItem = launch.lineItem {
                try await lti.lineItems.rememberLineItem(RememberedLineItem(platform: launch.platform.key, lineItem: lineItem.absoluteString, userID: launch.subject),
                                                         student: student, lesson: lesson)
            } else if let container = launch.lineItems {
                try await lti.lineItems.rememberLineItem(RememberedLineItem(platform: launch.platform.key, lineItem: container.absoluteString, userID: launch.subject,
                                                                            container: true, resourceLink: launch.resourceLinkID),
                                                         student: student, lesson: lesson)
            }
            let session = try await SignIn.startSession(student: student, store: store)
            var response = Response(status: .seeOther, headers: [.location: "/exercises/\(lesson)", .cacheControl: "no-store"])
            response.setCookie(Cookie(name: SignIn.cookieName, value: session, maxAge: Int(SignIn.sessionSeconds), path: "/",
                                      secure: secure, httpOnly: true, sameSite: .strict))
            return response
        } catch {
            return Reply.error("the sign-in store failed: \(error)", exitStatus: 1, httpStatus: 500).response
        }
    }

    static func rosterClaim(_ source: LTIPlatform.RosterID) -> String {
        switch source {
        case .lis: return "lis person_sourcedid: the LMS must share the user's ID number / SIS id"
        case .custom: return "custom parameter roster_id"
        case .sub: return "sub"
        }
    }
}

/// `POST /api/teacher/lti/resend`: how many scores were queued again.
struct LTIResendReply: Encodable {
    let queued: Int
}

/// `GET /api/teacher/lti/scores`: the scores sent to the LMS, newest first (the last 500).
struct LTIScoresReply: Encodable {
    let scores: [ScoreOutcome]
}
