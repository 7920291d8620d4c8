import Foundation
import Testing
@testable import Support

// Issue 30: folder outputs are written through the folder's descriptor and never follow a link;
// an output that is an input of the run (through a link or a hard link too) is refused.

private func scratch() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("outputs-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Output folders and the inputs of a run")
struct OutputFileTests {
    @Test("a page is created, then replaced whole; no temporary file is left")
    func writeAndReplace() throws {
        let directory = try scratch()
        let folder = try OutputDirectory(creating: directory + "/out")
        try folder.write("first", to: "a.md")
        try folder.write("second", to: "a.md")
        #expect(try String(contentsOfFile: directory + "/out/a.md", encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/out") == ["a.md"])
    }

    @Test("a link at the name is refused and what it points to is unchanged")
    func linkRefused() throws {
        let directory = try scratch()
        try "outside".write(toFile: directory + "/outside.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        #expect(symlink("../outside.txt", directory + "/out/a.md") == 0)
        let folder = try OutputDirectory(creating: directory + "/out")
        #expect(throws: AtomicFileError.self) { try folder.write("page", to: "a.md") }
        #expect(try String(contentsOfFile: directory + "/outside.txt", encoding: .utf8) == "outside")
        #expect(symlink("../elsewhere", directory + "/out/sub") == 0)
        #expect(throws: AtomicFileError.self) { _ = try folder.subdirectory("sub") }
        for name in ["", ".", "..", "x/y"] {
            #expect(throws: AtomicFileError.self) { try folder.write("page", to: name) }
        }
    }

    @Test("an output that is an input, by path, link or hard link, is refused; another file is not")
    func runFiles() throws {
        let directory = try scratch()
        try "x".write(toFile: directory + "/in.toml", atomically: true, encoding: .utf8)
        #expect(symlink("in.toml", directory + "/soft") == 0 && link(directory + "/in.toml", directory + "/hard") == 0)
        let files = RunFiles(inputs: [(directory + "/in.toml", "the model file"), (nil, "nothing")])
        for path in ["/in.toml", "/soft", "/hard", "/./in.toml"] {
            #expect(throws: WorkbenchFailure.self) { try files.check(directory + path, option: "--save") }
        }
        try files.check(directory + "/new.json", option: "--save")
        try files.check([("-o", nil), ("--html", directory + "/other.html")])
    }
}
