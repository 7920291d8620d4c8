import Foundation
import Testing

// The library as a Swift user meets it: Examples/LibraryDemo is a separate package that depends
// on this one by `.package(path: "../..")`. The test builds it with `swift build`, runs its two
// programs and checks what they print; and the programs are the ones docs/library.md shows.
//
// The demo package keeps its build directory (Examples/LibraryDemo/.build, ignored by git), so
// only the first run compiles Autograd, Datasets and NeuralNetworks a second time.

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let demo = packageRoot.appendingPathComponent("Examples/LibraryDemo")

/// Runs a program to completion; its output goes to files, so nothing blocks however much it prints.
private func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("library-demo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close(); try err.close()
    return (process.terminationStatus, String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// The ```swift blocks of a Markdown file, in order, each without its fences.
private func swiftBlocks(of markdown: String) -> [String] {
    var blocks: [String] = [], current: [Substring]? = nil
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        if current == nil, line == "```swift" { current = [] }
        else if current != nil, line == "```" { blocks.append(current!.joined(separator: "\n") + "\n"); current = nil }
        else { current?.append(line) }
    }
    return blocks
}

@Suite("The library from a separate package", .serialized)
struct LibraryDemoTests {
    @Test("docs/library.md opens with the demo package's two programs, word for word")
    func docsShowTheExamples() throws {
        let markdown = try String(contentsOf: packageRoot.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let blocks = swiftBlocks(of: markdown)
        #expect(blocks.count >= 2)
        for (index, target) in ["SumTimes", "MicrogradDemo"].enumerated() where index < blocks.count {
            let source = try String(contentsOf: demo.appendingPathComponent("Sources/\(target)/main.swift"), encoding: .utf8)
            #expect(blocks[index] == source, "docs/library.md's block \(index + 1) differs from Examples/LibraryDemo/Sources/\(target)/main.swift")
        }
    }

    @Test("the demo package builds against this one by path and prints the notes' numbers and a falling loss",
          .timeLimit(.minutes(15)))
    func buildAndRun() throws {
        // The `swift` on PATH: the toolchain that runs this test.
        let (swift, prefix) = ("/usr/bin/env", ["swift"])
        // Product by product: a plain `swift build` may also build this package's executable and
        // plugins, which the demo does not use.
        for product in ["SumTimes", "MicrogradDemo"] {
            var build = try run(swift, prefix + ["build", "--package-path", demo.path, "--product", product], in: demo)
            if build.status != 0 {
                // The kept build directory plans this package's modules from the files they had when
                // it was made: a source file added since is missing from it ("cannot find type" in
                // the file that uses it). A new clone has no such directory; build once more from
                // nothing, as it would, before calling the build broken.
                try? FileManager.default.removeItem(at: demo.appendingPathComponent(".build"))
                build = try run(swift, prefix + ["build", "--package-path", demo.path, "--product", product], in: demo)
            }
            try #require(build.status == 0, "swift build --product \(product) failed:\n\(build.stdout)\n\(build.stderr)")
        }

        // It depends on this package by path and on nothing else.
        let manifest = try String(contentsOf: demo.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains(".package(name: \"BackpropWorkbench\", path: \"../..\")"))
        let code = manifest.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
        #expect(code.filter { $0.contains(".package(") }.count == 1, "one dependency, by path")

        let binaries = demo.appendingPathComponent(".build/debug")
        let sumTimes = try run(binaries.appendingPathComponent("SumTimes").path, [], in: demo)
        #expect(sumTimes.status == 0, "\(sumTimes.stderr)")
        #expect(sumTimes.stdout == "f = -12\ndf/dx = -4\ndf/dy = -4\ndf/dz = 3\n")

        let training = try run(binaries.appendingPathComponent("MicrogradDemo").path, [], in: demo)
        #expect(training.status == 0, "\(training.stderr)")
        let lines = training.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "MLP 2-16-16-1 with 337 parameters, 100 points")
        var losses: [Double] = [], accuracies: [Int] = []
        for line in lines.dropFirst() {
            // step 3 loss 0.4033, accuracy 81%
            let words = line.split(separator: " ")
            guard words.count == 6, words[0] == "step", Int(words[1]) == losses.count, words[2] == "loss",
                  let loss = Double(words[3].dropLast()), words[4] == "accuracy", let accuracy = Int(words[5].dropLast()) else {
                Issue.record("unexpected line: \(line)")
                continue
            }
            losses.append(loss)
            accuracies.append(accuracy)
        }
        #expect(losses.count == 20)
        guard let first = losses.first, let last = losses.last else { return }
        #expect(last < 0.3 * first, "losses \(losses)")
        #expect(zip(losses, losses.dropFirst()).filter { $1 < $0 }.count >= 17, "the loss falls at (nearly) every step: \(losses)")
        #expect((accuracies.last ?? 0) > (accuracies.first ?? 100), "accuracies \(accuracies)")
    }
}
