import Foundation
import Testing

/// Golden files: expected output kept next to the tests in `Goldens/`, compared byte for byte.
///
/// With `BACKPROP_RECORD_GOLDENS=1` in the environment (`make goldens`) the test writes the file
/// instead of comparing, and passes. A golden file that does not exist yet is always written, and
/// the test fails so the new file is noticed and reviewed (snapshot-testing's `.missing` mode).
enum GoldenFile {
    /// The folder of golden files, beside this source file.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// Whether this run records goldens instead of comparing them.
    static var isRecording: Bool { ProcessInfo.processInfo.environment["BACKPROP_RECORD_GOLDENS"] == "1" }

    /// Checks `actual` against the golden file `name` (or records it), reporting a failure at the caller.
    /// - Parameters:
    ///   - actual: the output under test.
    ///   - name: the file name inside `Goldens/`, e.g. `001-sum-times.dot`.
    static func check(_ actual: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        let exists = FileManager.default.fileExists(atPath: url.path)
        if isRecording || !exists {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url, options: .atomic)
            if !exists && !isRecording {
                Issue.record("Recorded the missing golden file \(url.path); review it and run again.", sourceLocation: sourceLocation)
            }
            return
        }
        let expected = try Data(contentsOf: url)
        guard expected != Data(actual.utf8) else { return }
        let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent("actual-" + name)
        try? Data(actual.utf8).write(to: actualURL, options: .atomic)
        Issue.record("""
            \(name) differs from its golden file (\(firstDifference(String(decoding: expected, as: UTF8.self), actual))).
            diff \(url.path) \(actualURL.path)
            Run `make goldens` to record the new output if the change is intended.
            """, sourceLocation: sourceLocation)
    }

    /// Where two texts first differ, as `line N: expected … / actual …`.
    static func firstDifference(_ expected: String, _ actual: String) -> String {
        let expectedLines = expected.components(separatedBy: "\n"), actualLines = actual.components(separatedBy: "\n")
        for line in 0..<max(expectedLines.count, actualLines.count) {
            let wanted = line < expectedLines.count ? expectedLines[line] : "<end of file>"
            let got = line < actualLines.count ? actualLines[line] : "<end of file>"
            if wanted != got { return "line \(line + 1): expected \(wanted.prefix(160)) / actual \(got.prefix(160))" }
        }
        return "same lines, different bytes"
    }
}
