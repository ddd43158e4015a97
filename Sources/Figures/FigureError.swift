import Common

/// Errors from drawing or writing figures; each names the file or input at fault (a `ProgramError`).
public enum FigureError {
    /// A PNG file could not be written (nothing is left at `path`).
    public static func cannotWrite(path: String, reason: String) -> ProgramError {
        ProgramError(.writeFailed, path: path, "cannot write PNG: \(reason)")
    }

    /// A PNG file could not be read or decoded.
    public static func cannotRead(path: String, reason: String) -> ProgramError {
        ProgramError(.badInput, path: path, "cannot read PNG: \(reason)")
    }

    /// The data given to a figure does not fit together (sizes, label values, ...).
    public static func invalidInput(_ message: String) -> ProgramError {
        ProgramError(.badInput, path: nil, "invalid figure input: \(message)")
    }
}
