import Autograd
import Foundation
import Grading
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// How `backprop serve` is set up.
public struct ServeOptions: Sendable {
    /// The address to bind: 127.0.0.1 unless the teacher says otherwise.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (tests).
    public var port = 8080
    /// Where the SQLite file of answer attempts lives.
    public var dataDirectory = "backprop-data"
    /// The teacher's token; nil: a random one, printed at start. Not used with a course: each
    /// teacher then has a token of their own, its SHA-256 in the course file.
    public var teacherToken: String?
    /// `--course FILE`: students sign in with codes and answer under the course's policy; nil: the
    /// open playground, where answers are practice (docs/serve.md).
    public var courseFile: String?
    /// The address students are given in `sign-in.csv`'s links (`/join/CODE` after it); nil: the link is the path only.
    public var publicURL: String?
    /// Sign-in attempts per client address: a burst of `signInBurst`, refilled at `signInRate` a second;
    /// a failed one costs `signInFailureCost`.
    public var signInRate = 0.2
    public var signInBurst = 40.0
    public var signInFailureCost = 4.0
    /// Requests per second per client address (0: no limit).
    public var clientRate = 100.0
    /// Evaluations running or waiting at once, beyond which requests get 503.
    public var evaluations = 512
    /// How long one evaluation may take before the request is answered with 503.
    public var deadline: Duration = .seconds(2)
    /// How long a connection may stay without a complete request head (idle between requests, or
    /// sending its header slowly): Hummingbird's idle timeout, from the connection's start or its last reply.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a request's body may take to arrive, from its head.
    public var bodyTimeout: Duration = .seconds(30)
    /// How long a reply may take to be written to a client that reads slowly, from its head.
    public var writeTimeout: Duration = .seconds(60)
    /// Connections served at once; at the limit a new one replaces the one idle the longest, or is
    /// closed at once if all are busy. nil: the soft limit of open files (raised to the hard limit
    /// at start) less a reserve (`FileLimit`).
    public var connections: Int?
    /// The largest reply, in bytes; a larger one is refused with 413 and its size.
    public var replyBytes = 16 << 20
    /// The bytes all requests may hold at once; a request that would pass it gets 503. nil: half the
    /// machine's memory, between 512 MiB and 8 GiB.
    public var memoryBudget: Int?

    public init() {}
}

/// What the server says once it listens: for the start-up lines and for tests.
public struct ServeStart: Sendable {
    /// `http://127.0.0.1:8080/`.
    public let url: String
    public let port: Int
    /// The SQLite file.
    public let dataFile: String
    public let storedAttempts: Int
    public let teacherToken: String
    public let lessons: Int
    /// The course's name and how many sign-in codes were issued at this start (nil: no course).
    public let course: String?
    public let issuedCodes: Int
    /// `DATA/sign-in.csv` (with a course).
    public let signInFile: String?
    /// The names of the LTI platforms of the course file's `[lti]` (empty without).
    public var ltiPlatforms: [String] = []
}

/// `backprop serve`: the playground, the lessons, the exercises and the teacher's view, on
/// Hummingbird 2, every answer attempt stored through `AttemptStore` (SQLite, WAL).
///
/// ```swift
/// let server = try WorkbenchServer(options)
/// try await server.run { start in print("listening on \(start.url)") }   // until SIGINT/SIGTERM
/// ```
public final class WorkbenchServer: Sendable {
    let options: ServeOptions
    let course: Course
    let store: any AttemptStore
    let gate: EvaluationGate
    let limiter: ClientLimiter
    let budget: MemoryBudget
    let token: String
    /// With `--course`: the course file, the sign-in rate limit, the codes issued at this start.
    let courseFile: CourseFile?
    let signInLimiter: ClientLimiter
    let issuedCodes: Int
    /// With a course file's `[lti]`: the LTI 1.3 tool (LTITool.swift, docs/lti.md).
    let lti: LTITool?
    /// The connections being served (set when the server starts: the file limit is read then).
    let connections = Locked<ConnectionCounter?>(nil)
    private let group = Locked<ServiceGroup?>(nil)

    /// Loads the lessons and opens the store. Throws `ServerFailure` (one line) if either is unusable.
    public init(_ options: ServeOptions) throws(ServerFailure) {
        self.options = options
        do { course = try Course() } catch { throw ServerFailure(error) }
        store = try SQLiteStore(directory: options.dataDirectory)
        gate = EvaluationGate(capacity: options.evaluations, deadline: options.deadline)
        limiter = ClientLimiter(rate: options.clientRate)
        budget = MemoryBudget(capacity: options.memoryBudget ?? MemoryBudget.defaultCapacity)
        token = options.teacherToken ?? WorkbenchServer.randomToken()
        signInLimiter = ClientLimiter(rate: options.signInRate, burst: options.signInBurst)
        if let file = options.courseFile {
            let loaded: CourseFile
            do { loaded = try CourseFile(file: file) } catch { throw ServerFailure(error) }
            for assignment in loaded.assignments {
                do { _ = try course.exercises(assignment.lesson) } catch {
                    throw ServerFailure("\(file): [[assignment]] lesson \(assignment.lesson): \(error.what)")
                }
            }
            // The students' variants: the secret file is made (0600) at the first start when missing.
            let variants: CourseVariants?
            do { variants = try loaded.variants(create: true) } catch { throw ServerFailure(error) }
            course.variants.withLock { $0 = variants }
            courseFile = loaded
            if let configuration = loaded.lti { lti = try LTITool(configuration, course: loaded, store: store) } else { lti = nil }
            issuedCodes = try SignIn.issue(loaded, store: store, directory: options.dataDirectory, baseURL: options.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }).count
        } else {
            courseFile = nil
            lti = nil
            issuedCodes = 0
        }
    }

    /// 24 random bytes as URL-safe base64 (32 characters).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Serves until SIGINT or SIGTERM (or the task is cancelled), then stops accepting, lets the
    /// requests in flight finish and returns. `started` is called once the port is bound.
    public func run(started: @escaping @Sendable (ServeStart) -> Void) async throws {
        Kernels.tuneAllocatorForServing()
        let router = self.router()
        let files = FileLimit.raise()
        let counter = ConnectionCounter(limit: options.connections ?? FileLimit.connections(files: files))
        connections.withLock { $0 = counter }
        let (bodyTimeout, writeTimeout) = (options.bodyTimeout, options.writeTimeout)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDeadlines(body: bodyTimeout, write: writeTimeout, counter: counter)],
            idleTimeout: TimeAmount(options.idleTimeout))
        let server = HTTPServerBuilder { responder in
            LimitedHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: http1), counter: counter)
        }
        var logger = Logger(label: "backprop-serve")
        logger.logLevel = .warning
        let stored = (try? await store.count()) ?? 0
        let (courseName, issued) = (courseFile?.name, issuedCodes)
        let signInFile = courseFile.map { [options] _ in (options.dataDirectory as NSString).appendingPathComponent("sign-in.csv") }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "backprop", backlog: 1024),
            onServerRunning: { [options, store, token, course, lti] channel in
                let port = channel.localAddress?.port ?? options.port
                let host = options.host.contains(":") ? "[\(options.host)]" : options.host
                var start = ServeStart(url: "http://\(host):\(port)/", port: port, dataFile: store.location, storedAttempts: stored,
                                       teacherToken: token, lessons: course.lessons.count, course: courseName, issuedCodes: issued,
                                       signInFile: signInFile)
                start.ltiPlatforms = lti?.configuration.platforms.map(\.name) ?? []
                started(start)
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        self.group.withLock { $0 = group }
        try await group.run()
    }

    /// Every route behind the rate limit and the memory budget (`Guard`): what `run` serves, and
    /// what the in-process tests drive (HummingbirdTesting's `app.test(.router)`, no socket).
    func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: Guard(limiter: limiter, budget: budget, replyBytes: options.replyBytes))
        routes(router)
        return router
    }

    /// Stops the server as SIGTERM does: no new connections, the requests in flight finish.
    public func stop() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }
}

/// The request context: Hummingbird's core storage and the client's address.
/// (Whether the request came over TLS: this server speaks plain HTTP; behind a TLS proxy,
/// `X-Forwarded-Proto: https` marks the session cookie Secure.)
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let client: String
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        client = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
    var maxUploadSize: Int { RequestLimits.bodyBytes }
}

/// The per-client rate limit and the headers every response carries.
struct Guard: RouterMiddleware {
    typealias Context = ServerContext
    let limiter: ClientLimiter
    let budget: MemoryBudget
    let replyBytes: Int

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var response = try await answer(request, context: context, next: next)
        // Every reply's bytes are held from the budget until written (a client that reads slowly
        // holds them, up to the write timeout); one over the reply limit is not sent at all.
        let size = response.body.contentLength ?? 0
        if size > replyBytes {
            response = Reply.error("the reply would be \(ByteCount.text(size)); the server's limit is \(ByteCount.text(replyBytes)) a reply",
                                   exitStatus: 2, httpStatus: 413).response
        }
        let bytes = response.body.contentLength ?? 0
        if let held = budget.reserve(bytes) {
            let body = response.body
            response.body = ResponseBody(contentLength: bytes) { writer in
                defer { held.release() }
                try await body.write(writer)
            }
        } else {
            response = budget.refusal(bytes, for: "the reply").response
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'"
        response.headers[.referrerPolicy] = "no-referrer"
        return response
    }

    private func answer(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var response: Response
        if limiter.allow(context.client) {
            do { response = try await next(request, context) } catch let error as HTTPError {
                // Hummingbird's own errors (no such route, wrong method) as JSON too.
                let message = error.status == .notFound ? "no such page or API route: \(request.method) \(request.uri.path)"
                    : error.status == .methodNotAllowed ? "\(request.method) is not allowed on \(request.uri.path)" : (error.body ?? "\(error.status)")
                response = Reply.error(message, exitStatus: 2, httpStatus: error.status.code).response
            }
        } else {
            response = Reply.error("too many requests from \(context.client): the limit is \(Int(limiter.rate)) a second; try again in a moment",
                                   exitStatus: 1, httpStatus: 429).response
            response.headers[.retryAfter] = "1"
        }
        return response
    }
}

extension HTTPField.Name {
    static let exitStatus = HTTPField.Name("Backprop-Exit-Status")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

extension Reply {
    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.exitStatus] = String(exitStatus)
        headers[.cacheControl] = "no-store"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body))
    }
}
