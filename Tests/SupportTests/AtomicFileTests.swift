import Foundation
import Testing
@testable import Support

// AtomicFile replaces only regular files, as cp does: devices and pipes are written into and stay
// what they are, links are followed, directories are refused.

@Suite("AtomicFile: outputs that never destroy")
struct AtomicFileTests {
    func kind(_ path: String) -> mode_t { var info = stat(); return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0 }

    @Test("a regular file is replaced whole and keeps its mode; a link is followed and stays a link")
    func regularAndLinks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/a.txt"
        try AtomicFile.write("one", to: file)
        chmod(file, 0o600)
        try AtomicFile.write("two", to: file)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "two")
        var info = stat(); stat(file, &info)
        #expect(info.st_mode & 0o777 == 0o600)

        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "a.txt")
        try AtomicFile.write("three", to: directory + "/link")
        #expect(kind(directory + "/link") == S_IFLNK)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "three")

        try FileManager.default.createSymbolicLink(atPath: directory + "/dangling", withDestinationPath: "missing")
        #expect(throws: AtomicFileError.self) { try AtomicFile.write("x", to: directory + "/dangling") }
        #expect(kind(directory + "/dangling") == S_IFLNK && !FileManager.default.fileExists(atPath: directory + "/missing"))

        #expect(throws: AtomicFileError.self) { try AtomicFile.write("x", to: directory) }
        #expect(kind(directory) == S_IFDIR)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.txt", "dangling", "link"])
    }

    @Test("/dev/null stays a character device; a pipe with no reader is refused and stays a pipe")
    func devicesAndPipes() throws {
        try AtomicFile.write("gradebook", to: "/dev/null")
        #expect(kind("/dev/null") == S_IFCHR)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipe = directory + "/pipe"
        #expect(mkfifo(pipe, 0o644) == 0)
        do { try AtomicFile.write("x", to: pipe); Issue.record("a pipe with no reader was written") } catch let error as AtomicFileError {
            #expect(error.message.contains("a named pipe with no reader"))
        }
        #expect(kind(pipe) == S_IFIFO)
    }
}
