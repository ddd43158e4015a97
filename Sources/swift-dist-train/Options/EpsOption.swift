import ArgumentParser
import Common

/// `--eps`, for the commands that compute Dice-family losses.
struct EpsOption: ParsableArguments {
    @Option(help: "Smoothing of the Dice family's numerator and denominator (0: the raw formulas).")
    var eps = 1e-10

    func validate() throws {
        try validating { try Check.float(eps, flag: "--eps") }
    }
}
