import Foundation
import Grading
import Support
import TOMLKit

// A variant per student (docs/grading.md, "A variant per student"): the course file names the file of
// the course's secret, `secret_file = "course.secret"`, relative to the course file. The secret itself
// never is in the course file, which teachers share and keep in version control; the secret file is
// 0600, made by `backprop course secret` or at the first `serve --course`.

extension CourseFile {
    /// `secret_file`'s path (relative to the course file's folder), or nil when there is none.
    static func secretFile(_ table: TOMLTable, directory: String, fail: (String) -> WorkbenchFailure) throws(WorkbenchFailure) -> String? {
        guard let value = table["secret_file"] else { return nil }
        guard let name = value.string, !name.isEmpty, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw fail("'secret_file' must name the file of the course's secret (e.g. \"course.secret\"), relative to the course file")
        }
        return name.hasPrefix("/") || directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// The course's variants: its secret (made first when `create` and the file is missing) and its
    /// roster; nil when the course file names no secret file (everyone gets the notes' numbers).
    /// - Throws: `badInput` for a secret file that is missing (without `create`), unsafe or malformed.
    public func variants(create: Bool = false) throws(WorkbenchFailure) -> CourseVariants? {
        guard let secretFile else { return nil }
        if create { try CourseSecret.create(file: secretFile) }
        return CourseVariants(secret: try CourseSecret.read(file: secretFile), students: Set(students.map(\.id)), roster: rosterFile)
    }
}
