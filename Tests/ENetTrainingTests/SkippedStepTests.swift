import Cluster
@testable import ENetTraining
import Foundation
import Network
import PatchStore
import TestSupport
import Training
import XCTest

/// A skipped step changes no state: one NaN pixel in one training patch makes the step
/// non-finite on every rank; parameters, Adam's moments and step, and BatchNorm's running
/// statistics must be bit for bit what they were before the step. (The skip is decided after
/// the gradient exchange, on the ranks' agreement: the trainer puts the statistics back there.)
///
/// (A store cannot hold a NaN pixel any more, its reads refuse one; the poison is put into a
/// patch after it was read, as a bad sensor or a bug upstream of the loader would.)
final class SkippedStepTests: XCTestCase {
    /// The store's training split with one pixel of the `poisoned`-th patch read set to NaN.
    final class PoisonedSource: PatchSource {
        let source: StorePatchSource
        let poisoned: Int
        private var reads = 0

        init(_ source: StorePatchSource, poisoned: Int) {
            self.source = source
            self.poisoned = poisoned
        }

        var count: Int { source.count }
        var channels: Int { source.channels }
        var height: Int { source.height }
        var width: Int { source.width }

        func read(_ index: Int, image: UnsafeMutableBufferPointer<Float>, label: UnsafeMutableBufferPointer<UInt8>) throws {
            try source.read(index, image: image, label: label)
            if reads == poisoned { image[image.count / 2] = .nan }
            reads += 1
        }
    }

    /// Records the skipped steps of each epoch; the test writes no checkpoint.
    final class Recorder: MetricsRecording, CheckpointWriting {
        var skipped = 0
        func record(_ metrics: EpochMetrics) throws { skipped = metrics.skippedNonFinite }
        func write(_ name: String, position: TrainingCheckpoint.Position) throws {}
    }

    /// Everything a step could change.
    struct State: Equatable {
        var parameters: [UInt32], statistics: [UInt32], m: [UInt32], v: [UInt32], adamStep: Int
    }

    /// MPI as a singleton in this test process. Its initialisation exports PMIx and Open MPI
    /// variables that would make every `mpirun` launched later from this process (the other
    /// tests) join this singleton's job: they are put back as they were.
    static let world: Communicator = {
        let before = ProcessInfo.processInfo.environment
        let world = Communicator.world
        for (key, value) in ProcessInfo.processInfo.environment where before[key] != value {
            if let old = before[key] { setenv(key, old, 1) } else { unsetenv(key) }
        }
        return world
    }()

    /// Trains `steps` steps of one epoch (batch 2: step s reads patches 2s and 2s+1 in order);
    /// returns the state, the skipped steps and the validation Dice afterwards.
    func train(steps: Int, poisonedRead: Int, store: String) throws -> (State, skipped: Int, dice: [Double]) {
        var settings = RunSettings(store: store, out: "unused")
        settings.loop.epochs = 1
        settings.loop.maxStepsPerEpoch = steps
        settings.loop.batch = 2
        settings.loss = .diceCE
        let world = Self.world
        let reader = try PatchStoreReader(path: store)
        let network = ENet(inChannels: reader.channels, classes: reader.numClasses, seed: 5, backend: .oneDNN)
        let model = ENetReplica(network)
        let optimizer = Adam(count: network.parameterCount, learningRate: 1e-3)
        let source = PoisonedSource(StorePatchSource(reader, split: .train), poisoned: poisonedRead)
        let validation = Validation(reader: reader, batch: 2, world: world)
        let recorder = Recorder()
        let trainer = try Trainer(settings: settings.loop, world: world, model: model, optimizer: optimizer,
                                  loss: try TrainingRun.makeLoss(settings, reader: reader, world: world), source: source,
                                  validation: validation, checkpoints: recorder, metrics: recorder)
        try trainer.train()
        let skipped = recorder.skipped
        let dice = try validation.validate(model)
        let bits = { (buffer: UnsafeMutableBufferPointer<Float>) in buffer.map(\.bitPattern) }
        let state = State(parameters: bits(model.parameters), statistics: bits(model.statistics),
                          m: bits(optimizer.moments.m), v: bits(optimizer.moments.v), adamStep: optimizer.step)
        return (state, skipped, dice)
    }

    func testSkippedStepLeavesEveryStateBitForBit() throws {
        let directory = try makeTemporaryDirectory("skip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let nifti = directory.appendingPathComponent("nifti").path, store = directory.appendingPathComponent("tiny.h5").path
        try cli(["synth", "--dataset", "acdc", "--out", nifti, "--patients", "3", "--width", "32", "--slices", "3"])
            .requireSuccess("synth")
        try cli(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", store, "--size", "32"]).requireSuccess("preprocess")

        let one = try train(steps: 1, poisonedRead: -1, store: store)
        let poisoned = try train(steps: 2, poisonedRead: 2, store: store)  // read 2: the first patch of step 2
        XCTAssertEqual(one.skipped, 0)
        XCTAssertEqual(poisoned.skipped, 1, "the NaN step was not skipped")
        XCTAssertEqual(poisoned.0.adamStep, 1)
        XCTAssertTrue(poisoned.0.parameters == one.0.parameters, "parameters changed")
        XCTAssertTrue(poisoned.0.m == one.0.m && poisoned.0.v == one.0.v, "Adam's moments changed")
        XCTAssertTrue(poisoned.0.statistics == one.0.statistics, "BatchNorm running statistics changed")
        // Validation after the skipped step sees the same, finite model: not Dice 0 from NaN statistics.
        XCTAssertEqual(poisoned.dice, one.dice)
        XCTAssertTrue(poisoned.dice.allSatisfy(\.isFinite), "\(poisoned.dice)")
        XCTAssertGreaterThan(poisoned.dice.dropFirst().reduce(0, +), 0, "\(poisoned.dice)")
        // The control: a clean second step does change the state.
        let two = try train(steps: 2, poisonedRead: -1, store: store)
        XCTAssertNotEqual(two.0, one.0)
    }
}
