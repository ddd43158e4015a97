/// A training checkpoint: what the loop needs to continue (`Position`). The file
/// format, weights plus optimizer state, is `ENetTraining`'s (`TrainingCheckpointFile.swift`).
public enum TrainingCheckpoint {
    /// Where training stands, early stopping's count included, so that a resumed run
    /// continues exactly.
    public struct Position: Equatable {
        public var epoch: Int
        public var step: Int
        /// The best validation foreground Dice so far (-inf before any).
        public var bestDice: Double
        /// The epoch (1-based) that had `bestDice` (0: none).
        public var bestEpoch: Int
        /// Validations in a row whose Dice did not exceed the best by more than `--min-delta`.
        public var epochsWithoutImprovement: Int

        public init(epoch: Int, step: Int, bestDice: Double, bestEpoch: Int = 0, epochsWithoutImprovement: Int = 0) {
            self.epoch = epoch
            self.step = step
            self.bestDice = bestDice
            self.bestEpoch = bestEpoch
            self.epochsWithoutImprovement = epochsWithoutImprovement
        }

        /// Before the first step.
        public static let start = Position(epoch: 0, step: 0, bestDice: -.infinity)

        /// Records the validation of `epoch` (1-based) with foreground Dice `dice`; returns
        /// whether it is a new best (for `best.h5`). It counts as an improvement for early
        /// stopping only above the best by more than `minDelta`. A NaN Dice (no validation
        /// volumes) is no validation: nothing changes.
        public mutating func recordValidation(epoch: Int, dice: Double, minDelta: Double) -> Bool {
            guard !dice.isNaN else { return false }
            epochsWithoutImprovement = dice > bestDice + minDelta || bestDice == -.infinity ? 0 : epochsWithoutImprovement + 1
            guard dice > bestDice else { return false }
            bestDice = dice
            bestEpoch = epoch
            return true
        }
    }
}
