import Foundation
import JWTKit

/// A verified LTI 1.3 resource link launch: who the platform says the user is, what they are in
/// the course, which resource link they came from and where to send their score.
public struct Launch: Sendable {
    public let platform: LTIPlatform
    /// The platform's user id (`sub`), the `userId` of the scores.
    public let subject: String
    /// The roster id as the platform's `roster_id` setting says (nil when the launch has none).
    public let rosterID: String?
    public let name: String?
    /// An Instructor or Administrator of the course (LIS roles below).
    public let isTeacher: Bool
    /// The lesson: the custom parameter `lesson`, or `/exercises/N` (`/lessons/N`) in the target link.
    public let lesson: Int?
    public let target: String?
    /// The line item to post scores to, when the launch carries the score scope.
    public let lineItem: URL?
    /// Without a line item of its own: the line items' container, when the launch carries the
    /// line item scope too (the tool then finds or makes the lesson's line item there).
    public let lineItems: URL?
    public let resourceLinkID: String?
    public let deploymentID: String

    /// The roles that make the user a teacher: the course's Instructor or Administrator, or an
    /// administrator of the institution or the system. Teaching assistants and learners are not.
    public static let teacherRoles: Set<String> = [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    ]
    static let scoreScope = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    static let lineItemScope = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"

    /// How far the clocks of the platform and the tool may differ.
    public static let leeway: TimeInterval = 60
    /// The oldest `iat` taken (a launch is posted the moment the platform signs it).
    public static let maximumAge: TimeInterval = 3600
}

/// Checks launches: the id_token's RS256 signature against the platform's key of its `kid`, then
/// `iss`, `aud` (and `azp`), `exp` and `iat` with `Launch.leeway`, the login's `nonce`, the deployment,
/// the message type and the LTI version. Any failure is an `LTIError` naming the check.
public final class LaunchVerifier: Sendable {
    let configuration: LTIConfiguration
    let keys: PlatformKeys

    public init(configuration: LTIConfiguration) {
        self.configuration = configuration
        keys = PlatformKeys(client: PlatformClient())
    }

    public func verify(idToken: String, login: LoginStates.Pending, states: LoginStates, now: Date = Date()) async throws(LTIError) -> Launch {
        guard let platform = configuration.platform(key: login.platform) else { throw LTIError("the login's platform is no longer configured") }
        let parts = idToken.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any] else {
            throw LTIError("the id_token is not a JWT (three base64url parts, a JSON header)")
        }
        guard header["alg"] as? String == "RS256" else {
            throw LTIError("the id_token is signed with '\(String(describing: header["alg"] ?? "no algorithm").prefix(20))'; LTI 1.3 launches are RS256")
        }
        guard let kid = header["kid"] as? String, !kid.isEmpty else { throw LTIError("the id_token's header has no 'kid'") }
        let key = try await keys.key(kid, of: platform, now: now)
        let token: LaunchToken
        do { token = try await key.verify(idToken, as: LaunchToken.self) } catch {
            throw LTIError("the id_token's signature does not verify with \(platform.name)'s key '\(kid.prefix(80))'")
        }
        guard token.iss == platform.issuer else {
            throw LTIError("the id_token's issuer '\(token.iss?.prefix(200) ?? "none")' is not \(platform.name)'s (\(platform.issuer))")
        }
        guard token.aud.contains(platform.clientID) else {
            throw LTIError("the id_token is not meant for this tool: its audience does not include the client id \(platform.clientID)")
        }
        if token.aud.count > 1 || token.azp != nil {
            guard token.azp == platform.clientID else {
                throw LTIError("the id_token has several audiences and its authorized party ('azp') is not the client id \(platform.clientID)")
            }
        }
        let instant = now.timeIntervalSince1970
        guard let exp = token.exp, instant < exp + Launch.leeway else { throw LTIError("the id_token has expired (or has no 'exp')") }
        guard let iat = token.iat, iat <= instant + Launch.leeway, iat >= instant - Launch.maximumAge else {
            throw LTIError("the id_token's issue time ('iat') is missing, in the future or more than an hour ago")
        }
        guard let nonce = token.nonce, states.matches(login, nonce: nonce) else {
            throw LTIError("the id_token's nonce is not the one of this login (a replayed or forged launch)")
        }
        guard let deployment = token.deploymentID, platform.deploymentIDs.contains(deployment) else {
            throw LTIError("deployment '\(token.deploymentID?.prefix(100) ?? "none")' of \(platform.name) is not one this course accepts (deployment_ids in the course file)")
        }
        guard token.messageType == "LtiResourceLinkRequest" else {
            throw LTIError("the launch is a '\(token.messageType?.prefix(60) ?? "none")' message; the tool takes LtiResourceLinkRequest")
        }
        guard token.version == "1.3.0" else { throw LTIError("the launch is LTI version '\(token.version?.prefix(20) ?? "none")'; the tool takes 1.3.0") }
        guard let subject = token.sub, !subject.isEmpty, subject.utf8.count <= 255 else {
            throw LTIError("the launch has no user ('sub'): anonymous launches cannot answer")
        }
        let rosterID: String?
        switch platform.rosterID {
        case .lis: rosterID = token.personSourcedID
        case .custom: rosterID = token.custom["roster_id"]
        case .sub: rosterID = subject
        }
        let target = token.targetLinkURI ?? login.target
        let scores = token.agsScopes.contains(Launch.scoreScope)
        let lineItem = scores ? token.lineItem.flatMap(URL.init(string:)) : nil
        let lineItems = scores && lineItem == nil && token.agsScopes.contains(Launch.lineItemScope) ? token.lineItems.flatMap(URL.init(string:)) : nil
        return Launch(platform: platform, subject: subject, rosterID: rosterID.flatMap { $0.isEmpty ? nil : $0 }, name: token.name,
                      isTeacher: !Launch.teacherRoles.isDisjoint(with: token.roles),
                      lesson: Self.lesson(custom: token.custom["lesson"], target: target), target: target,
                      lineItem: lineItem, lineItems: lineItems, resourceLinkID: token.resourceLinkID, deploymentID: deployment)
    }

    /// The lesson a launch opens: the custom parameter `lesson=N`, or the target link's `/exercises/N`
    /// or `/lessons/N` (a trailing `/sheet` or `/` allowed).
    static func lesson(custom: String?, target: String?) -> Int? {
        if let custom { return Int(custom.trimmingCharacters(in: .whitespaces)).flatMap { $0 > 0 ? $0 : nil } }
        guard let target, let path = URLComponents(string: target)?.path else { return nil }
        let parts = path.split(separator: "/")
        guard let index = parts.lastIndex(where: { $0 == "exercises" || $0 == "lessons" }), index + 1 < parts.count else { return nil }
        return Int(parts[index + 1]).flatMap { $0 > 0 ? $0 : nil }
    }
}
