import Cluster
import Common
import Foundation
import Losses
import Network
import PatchStore
import Tensors
import Training

/// A whole training run as `swift-dist-train train` does it: open the store,
/// build the replica, resume if asked, train, write metrics and checkpoints.
public enum TrainingRun {
    /// `OUT/config.json`.
    public struct Config: Codable {
        public var settings: RunSettings
        public var store: StoreRecord
        public var programVersion: String
        public var worldSize: Int
        public var parameters: Int
        public var started: String
    }

    /// Runs training; returns how it ended (also the last line of `OUT/metrics.jsonl`).
    ///
    /// - Parameter allowDifferentStore: resume even when the store's checksum differs from the
    ///   one the checkpoint records (`--allow-different-store`).
    @discardableResult
    public static func run(_ settings: RunSettings, world: Communicator, programVersion: String,
                           allowDifferentStore: Bool = false,
                           environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> TrainingEnd {
        try settings.validate()
        try LaunchCheck.verify(worldSize: world.size, environment: environment)
        Threads.set(settings.threads)
        let reader = try PatchStoreReader(path: settings.store)
        let store = try StoreRecord(reader)
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        try Check.batchSize(settings.loop.batch, channels: reader.channels, height: h, width: w)
        let loss = try makeLoss(settings, reader: reader, world: world)
        let network = ENet(inChannels: reader.channels, classes: reader.numClasses, seed: settings.loop.seed,
                           backend: .oneDNN)
        network.layerThreads = settings.threads
        try network.validate(TensorShape(settings.loop.batch, reader.channels, h, w), training: true)
        let optimizer = Adam(count: network.parameterCount, learningRate: Float(settings.learningRate),
                             weightDecay: Float(settings.weightDecay))
        let model = ENetReplica(network)
        let out = settings.out
        let last = out + "/last.h5", metricsPath = out + "/metrics.jsonl"
        let settingsJSON = try json(settings), storeJSON = try json(store)
        let trainer: Trainer
        do {
            trainer = try Trainer(
                settings: settings.loop, world: world, model: model, optimizer: optimizer, loss: loss,
                source: StorePatchSource(reader, split: .train),
                validation: Validation(reader: reader, batch: settings.loop.batch,
                                       maxVolumes: settings.maxValidationVolumes, world: world),
                checkpoints: CheckpointFiles(directory: out, model: network, optimizer: optimizer,
                                             settingsJSON: settingsJSON, storeJSON: storeJSON, isWriter: world.isRoot),
                metrics: MetricsFile(path: metricsPath))
        } catch let error as ProgramError where error.path == nil && error.kind != .invalidValue {
            throw error.about(settings.store)  // the store cannot feed this run (e.g. too few patches)
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
            guard start.epoch <= settings.loop.epochs else {
                throw TrainingError.invalidSetting("--epochs \(settings.loop.epochs) is below the \(start.epoch) epoch(s) \(last) "
                                                   + "has trained: give --epochs above \(start.epoch) to continue")
            }
        } else if FileManager.default.fileExists(atPath: last) {
            throw ProgramError(.busy, path: out, "already holds a run (last.h5): pass --resume to continue it, or choose another --out")
        }
        // From here on a rank that waits too long for the others ends the job with a report.
        world.watchdog.timeout = settings.loop.stallTimeout > 0 ? settings.loop.stallTimeout : nil
        defer {
            world.watchdog.timeout = nil
            world.watchdog.context = ""
        }
        try trainer.broadcastParameters()
        if world.isRoot, try reader.volumes(.val).isEmpty {
            fputs("warning: \(settings.store) has no validation volumes: validation Dice is not computed (nan in "
                  + "metrics.jsonl) and best.h5 is not written; last.h5 holds the latest weights\n", stderr)
        }

        if world.isRoot {
            try AtomicFile.createDirectories(out)
            let config = Config(settings: settings, store: store, programVersion: programVersion, worldSize: world.size,
                                parameters: network.parameterCount, started: ISO8601DateFormatter().string(from: Date()))
            try AtomicFile.write(out + "/config.json", data: Data(try json(config, pretty: true).utf8))
            try MetricsLog.truncate(metricsPath, afterEpoch: start.epoch)
            print("training \(settings.loss.rawValue) on \(settings.store): \(reader.count(.train)) patches \(h)x\(w), "
                  + "\(world.size) rank(s) x batch \(settings.loop.batch), \(trainer.stepsPerEpoch) steps/epoch"
                  + (settings.resume ? ", resuming at epoch \(start.epoch + 1)" : ""))
        }
        let end = try StopRequest.whileTraining { try trainer.train(from: start) }
        try world.barrier()
        if world.isRoot {
            try MetricsLog.append(end, to: metricsPath)
            print(end.summary(patience: settings.loop.patience))
            print(end.stopped ? "\(last) written; --resume continues" : "\(out)/metrics.jsonl, \(out)/best.h5, \(out)/last.h5")
        }
        return end
    }

    /// The loss of `settings` on this store: Mime weights from the store's
    /// training statistics unless given; the `global` scope's normalizers count `world`'s ranks.
    static func makeLoss(_ settings: RunSettings, reader: PatchStoreReader, world: Communicator) throws -> SegmentationLoss {
        let (kind, scope) = (settings.loss, settings.diceScope)
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
        if scope == .global && settings.loop.accumulate > 1 {
            throw TrainingError.invalidSetting("--dice-scope global sums statistics across ranks, not across accumulated micro-batches: use --accumulate 1")
        }
        // Mime is a sum over each image's pixels (O(1) per image with these weights, like a Dice),
        // divided by a count of images that does not depend on the content: the rank's batch,
        // then averaged over ranks; in the global scope every rank's gradient is a share of one
        // loss over the global batch instead, and shares are summed. The global scope's
        // statistics are summed over ranks by the trainer (`TrainingLoss.crossRankStatistics`).
        let globalImages = Double(settings.loop.batch * world.size)
        let globalPixels = globalImages * Double(reader.patchSize[0] * reader.patchSize[1])
        let options = LossOptions(eps: settings.eps, excludeBackground: settings.excludeBackground, diceScope: scope,
                                  mimeWeights: weights,
                                  mimeNormalizer: scope == .global ? globalImages : Double(settings.loop.batch),
                                  ceNormalizer: scope == .global ? globalPixels : nil)
        return SegmentationLoss(try Loss(kind, options: options), classes: k)
    }

    /// Refuses to resume `checkpoint` on a store other than the one it was trained on (by the
    /// checksum it records), unless `allowDifferentStore`.
    static func checkResumable(_ checkpoint: String, on store: StoreRecord, allowDifferentStore: Bool) throws {
        guard !allowDifferentStore else { return }
        guard let recorded = (try? TrainingCheckpoint.storeRecord(checkpoint)) ?? nil else {
            throw ProgramError(.checkpoint, path: checkpoint, "records no readable store description: "
                               + "pass --allow-different-store to resume on \(store.path) anyway")
        }
        guard recorded.checksum == store.checksum else {
            throw ProgramError(.checkpoint, path: store.path, "is not the store \(checkpoint) was trained on (checksum "
                               + "\(store.checksum), the checkpoint records \(recorded.checksum) of \(recorded.path)): "
                               + "pass --allow-different-store to continue on it anyway")
        }
    }

    static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
