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
// - Connections: `LimitedHTTP1Channel` serves at most `limit` at once (below the process's file
//   limit, `FileLimit`); at the limit a new one replaces the connection idle the longest.

/// HTTP/1 as Hummingbird serves it, at most `limit` connections at once. At the limit a new
/// connection takes the place of the connection idle the longest (no request being read or
/// answered), which is closed; when every connection is busy, the new one is closed at once (its
/// socket is the only cost). So idle clients never hold the file descriptors SQLite and Graphviz
/// need, and never keep a new client out.
struct LimitedHTTP1Channel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let inner: HTTP1Channel.Value?
        let channel: any Channel
    }

    let inner: HTTP1Channel
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard counter.open(channel) else {
            // Closed in `handle`, once NIO has registered it: an unregistered channel is not ours to close.
            return channel.eventLoop.makeSucceededFuture(Value(inner: nil, channel: channel))
        }
        channel.closeFuture.whenComplete { [counter] _ in counter.close(channel) }
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

/// The connections being served, each with its requests in progress, and the most allowed.
final class ConnectionCounter: Sendable {
    let limit: Int
    private struct Entry { let channel: any Channel; var requests: Int; var idleSince: UInt64 }
    private struct Table: @unchecked Sendable {   // channels are thread-safe; the table is only used under its lock
        var entries: [ObjectIdentifier: Entry] = [:]
        var tick: UInt64 = 0
        var refused = 0, evicted = 0
    }
    private let table = Locked(Table())

    init(limit: Int) { self.limit = limit }

    /// Counts `channel` in if there is room, or in place of the connection idle the longest (which
    /// is closed); false if every connection is busy.
    func open(_ channel: any Channel) -> Bool {
        let (accepted, victim) = table.withLock { table -> (Bool, (any Channel)?) in
            table.tick += 1
            var victim: (any Channel)?
            if table.entries.count >= limit {
                // A scan, only at the limit: cheaper than keeping an order on every request.
                var oldest: (key: ObjectIdentifier, since: UInt64)?
                for (key, entry) in table.entries where entry.requests == 0 && entry.idleSince < (oldest?.since ?? .max) {
                    oldest = (key, entry.idleSince)
                }
                guard let oldest else { table.refused += 1; return (false, nil) }
                victim = table.entries.removeValue(forKey: oldest.key)?.channel
                table.evicted += 1
            }
            table.entries[ObjectIdentifier(channel)] = Entry(channel: channel, requests: 0, idleSince: table.tick)
            return (true, victim)
        }
        victim?.close(promise: nil)
        return accepted
    }

    func close(_ channel: any Channel) {
        table.withLock { _ = $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// A request's head was read on `channel` (`started`), or its reply written.
    func request(on channel: any Channel, started: Bool) {
        table.withLock { table in
            let key = ObjectIdentifier(channel)
            guard var entry = table.entries[key] else { return }
            entry.requests = max(0, entry.requests + (started ? 1 : -1))
            if entry.requests == 0 { table.tick += 1; entry.idleSince = table.tick }
            table.entries[key] = entry
        }
    }

    /// Connections served now.
    var current: Int { table.withLock { $0.entries.count } }
    /// Connections in the middle of a request now (a head read, its reply not yet written).
    var busy: Int { table.withLock { $0.entries.values.filter { $0.requests > 0 }.count } }
    /// Connections closed at once because `limit` were open and busy (since the start).
    var refused: Int { table.withLock { $0.refused } }
    /// Idle connections closed to make room for a new one (since the start).
    var evicted: Int { table.withLock { $0.evicted } }
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
    let counter: ConnectionCounter
    private var reading: Scheduled<Void>?
    private var writing: Scheduled<Void>?

    init(body: Duration, write: Duration, counter: ConnectionCounter) {
        self.body = TimeAmount(body)
        self.write = TimeAmount(write)
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            counter.request(on: context.channel, started: true)
            reading = close(context, after: body)
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
            let channel = context.channel
            promise.futureResult.whenComplete { _ in
                loop.value.writing?.cancel(); loop.value.writing = nil
                loop.value.counter.request(on: channel, started: false)
            }
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
