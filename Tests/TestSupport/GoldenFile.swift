import Foundation

/// Golden files: expected output kept next to the tests in a `Goldens/` folder, compared byte for byte.
///
/// With `BACKPROP_RECORD_GOLDENS=1` in the environment (`make goldens`) the file is written instead
/// of compared. Otherwise a golden file that does not exist is a failure, every time: nothing is
/// written into the tests' folder (the output goes to a temporary file to review), so a test can
/// never pass on a second run because its first run wrote what it compares against.
public enum GoldenFile {
    /// Whether this run records goldens instead of comparing them.
    public static var isRecording: Bool { ProcessInfo.processInfo.environment["BACKPROP_RECORD_GOLDENS"] == "1" }

    /// Compares `actual` with the golden file `name` in `directory` (or records it).
    /// - Returns: nil when they agree (or when recording), else what to report.
    public static func compare(_ actual: String, against name: String, in directory: URL) throws -> String? {
        let url = directory.appendingPathComponent(name)
        let exists = FileManager.default.fileExists(atPath: url.path)
        if isRecording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url, options: .atomic)
            return nil
        }
        let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent("actual-" + name)
        guard exists else {
            try? Data(actual.utf8).write(to: actualURL, options: .atomic)
            return "The golden file \(url.path) is missing (the output is in \(actualURL.path)); run `make goldens` to record it, and review it."
        }
        let expected = try Data(contentsOf: url)
        guard expected != Data(actual.utf8) else { return nil }
        try? Data(actual.utf8).write(to: actualURL, options: .atomic)
        return """
            \(name) differs from its golden file (\(firstDifference(String(decoding: expected, as: UTF8.self), actual))).
            diff \(url.path) \(actualURL.path)
            Run `make goldens` to record the new output if the change is intended.
            """
    }

    /// Where two texts first differ, as `line N: expected … / actual …`.
    public static func firstDifference(_ expected: String, _ actual: String) -> String {
        let expectedLines = expected.components(separatedBy: "\n"), actualLines = actual.components(separatedBy: "\n")
        for line in 0..<max(expectedLines.count, actualLines.count) {
            let wanted = line < expectedLines.count ? expectedLines[line] : "<end of file>"
            let got = line < actualLines.count ? actualLines[line] : "<end of file>"
            if wanted != got { return "line \(line + 1): expected \(wanted.prefix(160)) / actual \(got.prefix(160))" }
        }
        return "same lines, different bytes"
    }
}
