#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a file a user named: only a regular file, and never more than a limit of bytes.
///
/// The one place the workbench opens an input file (data files here, and through
/// `Support.InputFile` every program, lesson, model and saved model): the path is opened with
/// `O_NONBLOCK`, so a named pipe with no writer cannot make the open wait, then checked with
/// `fstat` on the descriptor itself, so what is read is what was checked. A named pipe, a device
/// (`/dev/zero` would never end), a socket or a directory is refused before a byte is read; a file
/// larger than the limit is refused by its size, and a file that grows while being read stops at
/// the limit + 1 byte.
public enum RegularFile {
    /// Why a file was not read.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing at the path.
        case missing
        /// A directory, a named pipe, a device or a socket: the words say which.
        case notRegular(String)
        /// Bigger than the limit: its size, or nil when it grew past the limit while being read.
        case tooLarge(size: Int?, limit: Int)
        /// The OS refused: its reason (`Permission denied`).
        case unreadable(String)

        /// `is a named pipe, not a regular file`, `is 70000000 bytes; the limit is 67108864`, …
        public var description: String {
            switch self {
            case .missing: "no such file"
            case .notRegular(let kind): "is \(kind), not a regular file; only regular files are read"
            case .tooLarge(let size, let limit): "is \(size.map { "\($0) bytes" } ?? "more than \(limit) bytes"); the limit is \(limit) bytes"
            case .unreadable(let reason): "cannot be read: \(reason)"
            }
        }
    }

    /// The bytes of the regular file at `path` (links followed), at most `limit` of them.
    /// - Throws: `RegularFile.Failure` saying why not.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ENOTDIR: throw .missing
            case ENXIO: throw .notRegular("a socket or a device with nothing behind it")
            default: throw .unreadable(reason(errno))
            }
        }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(reason(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .notRegular("a directory")
        case S_IFIFO: throw .notRegular("a named pipe")
        case S_IFCHR, S_IFBLK: throw .notRegular("a device")
        case S_IFSOCK: throw .notRegular("a socket")
        default: throw .notRegular("not a file")
        }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(size: size, limit: limit) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        // One byte more than the limit, so a file that grew past it while being read is noticed.
        let bytes = try readAll(fd, size: size, atMost: limit == Int.max ? limit : limit + 1)
        guard bytes.count <= limit else { throw .tooLarge(size: nil, limit: limit) }
        return bytes
    }

    /// The bytes of the open descriptor `fd` up to its end, but never more than `atMost`; `size`
    /// (what `fstat` said) sizes the first buffer, so a small file costs a small buffer. The one
    /// bounded read loop of the workbench: `read(_:limit:)` above, and the grader's submissions,
    /// which open their files their own way (`openat` with `O_NOFOLLOW`).
    /// - Throws: `Failure.unreadable` when the OS refuses.
    public static func readAll(_ fd: Int32, size: Int, atMost: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(min(size == Int.max ? size : size + 1, atMost), 1))
        var count = 0
        while count < atMost {
            if count == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: min(max(count, 4096), atMost - count)))
            }
            let got = bytes.withUnsafeMutableBytes { buffer in
                posixRead(fd, buffer.baseAddress! + count, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(reason(errno))
            }
            if got == 0 { break }
            count += got
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    private static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// POSIX `read(2)`.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
