import Support

/// A failure to start the server: one line, exit 2 (bad option, unusable data directory or port).
public struct ServerFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The workbench's own diagnostic when that is what failed (a lesson file that does not load),
    /// to be reported as it is, with its file and line, not as a sentence inside another.
    public let failure: WorkbenchFailure?
    init(_ description: String) { self.description = description; failure = nil }
    init(_ failure: WorkbenchFailure) { description = failure.what; self.failure = failure }
}
