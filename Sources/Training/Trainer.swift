import Cluster
import Common
import Foundation

/// The data-parallel training loop of one rank.
///
/// Each step every rank runs forward and backward on its own micro-batches,
/// the ranks agree on the loss, on whether any rank saw a non-finite value and
/// on whether any rank was asked to stop (one small allreduce), then average
/// their gradients (one allreduce over the flat gradient buffer) and apply the
/// same optimizer step, so the replicas stay identical.
public final class Trainer {
    public let settings: TrainingSettings
    let world: Communicator
    let model: TrainableModel
    let optimizer: Optimizer
    let loss: TrainingLoss
    let source: PatchSource
    let sampler: ShardSampler

    /// Validation Dice per class, computed collectively (every rank calls it).
    public var validate: () throws -> [Double] = { [] }
    /// Writes a checkpoint (called on every rank; rank 0 writes).
    public var saveCheckpoint: (_ name: String, _ position: TrainingCheckpoint.Position) throws -> Void = { _, _ in }
    /// Receives each epoch's metrics on rank 0.
    public var report: (EpochMetrics) throws -> Void = { _ in }

    /// Sum of the micro-batches' gradients when accumulating (empty otherwise).
    private let accumulated: UnsafeMutableBufferPointer<Float>
    /// Every rank's gradients, for the rank-ordered sum (empty for one rank).
    private let gathered: UnsafeMutableBufferPointer<Float>

    public init(settings: TrainingSettings, world: Communicator, model: TrainableModel, optimizer: Optimizer,
                loss: TrainingLoss, source: PatchSource) throws {
        try settings.validate()
        self.settings = settings
        self.world = world
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.source = source
        sampler = try ShardSampler(count: source.count, rank: world.rank, worldSize: world.size,
                                   batch: settings.batch, accumulate: settings.accumulate, seed: settings.seed)
        accumulated = .allocate(capacity: settings.accumulate > 1 ? model.parameters.count : 0)
        gathered = .allocate(capacity: world.size > 1 ? model.parameters.count * world.size : 0)
    }

    deinit {
        accumulated.deallocate()
        gathered.deallocate()
    }

    /// Optimizer steps per epoch (before `maxStepsPerEpoch`).
    public var stepsPerEpoch: Int {
        settings.maxStepsPerEpoch > 0 ? min(settings.maxStepsPerEpoch, sampler.stepsPerEpoch) : sampler.stepsPerEpoch
    }

    /// Makes every replica start from rank 0's parameters.
    public func broadcastParameters() throws {
        try world.broadcast(model.parameters)
    }

    /// Trains epochs `start.epoch ..< settings.epochs`. Returns where training stopped
    /// (earlier than planned when a stop was requested).
    @discardableResult
    public func train(from start: TrainingCheckpoint.Position = .start)
        throws -> (position: TrainingCheckpoint.Position, stopped: Bool) {
        var step = start.step
        var bestDice = start.bestDice
        let startEpoch = start.epoch
        for epoch in startEpoch..<settings.epochs {
            var plan = sampler.batches(epoch: epoch)
            if settings.maxStepsPerEpoch > 0 { plan = Array(plan.prefix(settings.maxStepsPerEpoch)) }
            let outcome = try runEpoch(epoch: epoch, plan: plan, step: &step)
            if outcome.stopped {
                // The epoch is incomplete: resuming repeats it from its start with these weights.
                let position = TrainingCheckpoint.Position(epoch: epoch, step: step, bestDice: bestDice)
                try saveCheckpoint("last.h5", position)
                return (position, true)
            }
            let dice = try validate()
            let foreground = dice.count > 1 ? dice.dropFirst().reduce(0, +) / Double(dice.count - 1) : (dice.first ?? 0)
            let metrics = EpochMetrics(
                epoch: epoch + 1, step: step, trainLoss: outcome.meanLoss, valDice: dice,
                valDiceForeground: foreground, imagesPerSecond: outcome.imagesPerSecond,
                allreduceFraction: outcome.allreduceFraction, dataWaitFraction: outcome.dataWaitFraction,
                skippedNonFinite: outcome.skipped, learningRate: optimizer.rate, seconds: outcome.seconds)
            if world.isRoot {
                print(metrics.summaryLine(epochs: settings.epochs))
                fflush(stdout)
                try report(metrics)
            }
            let improved = foreground > bestDice
            if improved { bestDice = foreground }
            let position = TrainingCheckpoint.Position(epoch: epoch + 1, step: step, bestDice: bestDice)
            try saveCheckpoint("last.h5", position)
            if improved { try saveCheckpoint("best.h5", position) }
        }
        return (.init(epoch: settings.epochs, step: step, bestDice: bestDice), false)
    }

    struct EpochOutcome {
        var meanLoss: Double
        var imagesPerSecond: Double
        var allreduceFraction: Double
        var dataWaitFraction: Double
        var skipped: Int
        var seconds: Double
        var stopped: Bool
    }

    private func runEpoch(epoch: Int, plan: [[[Int]]], step: inout Int) throws -> EpochOutcome {
        let prefetcher = BatchPrefetcher(source: source, batchSize: settings.batch)
        let micro = plan.flatMap { $0 }
        if let first = micro.first { prefetcher.schedule(first) }
        var next = 1
        let start = Date()
        var allreduceSeconds = 0.0, waitSeconds = 0.0, lossSum = 0.0, skipped = 0, finished = 0
        let progress = world.isRoot ? ProgressReporter(total: plan.count, label: "epoch \(epoch + 1)/\(settings.epochs)") : nil
        let h = source.height, w = source.width
        var gradLogits = [Float](repeating: 0, count: settings.batch * model.classes * h * w)
        var stopped = false
        var statistics = StatisticsSnapshot()
        for (s, micros) in plan.enumerated() {
            var localLoss = 0.0, localFinite = true
            statistics.capture(model)
            for m in micros.indices {
                let (batch, waited) = try prefetcher.next()
                waitSeconds += waited
                if next < micro.count { prefetcher.schedule(micro[next]); next += 1 }
                let seed = dropoutSeed(epoch: epoch, step: s, worker: sampler.worker(micro: m))
                let logits = try batch.images.withUnsafeBufferPointer {
                    try model.forward($0, batch: settings.batch, height: h, width: w, training: true, dropoutSeed: seed)
                }
                let result = try batch.labels.withUnsafeBufferPointer { labels in
                    try gradLogits.withUnsafeMutableBufferPointer { grad in
                        try loss.evaluate(logits: logits, labels: labels, batch: settings.batch, height: h, width: w,
                                          gradient: grad)
                    }
                }
                prefetcher.recycle(batch)
                localLoss += result.value
                localFinite = localFinite && result.isFinite
                try gradLogits.withUnsafeBufferPointer { try model.backward($0) }
                if settings.accumulate > 1 { accumulate(first: m == 0) }
            }
            // One small collective: loss, non-finite flag, stop flag.
            var agreement = [localLoss / Double(micros.count), localFinite ? 0 : 1, StopRequest.isRequested ? 1 : 0]
            try world.allreduceSum(&agreement)
            let meanLoss = agreement[0] / Double(world.size)
            if agreement[1] > 0 {
                if settings.nonfinite == "abort" {
                    throw TrainingError.nonFiniteLoss(step: step, detail: "\(Int(agreement[1])) rank(s)")
                }
                statistics.restore(into: model)  // a skipped step changes no state
                skipped += 1
            } else {
                let t0 = Date()
                let gradients = settings.accumulate > 1 ? accumulated : model.gradients
                // Rank-ordered: reproducible, and equal to one rank accumulating the same micro-batches.
                try world.allreduceSumInRankOrder(gradients, scratch: gathered)
                allreduceSeconds += Date().timeIntervalSince(t0)
                let scale = 1 / Float((loss.gradientsAreShares ? 1 : world.size) * settings.accumulate)
                for i in gradients.indices { gradients[i] *= scale }
                optimizer.apply(gradients: UnsafeBufferPointer(gradients), to: model.parameters)
                lossSum += meanLoss
                finished += 1
            }
            step += 1
            if settings.checksumEvery > 0, step % settings.checksumEvery == 0 { try verifyReplicas(step: step) }
            progress?.update(s + 1, String(format: "loss %.4g", meanLoss))
            if agreement[2] > 0 { stopped = true; break }
        }
        prefetcher.drain()
        let seconds = Date().timeIntervalSince(start)
        let images = Double(finished + skipped) * Double(settings.batch * settings.accumulate * world.size)
        // Every rank's fractions, averaged, so one slow rank shows.
        var fractions = [allreduceSeconds / max(seconds, 1e-9), waitSeconds / max(seconds, 1e-9)]
        try world.allreduceAverage(&fractions)
        let outcome = EpochOutcome(meanLoss: finished > 0 ? lossSum / Double(finished) : .nan,
                                   imagesPerSecond: images / max(seconds, 1e-9),
                                   allreduceFraction: fractions[0], dataWaitFraction: fractions[1],
                                   skipped: skipped, seconds: seconds, stopped: stopped)
        progress?.clear()
        return outcome
    }

    /// Adds this micro-batch's gradients into the accumulator (the first one overwrites).
    private func accumulate(first: Bool) {
        let g = model.gradients
        if first {
            for i in g.indices { accumulated[i] = g[i] }
        } else {
            for i in g.indices { accumulated[i] += g[i] }
        }
    }

    /// Dropout masks depend on (seed, epoch, step, worker) only, so a run is
    /// reproducible and R ranks match 1 rank accumulating R micro-batches.
    func dropoutSeed(epoch: Int, step: Int, worker: Int) -> UInt64 {
        var g = SplitMix64(seed: settings.seed ^ 0xD1B5_4A32_D192_ED03)
        for value in [epoch, step, worker] { g = SplitMix64(seed: g.next() &+ UInt64(value)) }
        return g.next()
    }

    /// Compares a checksum of the parameters across ranks; a mismatch means the replicas diverged.
    func verifyReplicas(step: Int) throws {
        var sum = 0.0, weighted = 0.0
        for (i, p) in model.parameters.enumerated() {
            sum += Double(p)
            weighted += Double(p) * Double(i % 9973 + 1)
        }
        var extremes = [sum, weighted, -sum, -weighted]
        try world.allreduceMax(&extremes)
        if extremes[0] != -extremes[2] || extremes[1] != -extremes[3] {
            throw TrainingError.replicasDiverged(step: step)
        }
    }
}
