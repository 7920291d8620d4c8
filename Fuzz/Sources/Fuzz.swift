// Coverage-guided fuzzing of every door that reads untrusted input (docs/reliability.md).
//
// One executable, one surface per run, chosen by BACKPROP_FUZZ_SURFACE (or the first argument of
// the replay build): expression, claim, lesson, answer, model, saved, idx, csv, api.
//
// Built with `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING` (scripts/fuzz.sh), libFuzzer
// supplies `main` and calls `LLVMFuzzerTestOneInput` for each input. Built plainly (`swift build`),
// the `@main` below replays files through the same code: `FuzzTargets SURFACE FILE…`, which is how
// `make test` re-runs the committed corpora and the crashes found so far.
//
// A surface passes an input when it returns: an error is a fine outcome, a trap or a sanitizer
// report is not.
import Autograd
import Datasets
import Expressions
import Foundation
import NeuralNetworks
import Support
import Claims
import ModelFiles
import Lessons
import Grading
import Server

enum Surface: String, CaseIterable {
    case expression, claim, lesson, answer, model, saved, idx, csv, api
}

/// The repository's root, found from this file (lessons/001-sum-times.toml is the answers' lesson).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Lesson 1's exercises, prepared once (the answer surface grades against them).
nonisolated(unsafe) var lessonOne: ExerciseSet?

/// Splits an input into parts at lines of `@@` (program, --at values, claims).
func parts(_ text: String) -> [String] {
    text.components(separatedBy: "\n@@\n")
}

/// Runs one input through `surface`; errors are expected and ignored.
func exercise(_ surface: Surface, _ data: [UInt8]) {
    let text = String(decoding: data, as: UTF8.self)
    switch surface {
    case .expression:
        let p = parts(text)
        guard let job = try? TraceJob(source: p[0], inputs: p.count > 1 ? p[1] : nil) else { return }
        _ = TraceReport.table(job.trace)
        _ = TraceReport.json(job.trace).serialized()
        if job.trace.hasGradients, job.program.graph.count < 64, job.program.graph.entries < 256 { _ = try? job.gradientCheck() }
    case .claim:
        let p = parts(text)
        guard p.count >= 3 else { return }
        let claims = p[2].split(separator: "\n").map(String.init).prefix(8)
        _ = try? ClaimCheck(source: p[0], inputs: p[1], claims: Array(claims), randomPoints: 2)
    case .lesson:
        guard let lesson = try? Lesson(text: text, file: "fuzz.toml") else { return }
        // Training (a [model] on MNIST, [training] steps) takes seconds: parse those, run the rest.
        // Exercise sets check formulas at random points; a few exercises keep the rate up.
        guard lesson.model == nil, lesson.training == nil else { return }
        _ = try? LessonRun(lesson)
        if (1...3).contains(lesson.exercises.count) { _ = try? ExerciseSet(lesson) }
    case .answer:
        if lessonOne == nil { lessonOne = try? ExerciseSet(try Lesson(file: root + "/lessons/001-sum-times.toml")) }
        guard let set = lessonOne else { fatalError("lesson 1 does not load from \(root)") }
        let grade = set.grade(bytes: data, file: "fuzz.toml")
        _ = grade.report()
    case .model:
        guard let model = try? ModelFile(text: text, file: "fuzz.toml") else { return }
        _ = try? model.spec.summary()
    case .saved:
        guard let saved = try? SavedModel(text: text, file: "fuzz.json") else { return }
        _ = try? Trainer(spec: saved.spec, settings: .init(), weights: saved.weights, biases: saved.biases)
    case .idx:
        // Through gzip too, for inputs that start with its magic number 1f 8b.
        guard let bytes = try? Compressed.decompressed(data, file: "fuzz.idx") else { return }
        _ = try? IDXFile(bytes: bytes, file: "fuzz.idx")
    case .csv:
        guard let bytes = try? Compressed.decompressed(data, file: "fuzz.csv"),
              let set = try? Datasets.csv(bytes: bytes, file: "fuzz.csv") else { return }
        _ = set.split(heldOut: 0.2, seed: 1)
    case .api:
        // The first byte picks the route ('0' trace, '1' check, '2' diagram, '3' answers), the rest is its body.
        guard let first = data.first else { return }
        RequestBodies.handle(route: RequestBodies.routes[Int(first) % RequestBodies.routes.count], body: Array(data.dropFirst()))
    }
}

#if FUZZING
/// The surface of this run, from BACKPROP_FUZZ_SURFACE.
let fuzzSurface: Surface = {
    guard let name = ProcessInfo.processInfo.environment["BACKPROP_FUZZ_SURFACE"], let surface = Surface(rawValue: name) else {
        fatalError("set BACKPROP_FUZZ_SURFACE to one of " + Surface.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return surface
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    exercise(fuzzSurface, bytes)
    return 0
}

/// libFuzzer's driver (in libclang_rt.fuzzer): SwiftPM links an executable's `main` to this
/// module's entry point, so libFuzzer's own `main` is not used and the entry point starts the driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

/// Without FUZZING, replays files (or every file of a directory) through one surface:
/// `FuzzTargets SURFACE PATH…`. With FUZZING, runs libFuzzer with the command line it was given.
@main
struct Replay {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        _ = fuzzSurface
        exit(runDriver(&argc, &argv) { start, count in fuzzTestOneInput(start, count) })
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, let surface = Surface(rawValue: first), arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: FuzzTargets SURFACE FILE-OR-DIRECTORY…  (surfaces: \(Surface.allCases.map(\.rawValue).joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                exercise(surface, [UInt8](data))
                count += 1
            }
        }
        print("\(surface.rawValue): \(count) inputs replayed, none crashed")
        #endif
    }
}
