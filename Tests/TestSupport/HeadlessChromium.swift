#if os(Linux)
import Foundation
import Glibc

/// A headless Chromium driven over the Chrome DevTools Protocol on a pipe, for browser tests.
///
/// Chromium is started with `--remote-debugging-pipe`: it reads protocol commands on its fd 3 and
/// writes replies and events on its fd 4, each message one JSON object followed by a NUL byte. The
/// client attaches to the page with `Target.attachToTarget` (`flatten: true`), then sends commands
/// to that session: real key presses (`Input.dispatchKeyEvent`) and script (`Runtime.evaluate`).
///
/// Nothing waits forever: every read polls against a deadline (30 s from launch by default), and
/// `close()` ends Chromium's whole process group with SIGKILL if it has not quit on request.
///
/// ```swift
/// let browser = try HeadlessChromium(opening: pageURL)
/// defer { browser.close() }
/// try browser.press(.arrowRight)
/// let text = try browser.evaluate("document.getElementById('narration').textContent")
/// ```
public final class HeadlessChromium {
    /// Debian's Chromium.
    public static let executable = "/usr/bin/chromium"
    /// Whether Chromium is installed, so a browser test can run.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// A key as `Input.dispatchKeyEvent` describes it.
    public struct Key: Sendable {
        public init(key: String, code: String, virtualKeyCode: Int) {
            self.key = key
            self.code = code
            self.virtualKeyCode = virtualKeyCode
        }
        /// The DOM `key` (`ArrowRight`).
        let key: String
        /// The DOM `code` (`ArrowRight`).
        let code: String
        /// The Windows virtual key code (39 for →), which Chromium needs for non-character keys.
        let virtualKeyCode: Int

        /// The → key.
        public static let arrowRight = Key(key: "ArrowRight", code: "ArrowRight", virtualKeyCode: 39)
        /// The ← key.
        public static let arrowLeft = Key(key: "ArrowLeft", code: "ArrowLeft", virtualKeyCode: 37)
    }

    /// Why talking to Chromium failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the tail of Chromium's stderr where it helps.
        public let description: String
    }

    private let processID: pid_t
    /// Our end of Chromium's fd 3: we write commands here.
    private let commandFile: Int32
    /// Our end of Chromium's fd 4: we read replies and events here.
    private let replyFile: Int32
    private let profileDirectory: URL
    private let logFile: URL
    private let deadline: Date
    private var nextCommandID = 1
    private var pending: [UInt8] = []
    private var sessionID: String?
    private var isClosed = false

    /// Starts Chromium on `url` and attaches to its page once the document has loaded.
    /// - Parameter timeout: how long the whole session may last before every call throws.
    public init(opening url: URL, timeout: TimeInterval = 30, width: Int = 1400, height: Int = 1000) throws {
        deadline = Date().addingTimeInterval(timeout)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("headless-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        profileDirectory = scratch.appendingPathComponent("profile")
        logFile = scratch.appendingPathComponent("stderr.log")
        // A write to a pipe whose reader has died would raise SIGPIPE and end the test process;
        // ignored, it is an EPIPE error instead.
        signal(SIGPIPE, SIG_IGN)

        let (commandRead, commandWrite) = try Self.pipeAboveStandardFiles()
        let (replyRead, replyWrite) = try Self.pipeAboveStandardFiles()
        commandFile = commandWrite
        replyFile = replyRead
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, commandRead, 3)
        posix_spawn_file_actions_adddup2(&actions, replyWrite, 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so close() can end the renderer and GPU processes too.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let arguments = [
            Self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
            "--remote-debugging-pipe", "--user-data-dir=\(profileDirectory.path)", "--window-size=\(width),\(height)",
            "--hide-scrollbars", url.absoluteString,
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, Self.executable, &actions, &attributes, &argv, environ)
        Glibc.close(commandRead)
        Glibc.close(replyWrite)
        guard status == 0 else {
            Glibc.close(commandWrite)
            Glibc.close(replyRead)
            throw Failure(description: "could not start \(Self.executable): \(String(cString: strerror(status)))")
        }
        processID = pid
        do {
            try attach(width: width, height: height)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    // MARK: - Page

    /// Presses and releases a key in the page, as a user would.
    public func press(_ key: Key) throws {
        for type in ["keyDown", "keyUp"] {
            _ = try send("Input.dispatchKeyEvent", [
                "type": type, "key": key.key, "code": key.code,
                "windowsVirtualKeyCode": key.virtualKeyCode, "nativeVirtualKeyCode": key.virtualKeyCode,
            ])
        }
    }

    /// Evaluates a JavaScript expression in the page and returns its value (a string, number, Bool or nil).
    public func evaluate(_ expression: String, awaitPromise: Bool = false) throws -> Any? {
        let reply = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": awaitPromise])
        if let exception = reply["exceptionDetails"] as? [String: Any] {
            throw Failure(description: "script failed: \(expression): \(exception["text"] ?? exception)")
        }
        return (reply["result"] as? [String: Any])?["value"]
    }

    /// Asks Chromium to quit, then ends its process group if it has not quit within two seconds,
    /// and removes its profile. Safe to call twice.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = try? write(["id": nextCommandID, "method": "Browser.close"])
        var status: Int32 = 0
        let patience = Date().addingTimeInterval(2)
        // First the browser process, then the rest of its group (renderer, GPU, zygote).
        while waitpid(processID, &status, WNOHANG) == 0 || kill(-processID, 0) == 0 {
            if Date() > patience {
                kill(-processID, SIGKILL)
                waitpid(processID, &status, 0)
                break
            }
            usleep(20_000)
        }
        Glibc.close(commandFile)
        Glibc.close(replyFile)
        try? FileManager.default.removeItem(at: profileDirectory.deletingLastPathComponent())
    }

    /// Errors the page reported so far: uncaught exceptions, `console.error` calls and error-level
    /// log entries (a failed load, a blocked request).
    public private(set) var consoleErrors: [String] = []

    /// Notes the events a test wants to know about.
    private func record(_ event: [String: Any]) {
        let parameters = event["params"] as? [String: Any] ?? [:]
        switch event["method"] as? String {
        case "Runtime.exceptionThrown":
            let details = parameters["exceptionDetails"] as? [String: Any] ?? [:]
            let exception = (details["exception"] as? [String: Any])?["description"] as? String
            consoleErrors.append("exception: " + (exception ?? details["text"] as? String ?? "\(details)"))
        case "Runtime.consoleAPICalled" where parameters["type"] as? String == "error":
            let arguments = (parameters["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            consoleErrors.append("console.error: " + arguments.joined(separator: " "))
        case "Log.entryAdded":
            let entry = parameters["entry"] as? [String: Any] ?? [:]
            if entry["level"] as? String == "error" { consoleErrors.append("log: \(entry["text"] ?? entry)") }
        default: break
        }
    }

    /// Turns the mouse wheel over the point (x, y) of the page (CSS pixels): negative `deltaY` zooms in.
    public func wheel(x: Double, y: Double, deltaY: Double) throws {
        _ = try send("Input.dispatchMouseEvent", ["type": "mouseWheel", "x": x, "y": y, "deltaX": 0, "deltaY": deltaY])
    }

    /// A PNG of the page as shown (the window), or of the whole page.
    public func screenshot(fullPage: Bool = false) throws -> Data {
        var parameters: [String: Any] = ["format": "png"]
        if fullPage { parameters["captureBeyondViewport"] = true }
        let reply = try send("Page.captureScreenshot", parameters)
        guard let text = reply["data"] as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "Page.captureScreenshot gave no image")
        }
        return data
    }

    /// Lets the page run for a moment (layout, events), answering events meanwhile.
    public func settle() throws { _ = try evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => true)", awaitPromise: true) }

    // MARK: - Protocol

    /// Finds the page target, attaches to it, and waits until the stepper page has loaded.
    private func attach(width: Int, height: Int) throws {
        var targetID: String?
        while targetID == nil {
            let targets = try send("Target.getTargets", [:], inSession: false)["targetInfos"] as? [[String: Any]] ?? []
            targetID = targets.first { $0["type"] as? String == "page" }?["targetId"] as? String
            if targetID == nil { try pause() }
        }
        let attached = try send("Target.attachToTarget", ["targetId": targetID ?? "", "flatten": true], inSession: false)
        guard let session = attached["sessionId"] as? String else {
            throw Failure(description: "Target.attachToTarget gave no sessionId: \(attached)")
        }
        sessionID = session
        _ = try send("Runtime.enable", [:])
        _ = try send("Log.enable", [:])
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
        // Load again with the domains on and the window's size set, so nothing the page reports
        // while loading is missed and its layout is the final one.
        _ = try evaluate("window.__beforeReload = true")
        _ = try send("Page.reload", ["ignoreCache": true])
        let loaded = "window.__beforeReload !== true && document.readyState === 'complete'"
        while try evaluate(loaded) as? Bool != true { try pause() }
    }

    /// Sends one command and returns its `result`, skipping events that arrive in between.
    private func send(_ method: String, _ parameters: [String: Any], inSession: Bool = true) throws -> [String: Any] {
        let id = nextCommandID
        nextCommandID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if inSession, let sessionID { message["sessionId"] = sessionID }
        try write(message)
        while true {
            let reply = try readMessage()
            guard reply["id"] as? Int == id else { record(reply); continue }   // an event, or a reply to someone else
            if let error = reply["error"] as? [String: Any] {
                throw Failure(description: "\(method) failed: \(error["message"] ?? error)")
            }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    private func write(_ message: [String: Any]) throws {
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(commandFile, $0.baseAddress, $0.count) }
            guard count > 0 else { throw failure("could not write to Chromium's pipe (errno \(errno))") }
            written += count
        }
    }

    /// The next NUL-terminated message from Chromium, waiting no later than the deadline.
    private func readMessage() throws -> [String: Any] {
        while true {
            if let end = pending.firstIndex(of: 0) {
                let data = Data(pending[..<end])
                pending.removeSubrange(...end)
                guard let message = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw failure("Chromium sent something that is not a JSON object")
                }
                return message
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw failure("Chromium did not answer in time") }
            var poller = pollfd(fd: replyFile, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready == 0 { continue }
            guard ready > 0 else { throw failure("poll failed (errno \(errno))") }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(replyFile, $0.baseAddress, $0.count) }
            guard count > 0 else { throw failure("Chromium closed its pipe") }
            pending.append(contentsOf: chunk[..<count])
        }
    }

    /// Waits a little before polling the page again, or throws once the deadline has passed.
    private func pause() throws {
        guard Date() < deadline else { throw failure("the page did not load in time") }
        usleep(50_000)
    }

    /// A failure with the end of Chromium's stderr, which usually says why it stopped.
    private func failure(_ message: String) -> Failure {
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        let tail = log.split(separator: "\n").suffix(5).joined(separator: "\n")
        return Failure(description: tail.isEmpty ? message : "\(message); Chromium's stderr ends:\n\(tail)")
    }

    /// A pipe whose two ends are numbered 10 or above and close on exec, so `dup2` onto fds 3 and 4
    /// in the child cannot clobber one of them, and Chromium inherits only the ends it is given.
    private static func pipeAboveStandardFiles() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw Failure(description: "pipe failed (errno \(errno))") }
        defer { Glibc.close(ends[0]); Glibc.close(ends[1]) }
        let read = fcntl(ends[0], F_DUPFD_CLOEXEC, 10), write = fcntl(ends[1], F_DUPFD_CLOEXEC, 10)
        guard read >= 0, write >= 0 else { throw Failure(description: "fcntl failed (errno \(errno))") }
        return (read, write)
    }
}
#endif
