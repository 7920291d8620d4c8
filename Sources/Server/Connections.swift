import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

// What one connection may hold, and for how long (docs/serve.md, "Limits").
//
// - Idle and header time: Hummingbird's own idle timeout (`HTTP1Channel.Configuration.idleTimeout`).
//   It counts from the last complete HTTP part read (or the connection's start, or the last reply),
//   and a partial header is no part: a client that sends a header byte a second is closed when the
//   timeout passes after its connection, however many bytes it sent.
// - Body and reply time: `ConnectionDeadlines`, below: a request's body must have arrived within
//   `bodyTimeout` of its head, a reply must have been handed to the kernel within `writeTimeout`.
// - Connections: `LimitedHTTP1Channel` serves at most `limit` at once and closes any more at once,
//   so that open sockets never reach the process's file limit (`FileLimit`).

/// HTTP/1 as Hummingbird serves it, at most `limit` connections at once; one more is closed as soon
/// as it is accepted (its socket is the only cost), so idle clients can hold `limit` connections
/// but never the file descriptors SQLite and Graphviz need.
struct LimitedHTTP1Channel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let inner: HTTP1Channel.Value?
        let channel: any Channel
    }

    let inner: HTTP1Channel
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard counter.open() else {
            // Closed in `handle`, once NIO has registered it: an unregistered channel is not ours to close.
            return channel.eventLoop.makeSucceededFuture(Value(inner: nil, channel: channel))
        }
        channel.closeFuture.whenComplete { [counter] _ in counter.close() }
        return inner.setup(channel: channel, logger: logger).map { Value(inner: $0, channel: channel) }
    }

    func handle(value: Value, logger: Logger) async {
        guard let served = value.inner else {
            try? await value.channel.close()
            return
        }
        await inner.handle(value: served, logger: logger)
    }
}

/// The number of connections being served, and the most allowed.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let open_ = Atomic<Int>(0)
    private let refused_ = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Counts one more connection if there is room.
    func open() -> Bool {
        if open_.add(1, ordering: .relaxed).newValue <= limit { return true }
        open_.subtract(1, ordering: .relaxed)
        refused_.add(1, ordering: .relaxed)
        return false
    }

    func close() { open_.subtract(1, ordering: .relaxed) }

    /// Connections served now.
    var current: Int { open_.load(ordering: .relaxed) }
    /// Connections closed at once because `limit` were open (since the start).
    var refused: Int { refused_.load(ordering: .relaxed) }
}

/// Closes a connection whose request body has not arrived within `body` of its head, or whose reply
/// has not been handed to the kernel within `write` of its head (a client that does not read).
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let body: TimeAmount
    let write: TimeAmount
    private var reading: Scheduled<Void>?
    private var writing: Scheduled<Void>?

    init(body: Duration, write: Duration) {
        self.body = TimeAmount(body)
        self.write = TimeAmount(write)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: reading = close(context, after: body)
        case .end: reading?.cancel(); reading = nil
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            writing?.cancel()
            writing = close(context, after: write)
            context.write(data, promise: promise)
        case .end:
            // Cancelled once the end is written: the whole reply has left the process.
            let promise = promise ?? context.eventLoop.makePromise()
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            promise.futureResult.whenComplete { _ in loop.value.writing?.cancel(); loop.value.writing = nil }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        reading?.cancel(); writing?.cancel()
    }

    private func close(_ context: ChannelHandlerContext, after delay: TimeAmount) -> Scheduled<Void> {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: delay) { bound.value.close(promise: nil) }
    }
}

@available(*, unavailable)
extension ConnectionDeadlines: Sendable {}

/// The process's limit of open files: raised to the hard limit at start where the system allows,
/// and the connections allowed beneath it.
enum FileLimit {
    /// Files kept for everything but connections: SQLite (the database, its WAL and shared memory
    /// per pooled reader), Graphviz, the lessons, the event loops' own descriptors.
    static let reserve = 256

    /// Raises the soft limit to the hard one (at most 1,048,576) and returns the soft limit now in force.
    @discardableResult
    static func raise() -> Int {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        let wanted = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The connections allowed under a soft limit of `files`: all but the reserve (a quarter of a small limit).
    static func connections(files: Int) -> Int {
        max(1, files - min(reserve, files / 4))
    }
}
