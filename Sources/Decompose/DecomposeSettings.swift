import Common
/// What `swift-dist-train decompose` compares, and on which data.
public struct DecomposeSettings: Codable, Equatable, Sendable {
    /// The patch store (.h5).
    public var store: String
    /// The split whose volumes are decomposed (`train`, `val`, `test`).
    public var split = "test"
    /// How many volumes of the split, in store order (0: all).
    public var volumes = 0
    /// Smoothing of the Dice family (0: the raw formulas).
    public var eps = 1e-10
    /// ENet weights to use instead of the seeded random initialisation.
    public var checkpoint: String? = nil
    /// Seed of the random initialisation (ignored with a checkpoint).
    public var seed: UInt64 = 0
    /// OpenMP threads per rank.
    public var threads = 1

    public init(store: String) {
        self.store = store
    }
}

/// A problem with the settings or the data of a decomposition, naming the file involved (a `ProgramError`).
public enum DecomposeError {
    /// A setting out of range (exit 64).
    public static func invalidSetting(_ message: String) -> ProgramError { .invalidValue(message) }

    /// The split of the store has no volume to decompose.
    public static func noVolumes(store: String, split: String) -> ProgramError {
        ProgramError(.emptyDataset, path: store, "the \(split) split has no volumes")
    }

    /// The checkpoint's ENet does not fit the store's channels and classes.
    public static func checkpointMismatch(path: String, inChannels: Int, classes: Int, storeChannels: Int,
                                          storeClasses: Int) -> ProgramError {
        ProgramError(.checkpoint, path: path, "the checkpoint is an ENet for \(inChannels) input channel(s) and \(classes) classes, "
                     + "the store has \(storeChannels) channel(s) and \(storeClasses) classes")
    }
}
