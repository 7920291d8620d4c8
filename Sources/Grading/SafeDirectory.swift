import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Support
import Datasets

/// A directory of submissions read from its file descriptor: every file is opened with `openat`
/// relative to the directory, and every component of the way with `O_NOFOLLOW`, so nothing outside
/// the directory is read, even while a student swaps a subdirectory for a link during grading.
///
/// A symbolic link among the files is followed only inside the directory: its target is resolved
/// lexically (`sub/a.toml`, `./a.toml`, or an absolute path that names the directory itself), then
/// walked component by component from the directory's descriptor, each directory opened with
/// `O_DIRECTORY | O_NOFOLLOW` and the file with `O_NOFOLLOW`; the opened file is checked with
/// `fstat`. A link out of the directory, through another link, or to a link is not followed.
public final class SafeDirectory {
    /// The identity of a file: its device and inode. Outputs are compared with the inputs by it.
    public typealias FileID = FileIdentity

    /// The directory as named.
    public let path: String
    /// Its real path (for messages about links that point into it by an absolute path).
    public let realPath: String
    /// Its own identity.
    public let id: FileID
    private let fd: Int32

    /// Opens the directory.
    /// - Throws: `WorkbenchFailure.badInput` when it is not a directory or cannot be opened.
    public init(_ path: String) throws(WorkbenchFailure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOTDIR ? "not a directory" : "cannot be opened: " + String(cString: strerror(errno))
            throw .badInput("\(TerminalText.safe(path)): \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            close(fd)
            throw .badInput("\(TerminalText.safe(path)): not a directory")
        }
        self.fd = fd
        self.path = path
        self.id = FileID(info)
        if let resolved = realpath(path, nil) {
            self.realPath = String(cString: resolved)
            free(resolved)
        } else { self.realPath = path }
    }

    deinit { close(fd) }

    /// The names in the directory (without `.` and `..`), sorted.
    /// - Throws: `WorkbenchFailure.badInput` if the directory cannot be listed.
    public func names() throws(WorkbenchFailure) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw .badInput("\(TerminalText.safe(path)): cannot be listed: \(String(cString: strerror(errno)))")
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// What reading one name of the directory gave.
    public struct Entry {
        public let read: SubmissionFile.Read
        /// The file that was read, when one was.
        public let file: FileID?
    }

    /// Reads the file `name` of the directory (at most the submission limit + 1 bytes).
    public func read(_ name: String) -> Entry {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return Entry(read: SafeDirectory.failure(errno), file: nil) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return readFile(at: fd, name)
        case S_IFLNK: return readLink(name)
        case S_IFDIR: return Entry(read: .skipped("a directory"), file: nil)
        case S_IFIFO: return Entry(read: .skipped("a named pipe, not a file"), file: nil)
        case S_IFSOCK: return Entry(read: .skipped("a socket, not a file"), file: nil)
        default: return Entry(read: .skipped("a device, not a file"), file: nil)
        }
    }

    /// Follows a link among the files, inside the directory only.
    private func readLink(_ name: String) -> Entry {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlinkat(fd, name, &buffer, 4096)
        guard count >= 0 else { return Entry(read: SafeDirectory.failure(errno), file: nil) }
        let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let shown = TerminalText.safe(target)
        var rest = target
        if target.hasPrefix("/") {
            // An absolute link is inside only if it names the directory itself.
            let root = realPath.hasSuffix("/") ? realPath : realPath + "/"
            guard target.hasPrefix(root) else { return Entry(read: .skipped("a symbolic link out of the directory (to \(shown)); not followed"), file: nil) }
            rest = String(target.dropFirst(root.count))
        }
        var components: [String] = []
        for component in rest.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                guard !components.isEmpty else { return Entry(read: .skipped("a symbolic link out of the directory (to \(shown)); not followed"), file: nil) }
                components.removeLast()
            } else { components.append(String(component)) }
        }
        guard let last = components.popLast() else { return Entry(read: .skipped("a symbolic link to the directory itself"), file: nil) }
        var current = fd
        defer { if current != fd { close(current) } }
        for component in components {
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                switch errno {
                case ENOENT: return Entry(read: .skipped("a symbolic link to nothing"), file: nil)
                case ELOOP, ENOTDIR: return Entry(read: .skipped("a symbolic link through another link or a file (to \(shown)); not followed"), file: nil)
                default: return Entry(read: SafeDirectory.failure(errno), file: nil)
                }
            }
            if current != fd { close(current) }
            current = next
        }
        let entry = readFile(at: current, last)
        if case .unreadable(let reason) = entry.read, reason.hasPrefix("vanished") {
            return Entry(read: .skipped("a symbolic link to nothing"), file: nil)
        }
        return entry
    }

    /// Opens `name` in the directory `at` without following a link, checks it is a regular file, reads it.
    private func readFile(at directory: Int32, _ name: String) -> Entry {
        let file = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard file >= 0 else {
            if errno == ELOOP { return Entry(read: .skipped("a symbolic link to a link, or one that appeared while being read; not followed"), file: nil) }
            return Entry(read: SafeDirectory.failure(errno), file: nil)
        }
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0 else { return Entry(read: SafeDirectory.failure(errno), file: nil) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return Entry(read: .skipped("a directory"), file: nil)
        default: return Entry(read: .skipped("not a regular file"), file: nil)
        }
        // One byte past the limit, so the grader can say the file is too large.
        do {
            return Entry(read: .bytes(try RegularFile.readAll(file, size: Int(info.st_size), atMost: AnswerLimits.fileBytes + 1)),
                         file: FileID(info))
        } catch {
            return Entry(read: .unreadable(error.description), file: FileID(info))
        }
    }

    static func failure(_ code: Int32) -> SubmissionFile.Read {
        code == ENOENT ? .unreadable("vanished before it could be read") : .unreadable("cannot be read: \(String(cString: strerror(code)))")
    }
}
