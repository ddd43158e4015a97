import ArgumentParser
import Losses
import PatchStore
import SyntheticData
import Training

// Typed flag values: a bad one is refused while parsing (exit 64) with the choices listed.

extension LossKind: ExpressibleByArgument {
    /// Any case, as `LossKind(parsing:)` (and so config.json) accepts it.
    public init?(argument: String) { try? self.init(parsing: argument) }
}

extension DiceScope: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}

extension NonfinitePolicy: ExpressibleByArgument {}
extension LearningRateSchedule.Kind: ExpressibleByArgument {}
extension DatasetKind: ExpressibleByArgument {}
extension SynthDataset: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
