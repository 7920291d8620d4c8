#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder that a command writes many files into (`grade --feedback DIR`, `site DIR`), opened
/// once and written only through its descriptor, so nothing is written outside it.
///
/// The folder named on the command line is the user's choice and may itself be a link. Inside it,
/// every file is written as `AtomicFile` writes: into a new temporary name made with
/// `openat(dir, tmp, O_CREAT | O_EXCL | O_NOFOLLOW)`, flushed, then `renameat` over the name. A
/// name that is already a symbolic link is refused, never followed (a student who planted
/// `fb/s1234567.md -> ~/.bashrc` gets an error, and `~/.bashrc` is unchanged); a name that is a
/// directory, a pipe or a device is refused too: only regular files are replaced. A subfolder is
/// opened with `O_DIRECTORY | O_NOFOLLOW`, so a link in place of `DIR/lessons` is refused as well.
public final class OutputDirectory {
    /// The folder as named (for messages).
    public let path: String
    /// Its identity.
    public let id: FileIdentity
    private let fd: Int32

    /// Creates the folder (and its parents) when missing, then opens it.
    /// - Throws: `AtomicFileError` naming the folder and why.
    public convenience init(creating path: String) throws(AtomicFileError) {
        do { try AtomicFile.createDirectory(path) } catch let error as AtomicFileError { throw error } catch {
            throw AtomicFileError(path: path, message: "cannot create directory \(path): \(error)")
        }
        try self.init(opening: open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), path: path)
    }

    private init(opening fd: Int32, path: String) throws(AtomicFileError) {
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link; a folder output does not follow links inside it" : AtomicFile.osReason()
            throw AtomicFileError(path: path, message: "cannot open directory \(path): \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            _ = close(fd)
            throw AtomicFileError(path: path, message: "cannot open directory \(path): not a directory")
        }
        self.fd = fd
        self.path = path
        self.id = FileIdentity(info)
    }

    deinit { _ = close(fd) }

    /// The subfolder `name` (one component), created when missing; a link there is refused.
    /// - Throws: `AtomicFileError` naming the subfolder and why.
    public func subdirectory(_ name: String) throws(AtomicFileError) -> OutputDirectory {
        let shown = display(name)
        try OutputDirectory.checkName(name, shown: shown)
        if mkdirat(fd, name, 0o777) != 0 && errno != EEXIST {
            throw AtomicFileError(path: shown, message: "cannot create directory \(shown): \(AtomicFile.osReason())")
        }
        return try OutputDirectory(opening: openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), path: shown)
    }

    /// Atomically replaces (or creates) the file `name` (one component) in the folder with `bytes`.
    /// - Throws: `AtomicFileError` when the name is a link, a directory or anything but a regular
    ///   file, or the OS refuses; the temporary file is removed and the old file left as it was.
    public func write(_ bytes: [UInt8], to name: String) throws(AtomicFileError) {
        let shown = display(name)
        try OutputDirectory.checkName(name, shown: shown)
        var info = stat()
        var mode: mode_t? = nil
        if fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: mode = info.st_mode & 0o7777
            case S_IFLNK:
                throw AtomicFileError(path: shown, message: "cannot write \(shown): it is a symbolic link, and a file in \(path) never replaces what a link leads to; remove the link")
            case S_IFDIR: throw AtomicFileError(path: shown, message: "cannot write \(shown): it is a directory")
            default: throw AtomicFileError(path: shown, message: "cannot write \(shown): it is not a regular file; only regular files are replaced")
            }
        }
        let stem = String(decoding: name.utf8.prefix(200), as: UTF8.self)
        var temporary = "", file: Int32 = -1
        for _ in 0..<8 {
            temporary = "." + stem + ".tmp-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            file = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            if file >= 0 || errno != EEXIST { break }
        }
        guard file >= 0 else { throw AtomicFileError(path: shown, message: "cannot write \(shown): \(AtomicFile.osReason())") }
        do throws(AtomicFileError) {
            if let mode { _ = fchmod(file, mode) }
            do { try AtomicFile.writeAll(bytes, to: file, path: shown) } catch let error as AtomicFileError { throw error } catch {
                throw AtomicFileError(path: shown, message: "cannot write \(shown): \(error)")
            }
            guard fsync(file) == 0 else { throw AtomicFileError(path: shown, message: "cannot write \(shown): \(AtomicFile.osReason())") }
            let closed = close(file)
            file = -1
            guard closed == 0 else { throw AtomicFileError(path: shown, message: "cannot write \(shown): \(AtomicFile.osReason())") }
            // renameat replaces the name itself: a link that appeared there since is replaced, not followed.
            guard renameat(fd, temporary, fd, name) == 0 else {
                throw AtomicFileError(path: shown, message: "cannot write \(shown): \(AtomicFile.osReason())")
            }
        } catch {
            if file >= 0 { _ = close(file) }
            _ = unlinkat(fd, temporary, 0)
            throw error
        }
        _ = fsync(fd)
    }

    /// `write` of UTF-8 text.
    public func write(_ text: String, to name: String) throws(AtomicFileError) { try write(Array(text.utf8), to: name) }

    private func display(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }

    private static func checkName(_ name: String, shown: String) throws(AtomicFileError) {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0), name.utf8.count <= 255 else {
            throw AtomicFileError(path: shown, message: "cannot write \"\(shown)\": not a file name in the folder")
        }
    }
}
