/// A training checkpoint: what the loop needs to continue (`Position`). The file
/// format, weights plus optimizer state, is `ENetTraining`'s (`TrainingCheckpointFile.swift`).
public enum TrainingCheckpoint {
    /// Where training stands.
    public struct Position: Equatable {
        public var epoch: Int
        public var step: Int
        public var bestDice: Double

        public init(epoch: Int, step: Int, bestDice: Double) {
            self.epoch = epoch
            self.step = step
            self.bestDice = bestDice
        }

        /// Before the first step.
        public static let start = Position(epoch: 0, step: 0, bestDice: -.infinity)
    }
}
