import Autograd
import Datasets
import Expressions
import Support

/// Input values from files (`--values`), each with where it came from, so that a name given twice
/// (in two files, or in a file and in `--at`) is refused with both places.
///
/// `--values FILE` reads a JSON object of names to values, `{"x": 1.5, "W": [[1, 2], [3, 4]]}`;
/// `--values NAME=FILE` reads one value named NAME: a NumPy `.npy` array (told by its magic bytes)
/// or a JSON number or array; `--values FILE.npz` reads every array of a NumPy archive under its
/// own name (`NumPyArchive`). Every file is read by `RegularFile` (regular files only, at most
/// `DataLimits.fileBytes`, which also bounds an archive's inflated arrays) and held at the door to
/// the limits of `--at`: valid names, rectangular arrays, finite numbers, `GraphLimits.standard`.
public struct GivenValues: Sendable {
    public typealias Value = (name: String, value: Tensor, source: String)
    public private(set) var values: [Value] = []

    public init() {}

    /// Values already read, from `source` (the server's `"values"`).
    public init(_ pairs: [(name: String, value: Tensor)], source: String) throws(WorkbenchFailure) {
        for (name, value) in pairs { try add(name, value, source: source) }
    }

    /// Reads every `--values` argument, in order.
    public init(files arguments: [String]) throws(WorkbenchFailure) {
        for argument in arguments { try read(argument) }
    }

    mutating func add(_ name: String, _ value: Tensor, source: String) throws(WorkbenchFailure) {
        if let earlier = values.first(where: { $0.name == name }) {
            throw .badInput("'\(name)' is given twice: in \(earlier.source) and in \(source)", at: SourceLocation(file: source))
        }
        values.append((name, value, source))
    }

    mutating func read(_ argument: String) throws(WorkbenchFailure) {
        var name: String? = nil
        var path = argument
        if let equals = argument.firstIndex(of: "="), ValuesJSON.isName(String(argument[..<equals])) {
            name = String(argument[..<equals])
            path = String(argument[argument.index(after: equals)...])
        }
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, limit: DataLimits.fileBytes) } catch {
            throw .badInput("cannot read this values file: it \(error)", at: SourceLocation(file: path))
        }
        do {
            if NumPyArchive.isArchive(bytes) {
                if name != nil {
                    throw ValuesFileError("an .npz holds named arrays, each read under its own name: give it without a name, --values \(path)")
                }
                for (name, value) in try NumPyArchive.arrays(bytes, limit: DataLimits.fileBytes) { try add(name, value, source: path) }
            } else if let name {
                let value = ValuesNumPy.isNumPy(bytes) ? try ValuesNumPy.array(bytes) : try ValuesJSON.value(bytes)
                try add(name, value, source: path)
            } else {
                if ValuesNumPy.isNumPy(bytes) {
                    throw ValuesFileError("a .npy file holds one array without a name: give it one, --values W=\(path)")
                }
                for (name, value) in try ValuesJSON.object(bytes) { try add(name, value, source: path) }
            }
        } catch let error as ValuesFileError {
            throw .badInput(error.message, at: SourceLocation(file: path, line: error.line, column: error.column))
        } catch let error as WorkbenchFailure {
            throw error
        } catch {
            throw .badInput("\(error)", at: SourceLocation(file: path))
        }
    }
}
