import Cluster
import Common
import Foundation
import Losses
import Network
import PatchStore
import Tensors

/// A whole training run as `swift-dist-train train` does it: open the store,
/// build the replica, resume if asked, train, write metrics and checkpoints.
public enum TrainingRun {
    /// What the run recorded about its data (in `config.json` and every checkpoint).
    public struct StoreDescription: Codable, Equatable {
        public var path: String
        public var schemaVersion: Int
        public var checksum: String
        public var kind: String
        public var classNames: [String]
        public var channelNames: [String]
        public var patchSize: [Int]
        public var sliceSize: Int
        public var normalisation: String
        public var trainPatches: Int
    }

    /// `OUT/config.json`.
    public struct Config: Codable {
        public var settings: TrainingSettings
        public var store: StoreDescription
        public var programVersion: String
        public var worldSize: Int
        public var parameters: Int
        public var started: String
    }

    /// Runs training; returns where it ended and whether a signal stopped it.
    ///
    /// - Parameter allowDifferentStore: resume even when the store's checksum differs from the
    ///   one the checkpoint records (`--allow-different-store`).
    @discardableResult
    public static func run(_ settings: TrainingSettings, world: Communicator, programVersion: String,
                           allowDifferentStore: Bool = false,
                           environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (position: TrainingCheckpoint.Position, stopped: Bool) {
        try settings.validate()
        try LaunchCheck.verify(worldSize: world.size, environment: environment)
        Threads.set(settings.threads)
        let reader = try PatchStoreReader(path: settings.store)
        let store = try describe(reader)
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        try Check.batchSize(settings.batch, channels: reader.channels, height: h, width: w)
        let loss = try makeLoss(settings, reader: reader, world: world)
        let network = ENet(inChannels: reader.channels, classes: reader.numClasses, seed: settings.seed,
                           backend: .oneDNN)
        network.layerThreads = settings.threads
        try network.validate(TensorShape(settings.batch, reader.channels, h, w), training: true)
        let optimizer = Adam(count: network.parameterCount, learningRate: Float(settings.learningRate),
                             weightDecay: Float(settings.weightDecay))
        let model = ENetReplica(network)
        let out = settings.out
        let last = out + "/last.h5", metricsPath = out + "/metrics.jsonl"
        let trainer: Trainer
        do {
            trainer = try Trainer(settings: settings, world: world, model: model, optimizer: optimizer,
                                  loss: loss, source: StorePatchSource(reader, split: .train))
        } catch let error as ProgramError where error.path == nil {
            throw error.about(settings.store)
        }
        // One run per output directory: a second one fails here, before writing anything.
        let lock = world.isRoot ? try DirectoryLock(out) : nil
        defer { lock?.release() }
        var start = TrainingCheckpoint.Position.start
        if settings.resume {
            guard FileManager.default.fileExists(atPath: last) else {
                throw ProgramError(.missingFile, path: last, "no checkpoint to resume from (leave out --resume to start a run)")
            }
            start = try TrainingCheckpoint.read(last, model: network, optimizer: optimizer)
            try checkResumable(last, on: store, allowDifferentStore: allowDifferentStore)
            guard start.epoch <= settings.epochs else {
                throw TrainingError.invalidSetting("--epochs \(settings.epochs) is below the \(start.epoch) epoch(s) \(last) has "
                                                   + "trained: give --epochs above \(start.epoch) to continue")
            }
        } else if FileManager.default.fileExists(atPath: last) {
            throw ProgramError(.busy, path: out, "already holds a run (last.h5): pass --resume to continue it, or choose another --out")
        }
        try trainer.broadcastParameters()
        if world.isRoot, try reader.volumes(.val).isEmpty {
            fputs("warning: \(settings.store) has no validation volumes: validation Dice is not computed (nan in "
                  + "metrics.jsonl) and best.h5 is not written; last.h5 holds the latest weights\n", stderr)
        }

        let settingsJSON = try json(settings), storeJSON = try json(store)
        if world.isRoot {
            try AtomicFile.createDirectories(out)
            let config = Config(settings: settings, store: store, programVersion: programVersion, worldSize: world.size,
                                parameters: network.parameterCount, started: ISO8601DateFormatter().string(from: Date()))
            try AtomicFile.write(out + "/config.json", data: Data(try json(config, pretty: true).utf8))
            try MetricsLog.truncate(metricsPath, afterEpoch: start.epoch)
            print("training \(settings.loss) on \(settings.store): \(reader.count(.train)) patches \(h)x\(w), "
                  + "\(world.size) rank(s) x batch \(settings.batch), \(trainer.stepsPerEpoch) steps/epoch"
                  + (settings.resume ? ", resuming at epoch \(start.epoch + 1)" : ""))
        }
        let validation = Validation(reader: reader, batch: settings.batch, maxVolumes: settings.maxValidationVolumes)
        trainer.validate = { try validation.run(model: model, world: world) }
        trainer.saveCheckpoint = { name, position in
            guard world.isRoot else { return }
            try TrainingCheckpoint.write(out + "/" + name, model: network, optimizer: optimizer, position: position,
                                         settingsJSON: settingsJSON, storeJSON: storeJSON)
        }
        trainer.report = { metrics in try MetricsLog.append(metrics, to: metricsPath) }
        let result = try StopRequest.whileTraining { try trainer.train(from: start) }
        try world.barrier()
        if world.isRoot {
            print(result.stopped
                  ? "stopped by signal at epoch \(result.position.epoch + 1), step \(result.position.step): \(last) written; --resume continues"
                  : "done: \(out)/metrics.jsonl, \(out)/best.h5, \(out)/last.h5")
        }
        return result
    }

    /// The loss of `settings` on this store: Mime weights from the store's
    /// training statistics unless given; the `global` scope reduces over `world`.
    static func makeLoss(_ settings: TrainingSettings, reader: PatchStoreReader, world: Communicator) throws -> SegmentationLoss {
        let kind = try LossKind(parsing: settings.loss)
        let scope = try DiceScope(parsing: settings.diceScope)
        let k = reader.numClasses
        var weights: MimeWeights?
        if kind.terms.contains(.mime) {
            if settings.mimeA.isEmpty {
                weights = try MimeWeights(counts: try reader.classVoxelCounts(.train).map(Double.init),
                                          patches: reader.count(.train),
                                          pixelsPerPatch: reader.patchSize[0] * reader.patchSize[1],
                                          classNames: reader.classNames)
            } else {
                guard settings.mimeA.count == k else {
                    throw TrainingError.invalidSetting("--mime-a/--mime-b give \(settings.mimeA.count) classes, the store has \(k)")
                }
                weights = try MimeWeights(a: settings.mimeA, b: settings.mimeB)
            }
        }
        if scope == .global && settings.accumulate > 1 {
            throw TrainingError.invalidSetting("--dice-scope global sums statistics across ranks, not across accumulated micro-batches: use --accumulate 1")
        }
        // Mime is a sum over each image's pixels (O(1) per image with these weights, like a Dice),
        // divided by a count of images that does not depend on the content: the rank's batch,
        // then averaged over ranks; in the global scope every rank's gradient is a share of one
        // loss over the global batch instead, and shares are summed.
        let globalImages = Double(settings.batch * world.size)
        let globalPixels = globalImages * Double(reader.patchSize[0] * reader.patchSize[1])
        let options = LossOptions(eps: settings.eps, excludeBackground: settings.excludeBackground, diceScope: scope,
                                  reduceStatistics: { try world.allreduceSum(&$0) }, mimeWeights: weights,
                                  mimeNormalizer: scope == .global ? globalImages : Double(settings.batch),
                                  ceNormalizer: scope == .global ? globalPixels : nil)
        return SegmentationLoss(try Loss(kind, options: options), classes: k)
    }

    /// Refuses to resume `checkpoint` on a store other than the one it was trained on (by the
    /// checksum it records), unless `allowDifferentStore`.
    static func checkResumable(_ checkpoint: String, on store: StoreDescription, allowDifferentStore: Bool) throws {
        guard !allowDifferentStore else { return }
        let recorded = try TrainingCheckpoint.storeDescription(checkpoint)
            .flatMap { try? JSONDecoder().decode(StoreDescription.self, from: Data($0.utf8)) }
        guard let recorded else {
            throw ProgramError(.checkpoint, path: checkpoint, "records no readable store description: "
                               + "pass --allow-different-store to resume on \(store.path) anyway")
        }
        guard recorded.checksum == store.checksum else {
            throw ProgramError(.checkpoint, path: store.path, "is not the store \(checkpoint) was trained on (checksum "
                               + "\(store.checksum), the checkpoint records \(recorded.checksum) of \(recorded.path)): "
                               + "pass --allow-different-store to continue on it anyway")
        }
    }

    static func describe(_ reader: PatchStoreReader) throws -> StoreDescription {
        StoreDescription(path: reader.path, schemaVersion: StoreSpec.currentVersion,
                         checksum: try FileChecksum.fnv1a64(reader.path), kind: reader.kind,
                         classNames: reader.classNames, channelNames: reader.channelNames,
                         patchSize: reader.patchSize, sliceSize: reader.sliceSize,
                         normalisation: reader.normalisation, trainPatches: reader.count(.train))
    }

    static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
