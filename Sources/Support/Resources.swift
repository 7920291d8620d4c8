import Foundation

/// Where the files the workbench ships are found: the lessons directory and the data sets beside it.
public enum Resources {
    /// Where the lesson files are: `$BACKPROP_LESSONS`, else `./lessons`, else the package's `lessons/`
    /// found by walking up from the executable.
    public static func lessonsDirectory() throws(WorkbenchFailure) -> String {
        func hasLessons(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                && ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains { $0.hasSuffix(".toml") }
        }
        if let path = ProcessInfo.processInfo.environment["BACKPROP_LESSONS"] {
            guard hasLessons(path) else { throw .badInput("BACKPROP_LESSONS=\(path): not a directory of lesson files (*.toml)") }
            return path
        }
        var candidates = [FileManager.default.currentDirectoryPath + "/lessons"]
        // The executable's own path (through /proc, so a bare `backprop` found on PATH works too).
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(url.appendingPathComponent("lessons").path); url.deleteLastPathComponent() }
        for candidate in candidates where hasLessons(candidate) { return candidate }
        throw .badInput("cannot find the lessons directory (looked in ./lessons and beside the program); set BACKPROP_LESSONS")
    }

    /// `data/` in the lessons directory, or else the package's `lessons/data` beside the program
    /// (so a draft lesson in a directory of its own, `BACKPROP_LESSONS=/tmp/drafts`, still finds the data).
    public static func dataDirectory() throws(WorkbenchFailure) -> String {
        var candidates: [String] = []
        if let lessons = try? lessonsDirectory() { candidates.append(lessons + "/data") }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(url.appendingPathComponent("lessons/data").path); url.deleteLastPathComponent() }
        var isDirectory: ObjCBool = false
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue }) { return found }
        throw .badInput("cannot find the data sets (looked in the lessons directory's data/ and beside the program)")
    }

}
