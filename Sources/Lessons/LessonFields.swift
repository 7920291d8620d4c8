import Support
/// Checks shared by the fields of lesson files (`[[check]]`, `[[exercise]]`), so that a value a
/// number type cannot hold is refused with its line instead of trapping: `Int(Double)` stops the
/// process on NaN, infinity or 1e300.
enum LessonFields {
    /// A `digits` field: a whole number from 1 to 17 (what a Double can print), or nil.
    static func digits(_ value: Double) -> Int? {
        guard value.isFinite, value == value.rounded(), value >= 1, value <= 17 else { return nil }
        return Int(value)
    }
}
