/// A failed evaluation step, naming what it was about (a volume, a file) and the problem.
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    /// The volume name or file path the problem concerns.
    public let subject: String
    /// What went wrong, in words.
    public let message: String

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}
