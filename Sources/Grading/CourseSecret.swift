import Crypto
import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// A course's secret: the key from which each student's variant of the exercises is drawn
/// (`ExerciseVariant`). Kept in its own file, which the course file names (`secret_file`), readable by
/// its owner only: without it, a student who knows a classmate's id cannot work out their inputs.
///
/// The file holds the key as hexadecimal digits on one line: at least 32 (128 bits); `create` writes 64
/// (256 bits from `SystemRandomNumberGenerator`).
public struct CourseSecret: Sendable {
    let key: SymmetricKey
    /// The fewest bytes a key may have (128 bits).
    public static let minimumBytes = 16

    /// A secret from its bytes (tests).
    public init(bytes: [UInt8]) { key = SymmetricKey(data: bytes) }

    /// Reads the secret file.
    /// - Throws: `badInput` (exit 2) when it is missing (with how to make one), not a regular file, not
    ///   the user's own, readable or writable by group or others, or not 32 to 1,024 hex digits.
    public static func read(file: String) throws(WorkbenchFailure) -> CourseSecret {
        let where_ = SourceLocation(file: file)
        let descriptor = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT {
                throw .badInput("the course's secret file does not exist; make it with 'backprop course secret --course FILE' (or start 'backprop serve --course FILE' once)", at: where_)
            }
            throw .badInput("the course's secret file cannot be read: \(reason)", at: where_)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .badInput("the course's secret file is not a regular file", at: where_)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .badInput("the course's secret file can be read or written by others (mode \(String(info.st_mode & 0o777, radix: 8))); it must be the owner's only: chmod 600 '\(TerminalText.safe(file))'", at: where_)
        }
        guard info.st_uid == geteuid() else {
            throw .badInput("the course's secret file belongs to another user (uid \(info.st_uid)); it must be yours", at: where_)
        }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, 2048) }
        guard count >= 0 else { throw .badInput("the course's secret file cannot be read: \(String(cString: strerror(errno)))", at: where_) }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = hexBytes(text), (minimumBytes...512).contains(bytes.count) else {
            throw .badInput("the course's secret file must hold one line of 32 to 1,024 hexadecimal digits (at least 128 bits); make a new one with 'backprop course secret'", at: where_)
        }
        return CourseSecret(bytes: bytes)
    }

    /// Makes a new secret file (mode 0600, `O_EXCL`: never over an existing file or through a link)
    /// with 256 random bits. Returns false, changing nothing, when the file exists already.
    /// - Throws: `badInput` when it cannot be created.
    @discardableResult
    public static func create(file: String) throws(WorkbenchFailure) -> Bool {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw .badInput("the course's secret file cannot be created: \(String(cString: strerror(errno)))", at: SourceLocation(file: file))
        }
        defer { close(descriptor) }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let line = Array((bytes.map { String(format: "%02x", $0) }.joined() + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, line.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            unlink(file)
            throw .badInput("the course's secret file could not be written: \(String(cString: strerror(errno)))", at: SourceLocation(file: file))
        }
        return true
    }

    /// HMAC-SHA256 of `message` under the secret.
    func mac(_ message: [UInt8]) -> [UInt8] { Array(HMAC<SHA256>.authenticationCode(for: message, using: key)) }

    /// The bytes of an even-length hexadecimal text (either case), or nil: the secret file's and
    /// the course file's teacher token digests.
    public static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.lowercased().utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
