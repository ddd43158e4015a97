import ArgumentParser
import ENetTraining
import Losses

/// The loss `train` optimises and its parameters.
struct LossOptions: ParsableArguments {
    @Option(help: "The loss.")
    var loss = LossKind.mime

    @OptionGroup var eps: EpsOption

    @Option(help: "Where a Dice ratio is formed: patch, batch (the rank's batch) or global (all ranks).")
    var diceScope = DiceScope.patch

    @Flag(help: "Leave the background out of the Dice family and Mime.")
    var excludeBackground = false

    @Option(parsing: .upToNextOption, help: "Mime a_k per class (with --mime-b; default: from the store).")
    var mimeA: [Double] = []

    @Option(parsing: .upToNextOption, help: "Mime b_k per class.")
    var mimeB: [Double] = []

    /// `settings` with this loss.
    func applied(to settings: RunSettings) -> RunSettings {
        var settings = settings
        settings.loss = loss
        settings.eps = eps.eps
        settings.diceScope = diceScope
        settings.excludeBackground = excludeBackground
        settings.mimeA = mimeA
        settings.mimeB = mimeB
        return settings
    }
}
