import Foundation
import HTTPTypes
import Hummingbird

// Signing out, and the check that keeps another site's page from signing a student in or out
// (docs/serve.md, "Signing in"). The session cookie is SameSite=Strict, so a request another site
// starts carries no session; a cross-site POST could still carry a code of the attacker's own to
// /api/sign-in (login CSRF), which the Origin check below refuses.

extension WorkbenchServer {
    func accountRoutes(_ router: Router<ServerContext>) {
        router.post("/api/sign-out") { request, _ in
            if let refusal = Self.crossSite(request) { return refusal.response }
            if let session = request.cookies[SignIn.cookieName]?.value, (16...128).contains(session.utf8.count) {
                do { try await self.store.endSession(idSHA256: SignIn.digest(session)) } catch {
                    return Reply.error("the sign-in store failed: \(error)", exitStatus: 1, httpStatus: 500).response
                }
            }
            var response = API.reply(SignOutReply(signedOut: true)).response
            response.setCookie(Cookie(name: SignIn.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// 403 when the request's `Origin` is another site than the one it was sent to (`Host`); nil when it
    /// is this site or absent (scripts, curl and same-origin GETs send none).
    static func crossSite(_ request: Request) -> Reply? {
        guard let origin = request.headers[.origin] else { return nil }
        let host = request.head.authority ?? ""
        let originHost = origin.range(of: "://").map { String(origin[$0.upperBound...]) } ?? origin
        guard !host.isEmpty, originHost.lowercased() == host.lowercased() else {
            return .error("a request from another site (Origin: \(origin)) may not sign in or out here", exitStatus: 2, httpStatus: 403)
        }
        return nil
    }
}

struct SignOutReply: Codable, Sendable { let signedOut: Bool }
