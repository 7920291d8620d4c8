import Foundation
import Diagrams
import Support
import Claims
import Lessons
import Grading

/// The paper a page is printed on.
public enum Paper: String, Sendable, CaseIterable {
    case a4 = "A4"
    case letter = "Letter"

    /// The paper a name gives, in any case (`a4`, `letter`).
    public init?(name: String) {
        guard let paper = Paper.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = paper
    }

    /// Its size in PostScript points (1/72 inch), as a PDF's `/MediaBox` gives it.
    public var points: (width: Double, height: Double) {
        switch self {
        case .a4: return (595.28, 841.89)
        case .letter: return (612, 792)
        }
    }
}

/// Printing a self-contained page to PDF with headless Chromium (`chromium --print-to-pdf`).
///
/// The page gets an `@page` rule for the paper and 14 mm margins; its own print style keeps each
/// drawing, table and exercise on one page (a drawing taller than the page is scaled to fit it).
/// Chromium runs with a throw-away profile and no network use (the pages load nothing), and is
/// given 90 seconds. The PDF is written atomically.
public enum PrintedPage {
    /// Where Chromium is: `$BACKPROP_CHROMIUM`, else Debian's `/usr/bin/chromium`.
    public static var chromium: String {
        ProcessInfo.processInfo.environment["BACKPROP_CHROMIUM"] ?? "/usr/bin/chromium"
    }

    /// Prints `html` to a PDF at `path`.
    /// - Throws: `WorkbenchFailure.failed` if Chromium is missing or fails; `.badInput` for a bad path.
    public static func write(html: String, to path: String, paper: Paper) throws(WorkbenchFailure) {
        try Drawing.save(try pdf(html: html, paper: paper), to: path)
    }

    /// The PDF bytes of `html` printed on `paper`.
    public static func pdf(html: String, paper: Paper) throws(WorkbenchFailure) -> [UInt8] {
        let executable = chromium
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw .failed("printing to PDF needs Chromium at \(executable) (scripts/install-deps.sh installs it; or set BACKPROP_CHROMIUM)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-print-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let page = scratch.appendingPathComponent("page.html"), output = scratch.appendingPathComponent("page.pdf")
        let rule = "<style>@page { size: \(paper.rawValue); margin: 14mm; }</style>\n</head>"
        let printable = html.range(of: "</head>").map { html.replacingCharacters(in: $0, with: rule) } ?? html
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try Data(printable.utf8).write(to: page)
        } catch { throw .failed("could not prepare the page to print: \(error.localizedDescription)") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--mute-audio", "--no-pdf-header-footer",
            "--user-data-dir=" + scratch.appendingPathComponent("profile").path,
            "--print-to-pdf=" + output.path, page.absoluteString,
        ]
        let log = scratch.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try? FileHandle(forWritingTo: log)
        do { try process.run() } catch { throw .failed("could not start \(executable): \(error.localizedDescription)") }
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw .failed("Chromium did not print the page within 90 seconds")
        }
        guard let data = try? Data(contentsOf: output), data.starts(with: Array("%PDF".utf8)) else {
            let said = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(separator: "; ")
            throw .failed("Chromium did not print the page (exit \(process.terminationStatus))" + (said.isEmpty ? "" : ": " + said))
        }
        return [UInt8](data)
    }
}

/// The outputs of `backprop lesson N`: `-o` (a drawing, or the whole lesson as `.pdf`), `--svg`
/// (step frames) and `--html` (the lesson page).
public enum LessonOutputs {
    public static func write(_ run: LessonRun, output: String?, steps: String?, html: String?, paper: Paper) throws(WorkbenchFailure) {
        let printed = output.map { ($0 as NSString).pathExtension.lowercased() == "pdf" } ?? false
        try Drawing.write(run.job.trace, options: .init(), output: printed ? nil : output, steps: steps, html: nil, full: false, canInsist: false)
        if let html { try Drawing.save(Array(try LessonPage.html(run).utf8), to: html) }
        if printed, let output { try PrintedPage.write(html: try LessonPage.html(run, printing: true), to: output, paper: paper) }
    }
}
