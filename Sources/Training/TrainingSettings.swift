/// How the loop runs: epochs, batches, seeds, and what a non-finite step does. A run's
/// other settings (data, model, loss) belong to whoever builds the trainer; all of them
/// are recorded together in `OUT/config.json`.
public struct TrainingSettings: Codable, Equatable {
    public var epochs = 10
    /// Patches per rank per micro-batch.
    public var batch = 8
    /// Micro-batches accumulated per optimizer step.
    public var accumulate = 1
    /// Seed of the data order and the dropout masks (and of the initial weights).
    public var seed: UInt64 = 0
    /// What a non-finite loss or gradient does.
    public var nonfinite = NonfinitePolicy.skip
    /// Compare a parameter checksum across ranks every this many steps (0: never).
    public var checksumEvery = 50
    /// Cap on steps per epoch (0: the whole split); for quick runs and tests.
    public var maxStepsPerEpoch = 0

    public init() {}

    /// Checks the values that do not depend on the data.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { .invalidSetting(message) }
        guard epochs >= 1 else { throw fail("--epochs must be at least 1, got \(epochs)") }
        guard batch >= 1 else { throw fail("--batch must be at least 1, got \(batch)") }
        guard accumulate >= 1 else { throw fail("--accumulate must be at least 1, got \(accumulate)") }
    }
}

/// What a step with a non-finite loss or gradient on any rank does.
public enum NonfinitePolicy: String, Codable, CaseIterable, Sendable {
    /// Skip the step on every rank (counted in the metrics).
    case skip
    /// Stop the job.
    case abort
}
