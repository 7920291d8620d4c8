#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to write a file or create a directory: one line naming the path and the OS's reason.
public struct AtomicFileError: Error, Sendable, CustomStringConvertible {
    /// The file or directory that could not be written or created.
    public let path: String
    /// The one-line message, e.g. `cannot write out/a.svg: No such file or directory`.
    public let message: String

    /// An error about `path` with this message.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The same as `message`.
    public var description: String { message }
}

/// Writing files so that a reader sees either the old file or the whole new one, never a part.
///
/// `write` puts the bytes in a temporary file beside the destination (`.name.tmp-PID-random`),
/// flushes it to disk with `fsync`, then `rename(2)`s it over the destination. On any failure
/// the temporary file is removed and the destination is left as it was.
///
/// ```swift
/// try AtomicFile.createDirectory("out/lesson1")
/// try AtomicFile.write(svgBytes, to: "out/lesson1/graph.svg")
/// ```
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `path` with `bytes`.
    ///
    /// A new file gets mode 0666 less the umask; a replaced file keeps its mode. The directory
    /// must already exist (see `createDirectory(_:)`). Only regular files are replaced, as `cp`
    /// does it: a symbolic link is followed and its target replaced (a link to nothing is refused);
    /// a character device (`/dev/null`) or a named pipe is written into in place and stays what it
    /// was (a pipe with no reader is refused, not waited on); a directory, a block device or a
    /// socket is refused.
    ///
    /// - Throws: `AtomicFileError` naming `path` and the OS's reason.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        // Replace only regular files, as `cp` does: write through a character device or a named
        // pipe (so `/dev/null` stays a device), follow a link to its target, refuse the rest.
        // The process's own streams are written into where they stand, whatever they are.
        if let fd = streamDescriptor(path) {
            FileHandleFlush.standardOutput()
            return try writeAll(bytes, to: fd, path: path)
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            var mode = info.st_mode & S_IFMT
            if mode == S_IFLNK {
                // What the link leads to decides (`/dev/stdout` leads to a terminal, a pipe or a file).
                guard stat(path, &info) == 0 else {
                    throw AtomicFileError(path: path, message: "cannot write \(path): a symbolic link to nothing")
                }
                mode = info.st_mode & S_IFMT
                if mode == S_IFREG {
                    guard let resolved = realpath(path, nil) else { throw failure(path) }
                    let target = String(cString: resolved)
                    free(resolved)
                    return try write(bytes, to: target)
                }
            }
            switch mode {
            case S_IFREG: break
            case S_IFCHR, S_IFIFO:
                return try writeThrough(bytes, to: path, isPipe: mode == S_IFIFO)
            case S_IFDIR:
                throw AtomicFileError(path: path, message: "cannot write \(path): it is a directory; give a file name")
            case S_IFBLK:
                throw AtomicFileError(path: path, message: "cannot write \(path): it is a block device; only regular files are replaced")
            default:
                throw AtomicFileError(path: path, message: "cannot write \(path): it is not a regular file (a socket?); only regular files are replaced")
            }
        }
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw AtomicFileError(path: path, message: "cannot write \"\(path)\": not a file name")
        }
        // Leave room for the suffix within the 255-byte limit on a file name.
        let stem = String(decoding: name.utf8.prefix(200), as: UTF8.self)

        // A unique temporary name in the same directory, so the rename stays on one file system.
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            temporary = directory + "." + stem + ".tmp-\(getpid())-" + suffix
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw failure(path) }

        do {
            // Keep the mode of a file being replaced.
            var existing = stat()
            if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) == S_IFREG {
                _ = fchmod(fd, existing.st_mode & 0o7777)
            }
            try writeAll(bytes, to: fd, path: path)
            guard fsync(fd) == 0 else { throw failure(path) }
            let closed = close(fd)
            fd = -1
            guard closed == 0 else { throw failure(path) }
            guard rename(temporary, path) == 0 else { throw failure(path) }
        } catch {
            if fd >= 0 { _ = close(fd) }
            _ = unlink(temporary)
            throw error
        }

        // Make the rename itself durable; failing here does not undo a completed write.
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            _ = close(directoryFD)
        }
    }

    /// Atomically replaces (or creates) the file at `path` with `text` in UTF-8.
    ///
    /// - Throws: `AtomicFileError` naming `path` and the OS's reason.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Creates the directory at `path` and any missing parents (`mkdir -p`); existing ones are fine.
    ///
    /// - Throws: `AtomicFileError` naming the directory that could not be created and why
    ///   (including when something that is not a directory is in the way).
    public static func createDirectory(_ path: String) throws {
        guard !path.isEmpty else {
            throw AtomicFileError(path: path, message: "cannot create directory: empty path")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, 0o777) != 0 {
                let reason = errno
                var info = stat()
                let isDirectory = stat(prefix, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
                if !isDirectory {
                    // EEXIST for something that is not a directory reads better as ENOTDIR.
                    errno = reason == EEXIST ? ENOTDIR : reason
                    throw AtomicFileError(
                        path: path, message: "cannot create directory \(prefix): \(osReason())")
                }
            }
            prefix += "/"
        }
    }

    /// The descriptor `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names, if any.
    private static func streamDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                if let fd = Int32(path.dropFirst(prefix.count)), fd >= 0, fcntl(fd, F_GETFD) >= 0 { return fd }
            }
            return nil
        }
    }

    /// Writes into an existing character device or named pipe in place, as `cp` does: the node stays.
    /// A pipe with no reader is refused rather than waited on.
    private static func writeThrough(_ bytes: [UInt8], to path: String, isPipe: Bool) throws {
        let fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (isPipe ? O_NONBLOCK : 0))
        guard fd >= 0 else {
            if isPipe && errno == ENXIO {
                throw AtomicFileError(path: path, message: "cannot write \(path): a named pipe with no reader")
            }
            throw failure(path)
        }
        defer { _ = close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, (opened.st_mode & S_IFMT) == (isPipe ? S_IFIFO : S_IFCHR) else {
            throw AtomicFileError(path: path, message: "cannot write \(path): it changed while being opened")
        }
        if isPipe { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        try writeAll(bytes, to: fd, path: path)
    }

    /// Writes every byte to `fd`, retrying short writes and interruptions.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = posixWrite(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(path)
                }
                offset += written
            }
        }
    }

    /// `path` split into its directory (empty, or ending in `/`) and its last component.
    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let after = path.index(after: slash)
        return (String(path[..<after]), String(path[after...]))
    }

    /// `cannot write PATH: REASON` from the current `errno`.
    private static func failure(_ path: String) -> AtomicFileError {
        AtomicFileError(path: path, message: "cannot write \(path): \(osReason())")
    }

    /// `strerror(errno)`.
    static func osReason() -> String {
        let code = errno
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// POSIX `write(2)`, named apart from `AtomicFile.write` so the call inside it is unambiguous.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

/// Swift's `print` buffers standard output; flush it before writing to descriptor 1 directly.
enum FileHandleFlush {
    static func standardOutput() { fflush(nil) }
}
