import ArgumentParser
import Support
import Diagrams
import Claims
import ModelFiles
import Lessons
import Grading
import Pages
import Expressions

/// Where a program comes from and its input values: what `trace` and `check` share.
struct ProgramOptions: ParsableArguments {
    @Argument(help: "The program text, or '-' to read it from standard input.")
    var program: String?

    @Option(name: .long, help: "Read the program from this file instead.")
    var file: String?

    @Option(name: .long, help: "Input values: x=-2,y=5 or tensors as literals: 'W=[[1,2],[3,4]]'.")
    var at: String?

    @Option(name: .long, help: ArgumentHelp("Input values from a file: a JSON object {\"x\": 1.5, \"W\": [[1, 2], [3, 4]]}, or NAME=FILE for one array (a NumPy .npy file or a JSON value). Repeatable; a name may be given once.", valueName: "FILE"))
    var values: [String] = []

    func validate() throws {
        if program != nil && file != nil { throw ValidationError("give the program as an argument or with --file, not both") }
        if program == nil && file == nil { throw ValidationError("missing the program: give it as an argument, with --file FILE, or '-' for standard input") }
    }

    /// The values of every `--values` file, read and checked (bad input, exit 2, names the file).
    func givenValues() throws -> GivenValues { try GivenValues(files: values) }

    /// The paths of the `--values` files, which no output may replace.
    var valuePaths: [String] {
        values.map { argument in
            guard let equals = argument.firstIndex(of: "="), ValuesJSON.isName(String(argument[..<equals])) else { return argument }
            return String(argument[argument.index(after: equals)...])
        }
    }

    /// The program's text, and its name in messages (the file, `stdin` or `program`).
    func source() throws -> (text: String, name: String) {
        if let file { return (try InputFile.text(file), file) }
        if program == "-" { return (try InputFile.text("-"), "stdin") }
        return (program ?? "", "program")
    }
}
