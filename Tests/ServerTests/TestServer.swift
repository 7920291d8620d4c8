import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Server

/// A server in this process, with its own data directory. By default its routes are driven without
/// a socket, through HummingbirdTesting (`app.test(.router)`: each request goes straight to the
/// router, with its middleware); `socket: true` binds an ephemeral port of 127.0.0.1 instead, for the
/// tests that need a real connection (idle and slow clients, the connection limit).
final class TestServer: Sendable {
    /// The server's address (socket mode only).
    let base: URL
    let token: String
    let dataDirectory: String
    let server: WorkbenchServer
    private let task: Task<Void, any Error>?

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Makes a server (lessons from the package's `lessons/`); with `socket`, starts it and waits until it listens.
    static func start(socket: Bool = false, _ configure: (inout ServeOptions) -> Void = { _ in }) async throws -> TestServer {
        setenv("BACKPROP_LESSONS", packageRoot.appendingPathComponent("lessons").path, 1)
        var options = ServeOptions()
        options.port = 0
        options.dataDirectory = try temporaryDirectory()
        options.clientRate = 0
        configure(&options)
        let server = try WorkbenchServer(options)
        guard socket else {
            return TestServer(base: URL(string: "http://in-process/")!, token: server.token, dataDirectory: options.dataDirectory, server: server, task: nil)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: ServeStart.self)
        let task = Task { try await server.run { continuation.yield($0); continuation.finish() } }
        var iterator = stream.makeAsyncIterator()
        guard let start = await iterator.next() else { throw TestFailure("the server did not start") }
        return TestServer(base: URL(string: start.url)!, token: start.teacherToken, dataDirectory: options.dataDirectory, server: server, task: task)
    }

    private init(base: URL, token: String, dataDirectory: String, server: WorkbenchServer, task: Task<Void, any Error>?) {
        self.base = base; self.token = token; self.dataDirectory = dataDirectory; self.server = server; self.task = task
    }

    /// Stops the server (as on SIGTERM: requests in flight finish) and waits for it.
    func stop() async {
        guard let task else { return }
        await server.stop()
        _ = try? await task.value
    }

    /// One request: `teacher` sends the teacher's token, `token` another Bearer token (a student's code).
    func request(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, contentType: String? = nil,
                 teacher: Bool = false, token: String? = nil, cookie: String? = nil, headers extra: [String: String] = [:]) async throws -> HTTPReply {
        let bearer = teacher ? self.token : token
        guard task == nil else {
            precondition(extra.isEmpty, "extra headers are sent in-process only")
            return try await HTTPReply.send(method, base.absoluteString + path.dropFirst(), json: json, body: body, contentType: contentType,
                                            token: bearer, cookie: cookie, followRedirects: false)
        }
        var headers = HTTPFields()
        var bytes = body
        if let json {
            bytes = try JSONSerialization.data(withJSONObject: json)
            headers[.contentType] = "application/json"
        }
        if let contentType { headers[.contentType] = contentType }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if let cookie { headers[.cookie] = cookie }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let app = Application(router: server.router())
        let (uri, verb, fields, buffer) = (String(path), HTTPRequest.Method(method)!, headers, bytes.map { ByteBuffer(bytes: $0) })
        return try await app.test(.router) { client in
            let response = try await client.execute(uri: uri, method: verb, headers: fields, body: buffer)
            var names: [String: String] = [:]
            for field in response.headers { names[field.name.canonicalName] = names[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value }
            return HTTPReply(status: Int(response.status.code), headers: names, body: Data(response.body.readableBytesView))
        }
    }
}

/// `backprop serve` as its own process, as the teacher runs it: for tests whose thread blocks on
/// something else (Chromium's DevTools pipe), which would hold one of the cooperative threads an
/// in-process server needs. Under AddressSanitizer, with every suite running at once, the in-process
/// server of the Chromium test got no thread for minutes and the test timed out (`make sanitize`).
struct ServerProcess {
    let base: URL
    let token: String
    let process: Process
    var data = ""

    /// `backprop serve --course FILE` (the teacher's token is then the course file's).
    static func start(course: String, token: String) throws -> ServerProcess {
        let data = try temporaryDirectory()
        let started = try Backprop.serve(data: data, tokenFile: nil, extra: ["--course", course])
        return ServerProcess(base: URL(string: started.url)!, token: token, process: started.process, data: data)
    }

    static func start(_ extra: [String] = []) throws -> ServerProcess {
        let data = try temporaryDirectory()
        let tokenFile = data + "-token"
        let token = "browser-teacher-token-0123456789"
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let started = try Backprop.serve(data: data, tokenFile: tokenFile, extra: extra)
        return ServerProcess(base: URL(string: started.url)!, token: token, process: started.process)
    }

    func request(_ method: String, _ path: String, teacher: Bool = false) async throws -> HTTPReply {
        try await HTTPReply.send(method, base.absoluteString + path.dropFirst(), token: teacher ? token : nil)
    }

    /// SIGTERM, and waits for the server to stop.
    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// One HTTP exchange's result.
struct HTTPReply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var exitStatus: String? { headers["backprop-exit-status"] }

    /// No cookie store (a test sends its cookies itself), and redirects followed only when asked.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration, delegate: Redirects(), delegateQueue: nil)
    }()

    final class Redirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(task.originalRequest?.value(forHTTPHeaderField: "X-Test-No-Redirect") == nil ? request : nil)
        }
    }

    static func send(_ method: String, _ url: String, json: Any? = nil, body: Data? = nil, contentType: String? = nil,
                     token: String? = nil, cookie: String? = nil, followRedirects: Bool = true) async throws -> HTTPReply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 120   // generous: a loaded 2-core CI machine builds and tests at once
        // No pooled connection: tests start and stop many servers, and a port the system hands out
        // again would otherwise meet a kept-alive socket of a server that is gone (reset by peer).
        request.setValue("close", forHTTPHeaderField: "Connection")
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        if !followRedirects { request.setValue("1", forHTTPHeaderField: "X-Test-No-Redirect") }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return HTTPReply(status: http.statusCode, headers: headers, body: data)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("serve-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs the built `backprop` (`.build/debug/backprop`, or `$BACKPROP_BIN`): what the API must agree with.
enum Backprop {
    static var binary: String {
        ProcessInfo.processInfo.environment["BACKPROP_BIN"] ?? TestServer.packageRoot.appendingPathComponent(".build/debug/backprop").path
    }

    /// Runs `backprop arguments…` in the package root and returns its exit status and standard output.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = TestServer.packageRoot
        let output = try temporaryDirectory() + "/stdout"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOfFile: output, encoding: .utf8))
    }

    /// Starts `backprop serve --port 0 …` as a separate process and reads its URL from the first line.
    static func serve(data: String, tokenFile: String?, extra: [String] = []) throws -> (process: Process, url: String, output: Pipe, start: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--data", data, "--client-rate", "0"] + (tokenFile.map { ["--teacher-token-file", $0] } ?? []) + extra
        process.currentDirectoryURL = TestServer.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard Date() < deadline, process.isRunning else { throw TestFailure("backprop serve did not start: \(text)") }
                usleep(20_000)
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let url = text.split(separator: "\n").first?.split(separator: " ").last else { throw TestFailure("no URL in: \(text)") }
        return (process, String(url), output, text)
    }
}
