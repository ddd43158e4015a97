/// A failed HDF5 operation, naming the file and what went wrong.
public struct H5Error: Error, CustomStringConvertible, Equatable {
    /// The file the operation was on.
    public let path: String
    /// What went wrong, in words.
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
