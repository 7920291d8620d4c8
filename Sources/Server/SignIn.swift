import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Students' sign-in codes and sessions (docs/serve.md, "Sign-in").
///
/// Each roster student gets a code of 192 random bits (`SystemRandomNumberGenerator`, 32 characters
/// of URL-safe base64), written once to `DATA/sign-in.csv` (mode 0600, created with O_EXCL, later
/// rows appended) for the teacher to hand out. The store keeps only each code's SHA-256, in the
/// table `sign_in_code` of `attempts.sqlite`; a session id (also 192 bits) is kept only as its
/// SHA-256 too, in `session`, with its expiry.
public enum SignIn {
    /// How long a session lasts.
    public static let sessionSeconds: Double = 7 * 24 * 3600
    public static let cookieName = "backprop_session"

    /// 24 random bytes as URL-safe base64 without padding (32 characters, 192 bits), drawn again when
    /// it would start with `-` (a spreadsheet would read the CSV cell as a formula; 191.9 bits remain).
    static func randomCode() -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let code = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            if !code.hasPrefix("-") { return code }
        }
    }

    /// SHA-256 (swift-crypto) of a code, a session id or a token, as 64 lowercase hex digits.
    public static func digest(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Gives every roster student without a code one: appended to `sign-in.csv`, then its hash stored.
    /// `reissue`: these students get a new code even if they have one (the old one and their sessions end).
    /// - Returns: the new rows (student, code).
    @discardableResult
    static func issue(_ course: CourseFile, store: any AttemptStore, directory: String, reissue: Set<String> = [], baseURL: String? = nil) throws(ServerFailure) -> [(student: String, code: String)] {
        let have: Set<String>
        do { have = try store.studentsWithCodes() } catch {
            throw ServerFailure("\(store.location): cannot read the sign-in codes: \(error)")
        }
        let due = course.students.filter { !have.contains($0.id) || reissue.contains($0.id) }
        guard !due.isEmpty else { return [] }
        let rows = due.map { (student: $0, code: randomCode()) }
        // The codes reach the file before their hashes reach the store: a code is never valid unless written.
        let csv = (directory as NSString).appendingPathComponent("sign-in.csv")
        var text = ""
        for row in rows {
            let link = (baseURL ?? "") + "/join/" + row.code
            // Only the roster's text can start like a formula; codes never do, and are written as they are.
            text += [csvField(row.student.id), csvField(row.student.name ?? ""), row.code, link].joined(separator: ",") + "\n"
        }
        try appendSecret(csv, header: "student,name,code,link\n", text: text)
        do { try store.replaceCodes(rows.map { (student: $0.student.id, sha256: digest($0.code)) }, issued: Date()) } catch {
            throw ServerFailure("\(store.location): cannot store the sign-in codes: \(error)")
        }
        return rows.map { ($0.student.id, $0.code) }
    }

    /// `backprop course reissue ID --course FILE --data DIR`: revokes the student's code and sessions
    /// and appends a new code to `DIR/sign-in.csv`. Returns the new code.
    public static func reissue(student: String, courseFile: String, dataDirectory: String) throws(ServerFailure) -> String {
        let course: CourseFile
        do { course = try CourseFile(file: courseFile) } catch { throw ServerFailure(error) }
        guard course.student(student) != nil else {
            throw ServerFailure("\(courseFile): no student '\(student)' on the roster \(course.rosterFile)")
        }
        let store = try SQLiteStore(directory: dataDirectory)
        let rows = try issue(course, store: store, directory: dataDirectory, reissue: [student])
        guard let row = rows.first(where: { $0.student == student }) else { throw ServerFailure("no code was issued for '\(student)'") }
        return row.code
    }

    /// Appends to a file only its owner may read: created with O_EXCL and mode 0600 (with `header`)
    /// when missing, never followed through a symbolic link, refused when it is not a private regular file.
    static func appendSecret(_ path: String, header: String, text: String) throws(ServerFailure) {
        var created = false
        var fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { created = true } else if errno == EEXIST {
            fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else { throw ServerFailure("\(path): cannot write the sign-in codes: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o077 == 0 else {
            throw ServerFailure("\(path): must be a regular file only its owner can read (chmod 600)")
        }
        let bytes = Array(((created ? header : "") + text).utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw ServerFailure("\(path): cannot write the sign-in codes: \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fsync(fd) == 0 else { throw ServerFailure("\(path): cannot write the sign-in codes: \(String(cString: strerror(errno)))") }
    }

    /// A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ is kept from
    /// spreadsheets' formulas by a leading apostrophe.
    static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.first, "=+-@".contains(first) { field = "'" + field }
        guard field.contains(where: { ",\"\n\r".contains($0) }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Looking up

    /// The student whose current code this is, or nil.
    static func student(code: String, store: any AttemptStore) async throws -> String? {
        guard (16...128).contains(code.utf8.count) else { return nil }
        return try await store.student(codeSHA256: digest(code))
    }

    /// Starts a session for `student`; returns its id (only its hash is stored).
    static func startSession(student: String, store: any AttemptStore) async throws -> String {
        let id = randomCode()
        try await store.startSession(idSHA256: digest(id), student: student, expires: Date().addingTimeInterval(sessionSeconds))
        return id
    }

    /// The student of a live session, or nil.
    static func student(session: String, store: any AttemptStore) async throws -> String? {
        guard (16...128).contains(session.utf8.count) else { return nil }
        return try await store.student(sessionSHA256: digest(session))
    }
}
