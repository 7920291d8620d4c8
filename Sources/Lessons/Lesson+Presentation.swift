import TOMLKit
import Support

extension Lesson {
    /// How a lesson is shown, apart from what it computes: its chapter, the notes' symbols for the
    /// program's names, which inputs are data (no backward step into them), which statements are
    /// replayed step by step, and whether there is a backward pass at all (docs/lesson-format.md).
    public struct Presentation: Sendable {
        /// The chapter `backprop lessons` lists the lesson under, e.g. "Backpropagation on a graph".
        public var chapter: String?
        /// False for a lesson whose program only counts (parameter counts, sizes): no backward steps.
        public var backward = true
        /// Inputs that are data or labels (targets, images): the backward pass shows no step into them.
        public var labels: [String] = []
        /// The notes' symbol for a program name: `ybar = "ȳ"`. The narration writes the symbol.
        public var symbols: [String: String] = [:]
        /// When not empty, only these statements (by name) are replayed operation by operation; every
        /// other statement is one line with its value, and backward shows only the steps into them.
        public var stepByStep: [String] = []

        static let keys = ["chapter", "backward", "labels", "symbols", "step_by_step"]

        init() {}

        /// Reads the presentation keys of a lesson's top-level table.
        init(_ table: TOMLTable, file: String, lineOf: (String) -> Int) throws(WorkbenchFailure) {
            func fail(_ key: String, _ message: String) -> WorkbenchFailure { .badInput(message, at: SourceLocation(file: file, line: lineOf(key))) }
            func strings(_ key: String) throws(WorkbenchFailure) -> [String] {
                guard let value = table[key] else { return [] }
                guard let array = value.array else { throw fail(key, "'\(key)' must be an array of strings") }
                var result: [String] = []
                for item in array {
                    guard let text = item.string else { throw fail(key, "'\(key)' must be an array of strings") }
                    result.append(text)
                }
                return result
            }
            if let value = table["chapter"] {
                guard let text = value.string, !text.isEmpty else { throw fail("chapter", "'chapter' must be a non-empty string") }
                chapter = text
            }
            if let value = table["backward"] {
                guard let flag = value.bool else { throw fail("backward", "'backward' must be true or false") }
                backward = flag
            }
            labels = try strings("labels")
            stepByStep = try strings("step_by_step")
            if let value = table["symbols"] {
                guard let symbols = value.table else { throw fail("symbols", "[symbols] must be a table: name = \"symbol\"") }
                for key in symbols.keys {
                    guard let text = symbols[key]?.string, !text.isEmpty else { throw fail(key, "symbol '\(key)' must be a non-empty string") }
                    self.symbols[key] = text
                }
            }
        }
    }
}
