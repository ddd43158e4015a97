import ENetTraining
import Foundation
import HDF5
import Losses
import Network
import PatchStore
import Training
import XCTest

/// `config.json` files and checkpoints written by version 0.1.0 (before settings were
/// typed and the targets split) still load, with the same values (`Fixtures/README.md`).
final class CompatibilityTests: XCTestCase {
    private func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"), name)
    }

    /// The "settings" object of a config.json, as JSON values.
    private func settingsObject(_ data: Data) throws -> NSDictionary {
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(root["settings"] as? NSDictionary)
    }

    func testConfigFilesDecodeAndEncodeTheSameKeysAndValues() throws {
        for name in ["config-gdlce.json", "config-mime.json"] {
            let data = try Data(contentsOf: try fixture(name))
            let config = try JSONDecoder().decode(TrainingRun.Config.self, from: data)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let again = try XCTUnwrap(try JSONSerialization.jsonObject(with: try encoder.encode(config.settings))
                                      as? [String: Any])
            let old = try settingsObject(data)
            // Every key of 0.1.0 is written back with its value; settings added since read as their defaults.
            let oldKeys = Set(old.allKeys.compactMap { $0 as? String })
            XCTAssertEqual(NSDictionary(dictionary: again.filter { oldKeys.contains($0.key) }), old,
                           "\(name): settings written back differ")
            XCTAssertEqual(Set(again.keys).subtracting(oldKeys), ["reduce", "bucketSizeMB", "stallTimeout", "lrSchedule",
                                                                  "warmupEpochs", "patience", "minDelta"])
            XCTAssertEqual(config.settings.loop.lrSchedule, .constant)
            XCTAssertEqual([config.settings.loop.warmupEpochs, config.settings.loop.patience], [0, 0])
            XCTAssertEqual(config.settings.loop.minDelta, 0)
            XCTAssertEqual(config.settings.loop.reduce, .ordered)
            XCTAssertEqual(config.settings.loop.bucketSizeMB, TrainingSettings.defaultBucketSizeMB)
            XCTAssertEqual(config.settings.loop.stallTimeout, TrainingSettings().stallTimeout)
            XCTAssertEqual(config.store.checksum, "7f36f80d87f46fae")
            XCTAssertEqual(config.store.patchSize, [32, 32])
            XCTAssertEqual(config.worldSize, 1)
        }
        let gdl = try JSONDecoder().decode(TrainingRun.Config.self, from: Data(contentsOf: try fixture("config-gdlce.json")))
        let s = gdl.settings
        XCTAssertEqual(s.loss, .gdlCE)
        XCTAssertEqual(s.diceScope, .batch)
        XCTAssertEqual(s.loop.nonfinite, .abort)
        XCTAssertEqual([s.loop.epochs, s.loop.batch, s.loop.accumulate, s.loop.checksumEvery, s.loop.maxStepsPerEpoch],
                       [1, 2, 2, 10, 1])
        XCTAssertEqual(s.loop.seed, 7)
        XCTAssertEqual([s.eps, s.weightDecay, s.learningRate], [1e-6, 1e-5, 5e-4])
        XCTAssertTrue(s.excludeBackground)
        XCTAssertEqual(s.maxValidationVolumes, 1)
        let mime = try JSONDecoder().decode(TrainingRun.Config.self, from: Data(contentsOf: try fixture("config-mime.json")))
        XCTAssertEqual(mime.settings.loss, .mime)
        XCTAssertEqual(mime.settings.diceScope, .global)
        XCTAssertEqual(mime.settings.mimeA, [1, 2, 3, 4])
        XCTAssertEqual(mime.settings.mimeB, [0.5, 0.25, 0.125, 0.0625])
    }

    /// Names are read back whatever their case, as the command line takes them.
    func testLossNamesDecodeInAnyCase() throws {
        let kinds = try JSONDecoder().decode([LossKind].self, from: Data(#"["Dice", "GDL+CE", "mime"]"#.utf8))
        XCTAssertEqual(kinds, [.dice, .gdlCE, .mime])
        XCTAssertEqual(try JSONDecoder().decode([DiceScope].self, from: Data(#"["Global"]"#.utf8)), [.global])
        XCTAssertThrowsError(try JSONDecoder().decode([LossKind].self, from: Data(#"["dicey"]"#.utf8)))
    }

    func testCheckpointLoadsWeightsOptimizerStateAndRecords() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("last.h5").path
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", try fixture("checkpoint-mime.h5.gz").path]
        FileManager.default.createFile(atPath: path, contents: nil)
        gunzip.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try gunzip.run()
        gunzip.waitUntilExit()
        XCTAssertEqual(gunzip.terminationStatus, 0)

        // As weights (evaluate, predict, model --forward): the trainer group is skipped.
        let weights = try ENet(weights: path)
        XCTAssertEqual([weights.inChannels, weights.classes], [1, 4])
        for tensor in weights.store.tensors where tensor.role == .parameter {
            let values = UnsafeBufferPointer(start: weights.store.values(tensor), count: tensor.count)
            XCTAssertEqual(Array(values), (0..<tensor.count).map { Float($0 % 13 - 6) / 64 }, tensor.name)
        }
        // To resume: the same weights, Adam's state and where training stood.
        let model = ENet(inChannels: 1, classes: 4, seed: 1)
        let optimizer = Adam(count: model.parameterCount)
        let position = try TrainingCheckpoint.read(path, model: model, optimizer: optimizer)
        XCTAssertEqual(position.epoch, 2)
        XCTAssertEqual(position.step, 2)
        XCTAssertTrue(position.bestDice.isFinite)
        // Early stopping's count came later: absent, it reads as none.
        XCTAssertEqual([position.bestEpoch, position.epochsWithoutImprovement], [0, 0])
        XCTAssertEqual(optimizer.step, 0)
        XCTAssertTrue(optimizer.moments.m.allSatisfy { $0 == 0 } && optimizer.moments.v.allSatisfy { $0 == 0 })
        XCTAssertEqual(Array(UnsafeBufferPointer(start: model.store.parameters, count: model.parameterCount)),
                       Array(UnsafeBufferPointer(start: weights.store.parameters, count: weights.parameterCount)))
        // The records: the store (what predict repeats) and the run's settings.
        let store = try JSONDecoder().decode(StoreRecord.self,
                                             from: Data(try XCTUnwrap(try TrainingCheckpoint.storeRecordJSON(path)).utf8))
        XCTAssertEqual(store.classNames, ["background", "RV", "MYO", "LV"])
        XCTAssertEqual(store.sliceSize, 32)
        let file = try H5File.open(path)
        defer { file.close() }
        let settingsJSON = try XCTUnwrap(try file.group("trainer").stringAttribute("settings").first)
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(settingsJSON.utf8))
        XCTAssertEqual(settings.loss, .mime)
        XCTAssertEqual(settings.mimeA, [1e308, 1e308, 1e308, 1e308])
        XCTAssertTrue(settings.resume)
        XCTAssertEqual(settings.loop.epochs, 2)
    }
}
