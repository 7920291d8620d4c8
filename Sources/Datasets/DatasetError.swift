/// Why a data file could not be read: the file, where in it, and what is wrong, in one line.
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public let file: String
    /// Where: `line 12`, `line 12, field 3`, `byte 16`; nil for the whole file.
    public let place: String?
    /// What is wrong.
    public let message: String

    public init(file: String, place: String? = nil, _ message: String) {
        self.file = file
        self.place = place
        self.message = message
    }

    /// `data/iris.csv:12: expected 5 fields, found 4` (CSV lines), `train.idx: byte 16: …` (binary files).
    public var description: String {
        guard let place else { return "\(file): \(message)" }
        return place.hasPrefix("byte") ? "\(file): \(place): \(message)" : "\(file):\(place): \(message)"
    }
}
