import Foundation

/// A lesson's line item in a platform's line item container (AGS 2.0 §3.2), for launches that carry
/// the container (`lineitems`) but no line item of their own: the one tagged `backprop-lesson-N`
/// (and of the launch's resource link, when it has one), made when there is none.
struct LineItems: Sendable {
    let client: PlatformClient
    let bearer: @Sendable (LTIPlatform, [String]) async throws(LTIError) -> String

    static func tag(_ lesson: Int) -> String { "backprop-lesson-\(lesson)" }

    func find(in container: URL, resourceLinkID: String?, lesson: Int, maximum: Double, platform: LTIPlatform) async throws(LTIError) -> URL {
        let token = try await bearer(platform, [Launch.lineItemScope, Launch.scoreScope])
        var query = [URLQueryItem(name: "tag", value: Self.tag(lesson))]
        if let resourceLinkID { query.append(URLQueryItem(name: "resource_link_id", value: resourceLinkID)) }
        guard var components = URLComponents(url: container, resolvingAgainstBaseURL: false) else {
            throw LTIError("the line items' address \(container) is not a URL", status: 502)
        }
        components.queryItems = (components.queryItems ?? []) + query
        guard let search = components.url else { throw LTIError("the line items' address \(container) is not a URL", status: 502) }

        struct Item: Codable { var id: String?; var label: String?; var scoreMaximum: Double?; var tag: String?; var resourceLinkId: String? }
        let listed: PlatformClient.Reply
        do { listed = try await client.get(search, accept: "application/vnd.ims.lis.v2.lineitemcontainer+json", bearer: token) } catch {
            throw LTIError("\(platform.name)'s line items could not be reached: \(error)", status: 502)
        }
        guard listed.status == 200, let items = try? JSONDecoder().decode([Item].self, from: Data(listed.body)) else {
            throw LTIError("\(platform.name)'s line items answered HTTP \(listed.status): \(listed.text)", status: 502)
        }
        if let item = items.first(where: { $0.tag == Self.tag(lesson) && (resourceLinkID == nil || $0.resourceLinkId == resourceLinkID) }),
           let id = item.id, let url = URL(string: id) {
            return url
        }
        let new = Item(id: nil, label: "Backprop Workbench, lesson \(lesson)", scoreMaximum: maximum, tag: Self.tag(lesson), resourceLinkId: resourceLinkID)
        let body: [UInt8]
        do { body = Array(try JSONEncoder().encode(new)) } catch { throw LTIError("the line item could not be written: \(error)", status: 500) }
        let made: PlatformClient.Reply
        do { made = try await client.postJSON(container, body, contentType: "application/vnd.ims.lis.v2.lineitem+json", bearer: token) } catch {
            throw LTIError("\(platform.name)'s line items could not be reached: \(error)", status: 502)
        }
        guard (200..<300).contains(made.status), let item = try? JSONDecoder().decode(Item.self, from: Data(made.body)),
              let id = item.id, let url = URL(string: id) else {
            throw LTIError("\(platform.name) did not make the line item: HTTP \(made.status): \(made.text)", status: 502)
        }
        return url
    }
}
