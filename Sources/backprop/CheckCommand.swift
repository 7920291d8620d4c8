import ArgumentParser
import Foundation
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages

/// `backprop check`: check claims about gradients (`df/dx = z`) against the engine.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check claims about gradients (df/dx = z) against the engine; name the first wrong link and the mistake.",
        discussion: """
            A claim is dA/dB = right side (or ∂A/∂B = …). A is the output or any named node, B any named node or input. The right side is a number, a tensor literal or a formula over the program's names; a formula is checked at the given point and at random points (docs/checking.md).

              backprop check "q = x + y; f = q * z" --at x=-2,y=5,z=-4 \\
                  --claim "df/dx = z" --claim "df/dz = 3"
              backprop check --file prog.bp --at x=2 --claim "df/dx = 2 * x" --json

            Exit status: 0 every claim is right; 1 a claim is wrong; 2 bad input.
            """)

    @OptionGroup var input: ProgramOptions

    @Option(name: .long, help: "A claim such as \"df/dx = z\" or \"∂f/∂q = -4\" (repeat for several).")
    var claim: [String] = []

    @Option(name: .long, help: "How many random points a formula is checked at besides the given one.")
    var points: Int = 5

    @Option(name: .long, help: "The seed of the random points.")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "Print one JSON object (schema in docs/checking.md) instead of the report.")
    var json = false

    func validate() throws {
        if claim.isEmpty { throw ValidationError("no claim to check: give one with --claim, e.g. --claim \"df/dx = z\"") }
        if !(0...1000).contains(points) { throw ValidationError("--points \(points): use 0 to 1000 random points") }
    }

    func run() throws {
        let (source, name) = try input.source()

        let check = try ClaimCheck(source: source, file: name, inputs: input.at, values: try input.givenValues(), claims: claim, randomPoints: points, seed: seed)
        for note in check.job.notes where note.hasPrefix("warning:") { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        print(json ? check.json().serialized() : check.table())
        if !check.passed {
            let wrong = check.results.filter { !$0.passed }.count
            let first = check.firstWrong.map { "; the first in backward order is \($0.claim.left)" } ?? ""
            throw WorkbenchFailure.failed(check.results.count == 1 ? "the claim is wrong" : "\(wrong) of \(check.results.count) claims \(wrong == 1 ? "is" : "are") wrong\(first)")
        }
    }
}
