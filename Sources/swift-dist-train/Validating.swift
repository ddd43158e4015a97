import ArgumentParser
import Common

/// Runs the library's flag checks (`Check`) in a command's `validate()`, so that a bad value
/// prints the usage and exits 64 like any other parser error.
func validating(_ checks: () throws -> Void) throws {
    do {
        try checks()
    } catch let error as ProgramError {
        throw ValidationError(error.message)
    }
}
