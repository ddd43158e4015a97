import Cluster
import Common
import Foundation

/// The data-parallel training loop of one rank.
///
/// A step has `G = ranks x accumulate` workers (`ShardSampler`); each rank runs
/// forward and backward on its own micro-batches and adds their gradients as its
/// subtree of the step's `ReductionTree` (`MicroBatchAccumulator`). During the last
/// backward pass of the step the gradients go out in buckets, head first, as soon as
/// they are final (`GradientExchange`), together with the step's agreement on the
/// loss, non-finite values and stop requests (`StepAgreement`); every rank then holds
/// the same summed gradient and applies the same optimizer step, so the replicas stay
/// identical. Every collective of a step is called here, at the step level: the
/// `global` Dice scope's statistics sum, the agreement and the gradient exchange.
public final class Trainer {
    public let settings: TrainingSettings
    let world: Communicator
    let model: TrainableModel
    let optimizer: Optimizer
    let loss: TrainingLoss
    let source: PatchSource
    let sampler: ShardSampler
    let validation: EpochValidation
    let checkpoints: CheckpointWriting
    let metrics: MetricsRecording
    /// The learning rate of each step of this run; its peak is the optimizer's rate at construction.
    public let schedule: LearningRateSchedule
    private let accumulator: MicroBatchAccumulator
    private let exchange: GradientExchange
    /// dL/dlogits of the current micro-batch.
    private var gradLogits: [Float]
    /// The running statistics before the current step, put back if the step is skipped.
    private var statisticsBeforeStep = StatisticsSnapshot()

    /// - Parameters:
    ///   - validation: runs at the end of every epoch (a collective).
    ///   - checkpoints: receives `last.h5` after every epoch and on a stop, `best.h5` on improvement.
    ///   - metrics: receives each epoch's metrics on rank 0.
    public init(settings: TrainingSettings, world: Communicator, model: TrainableModel, optimizer: Optimizer,
                loss: TrainingLoss, source: PatchSource, validation: EpochValidation, checkpoints: CheckpointWriting,
                metrics: MetricsRecording) throws {
        try settings.validate()
        self.settings = settings
        self.world = world
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.source = source
        self.validation = validation
        self.checkpoints = checkpoints
        self.metrics = metrics
        sampler = try ShardSampler(count: source.count, rank: world.rank, worldSize: world.size,
                                   batch: settings.batch, accumulate: settings.accumulate, seed: settings.seed)
        accumulator = MicroBatchAccumulator(count: model.parameters.count)
        gradLogits = [Float](repeating: 0, count: settings.batch * model.classes * source.height * source.width)
        exchange = try GradientExchange(count: model.parameters.count, bucketFloats: settings.bucketFloats,
                                        world: world, method: settings.reduce)
        let steps = settings.maxStepsPerEpoch > 0 ? min(settings.maxStepsPerEpoch, sampler.stepsPerEpoch) : sampler.stepsPerEpoch
        stepsPerEpoch = steps
        schedule = LearningRateSchedule(settings, peak: optimizer.rate, stepsPerEpoch: steps)
    }

    /// Optimizer steps per epoch (`maxStepsPerEpoch` applied).
    public let stepsPerEpoch: Int

    /// Makes every replica start from rank 0's parameters.
    public func broadcastParameters() throws {
        try world.broadcast(model.parameters)
    }

    /// Trains epochs `start.epoch ..< settings.epochs`, with the learning rate of
    /// `settings.lrSchedule` set before every step, until the epoch cap, early stopping
    /// (`settings.patience` validations without improvement) or a stop request.
    /// Every rank takes the same decision: validation's Dice is the same on every rank.
    @discardableResult
    public func train(from start: TrainingCheckpoint.Position = .start) throws -> TrainingEnd {
        var position = start
        for epoch in start.epoch..<settings.epochs {
            // Checked before the epoch, so a resumed run that had already run out of patience trains no more.
            if settings.patience > 0 && position.epochsWithoutImprovement >= settings.patience {
                return TrainingEnd(position: position, reason: .earlyStop)
            }
            var plan = sampler.batches(epoch: epoch)
            if settings.maxStepsPerEpoch > 0 { plan = Array(plan.prefix(settings.maxStepsPerEpoch)) }
            let outcome = try runEpoch(epoch: epoch, plan: plan, step: &position.step)
            try agreeOnStatistics(epoch: epoch, step: position.step)
            if outcome.stopped {
                // The epoch is incomplete: resuming repeats it from its start with these weights.
                position.epoch = epoch
                try checkpoints.write("last.h5", position: position)
                return TrainingEnd(position: position, reason: .signal)
            }
            world.watchdog.context = "epoch \(epoch + 1), validation"
            let dice = try validation.validate(model)
            let foreground = dice.count > 1 ? dice.dropFirst().reduce(0, +) / Double(dice.count - 1) : (dice.first ?? 0)
            let line = EpochMetrics(
                epoch: epoch + 1, step: position.step, trainLoss: outcome.meanLoss, valDice: dice,
                valDiceForeground: foreground, imagesPerSecond: outcome.imagesPerSecond,
                exposedCommFraction: outcome.exposedCommFraction,
                exposedCommSecondsPerStep: outcome.exposedCommSecondsPerStep,
                exposedCommMinSecondsPerStep: outcome.exposedCommMinSecondsPerStep, commBytesPerStep: outcome.commBytesPerStep,
                dataWaitFraction: outcome.dataWaitFraction, skippedNonFinite: outcome.skipped,
                learningRate: optimizer.rate, seconds: outcome.seconds)
            if world.isRoot {
                print(line.summaryLine(epochs: settings.epochs))
                fflush(stdout)
                try metrics.record(line)
            }
            let improved = position.recordValidation(epoch: epoch + 1, dice: foreground, minDelta: settings.minDelta)
            position.epoch = epoch + 1
            world.watchdog.context = "epoch \(epoch + 1), checkpoint"
            try checkpoints.write("last.h5", position: position)
            if improved { try checkpoints.write("best.h5", position: position) }
        }
        return TrainingEnd(position: position, reason: .epochCap)
    }

    struct EpochOutcome {
        var meanLoss: Double
        var imagesPerSecond: Double
        var exposedCommFraction: Double
        var exposedCommSecondsPerStep: Double
        var exposedCommMinSecondsPerStep: Double
        var commBytesPerStep: Double?
        var dataWaitFraction: Double
        var skipped: Int
        var seconds: Double
        var stopped: Bool
    }

    /// What one step did.
    private struct StepOutcome {
        var meanLoss: Double
        var applied: Bool
        var stopRequested: Bool
        var exposedSeconds: Double
    }

    private func runEpoch(epoch: Int, plan: [[[Int]]], step: inout Int) throws -> EpochOutcome {
        let prefetcher = BatchPrefetcher(source: source, batchSize: settings.batch)
        let micro = plan.flatMap { $0 }
        if let first = micro.first { prefetcher.schedule(first) }
        var next = 1
        let start = Date()
        let bytesBefore = world.bytesSent
        var exposedSeconds = 0.0, waitSeconds = 0.0, lossSum = 0.0, skipped = 0, finished = 0
        var stepExposed: [Double] = []
        let progress = world.isRoot ? ProgressReporter(total: plan.count, label: "epoch \(epoch + 1)/\(settings.epochs)") : nil
        var stopped = false
        for s in plan.indices {
            world.watchdog.context = "epoch \(epoch + 1), step \(step + 1)"
            // By the step's place in the run, not by `step`: an epoch repeated after a signal gets the same rates.
            optimizer.rate = schedule.rate(at: epoch * stepsPerEpoch + s)
            let stepStart = Date()
            let outcome = try runStep(epoch: epoch, index: s, step: step) {
                let (batch, waited) = try prefetcher.next()
                waitSeconds += waited
                if next < micro.count { prefetcher.schedule(micro[next]); next += 1 }
                return batch
            } recycle: { prefetcher.recycle($0) }
            world.watchdog.recordStep(seconds: Date().timeIntervalSince(stepStart))
            exposedSeconds += outcome.exposedSeconds
            stepExposed.append(outcome.exposedSeconds)
            if outcome.applied {
                lossSum += outcome.meanLoss
                finished += 1
            } else {
                skipped += 1
            }
            step += 1
            if settings.checksumEvery > 0, step % settings.checksumEvery == 0 { try verifyReplicas(step: step) }
            progress?.update(s + 1, String(format: "loss %.4g", outcome.meanLoss))
            if outcome.stopRequested { stopped = true; break }
        }
        prefetcher.drain()
        let seconds = Date().timeIntervalSince(start)
        let steps = max(finished + skipped, 1)
        let images = Double(finished + skipped) * Double(settings.batch * settings.accumulate * world.size)
        // Every rank's figures, averaged, so one slow rank shows.
        var figures = [exposedSeconds / max(seconds, 1e-9), waitSeconds / max(seconds, 1e-9),
                       exposedSeconds / Double(steps), Double(world.bytesSent - bytesBefore) / Double(steps)]
        try world.sum(&figures, method: .ordered, phase: "the epoch's figures")
        figures = figures.map { $0 / Double(world.size) }
        // Each step's least exposed time over ranks (every rank ran the same steps): that
        // of the rank that waited for no other.
        var negated = stepExposed.map { -$0 }
        if !negated.isEmpty { try world.allreduceMax(&negated) }
        let leastExposed = -negated.reduce(0, +) / Double(max(negated.count, 1))
        progress?.clear()
        return EpochOutcome(meanLoss: finished > 0 ? lossSum / Double(finished) : .nan,
                            imagesPerSecond: images / max(seconds, 1e-9), exposedCommFraction: figures[0],
                            exposedCommSecondsPerStep: figures[2], exposedCommMinSecondsPerStep: leastExposed,
                            commBytesPerStep: settings.reduce == .mpi ? nil : figures[3],
                            dataWaitFraction: figures[1], skipped: skipped, seconds: seconds, stopped: stopped)
    }

    /// One optimizer step: forward and backward of this rank's micro-batches, the
    /// exchange during the last backward, then the optimizer (unless a value was not finite).
    private func runStep(epoch: Int, index s: Int, step: Int, next: () throws -> Batch,
                         recycle: (Batch) -> Void) throws -> StepOutcome {
        let (h, w, batchSize) = (source.height, source.width, settings.batch)
        var losses: [Double] = [], finite = true
        statisticsBeforeStep.capture(model)
        for m in 0..<settings.accumulate {
            let batch = try next()
            let seed = dropoutSeed(epoch: epoch, step: s, worker: sampler.worker(micro: m))
            let logits = try batch.images.withUnsafeBufferPointer {
                try model.forward($0, batch: batchSize, height: h, width: w, training: true, dropoutSeed: seed)
            }
            let result = try batch.labels.withUnsafeBufferPointer { labels in
                let summed = try sumOverRanks(try loss.crossRankStatistics(logits: logits, labels: labels,
                                                                           batch: batchSize, height: h, width: w))
                return try gradLogits.withUnsafeMutableBufferPointer { grad in
                    try loss.evaluate(logits: logits, labels: labels, batch: batchSize, height: h, width: w,
                                      summedStatistics: summed, gradient: grad)
                }
            }
            recycle(batch)
            losses.append(result.value)
            finite = finite && result.isFinite
            if m < settings.accumulate - 1 {
                try gradLogits.withUnsafeBufferPointer { try model.backward($0) }
                accumulator.push(UnsafeBufferPointer(model.gradients))
            }
        }
        let (agreed, exposedSeconds) = try lastBackwardWithExchange(lossSum: ReductionTree.sum(losses),
                                                                    finite: finite)
        let meanLoss = agreed.lossSum / Double(world.size * settings.accumulate)
        var outcome = StepOutcome(meanLoss: meanLoss, applied: false, stopRequested: agreed.stopRequested,
                                  exposedSeconds: exposedSeconds)
        if agreed.nonFiniteRanks > 0 {
            try skip(step: step, "\(agreed.nonFiniteRanks) rank(s) saw a non-finite loss")
            return outcome
        }
        // Every rank holds the same sum, so every rank takes the same decision here.
        let gradients = model.gradients
        let scale = 1 / Float((loss.gradientsAreShares ? 1 : world.size) * settings.accumulate)
        var finiteSum = true
        for i in gradients.indices {
            gradients[i] *= scale
            finiteSum = finiteSum && gradients[i].isFinite
        }
        guard finiteSum else {
            try skip(step: step, "the summed parameter gradient is not finite")
            return outcome
        }
        optimizer.apply(gradients: UnsafeBufferPointer(gradients), to: model.parameters)
        outcome.applied = true
        return outcome
    }

    /// The last micro-batch's backward: its gradients complete this rank's subtree range
    /// by range and go out in buckets while backward is still running, with the step's
    /// agreement posted before it. Returns the agreement and the seconds spent in the
    /// exchange on this thread.
    private func lastBackwardWithExchange(lossSum: Double, finite: Bool) throws -> (StepAgreement, Double) {
        let posted = DispatchTime.now().uptimeNanoseconds
        let agreement = try StepAgreement(lossSum: lossSum, nonFinite: !finite, stopRequested: StopRequest.isRequested,
                                          world: world, method: settings.reduce)
        let gradients = model.gradients
        exchange.begin(gradients, alongside: [("step agreement", agreement.pending)])
        let postSeconds = Double(DispatchTime.now().uptimeNanoseconds - posted) / 1e9
        var complete = gradients.count
        try gradLogits.withUnsafeBufferPointer { dy in
            try model.backward(dy) { offset in
                accumulator.completeLast(gradients, range: offset..<complete)
                complete = offset
                try exchange.gradientsFinal(from: offset)
            }
        }
        try exchange.finish()
        accumulator.reset()
        return (agreement, postSeconds + exchange.exposedSeconds)
    }

    /// The `global` scope's statistics summed over ranks (nil in: nil out), as a step of its own.
    private func sumOverRanks(_ statistics: [Double]?) throws -> [Double]? {
        guard var values = statistics else { return nil }
        try world.sum(&values, method: settings.reduce, phase: "the global Dice statistics")
        return values
    }

    /// A non-finite step: the end of the run (`--nonfinite abort`), or skipped on every rank.
    /// A skipped step changes no state: the optimizer is not applied (parameters, Adam's moments
    /// and step stay), and the running statistics its training forwards moved are put back.
    private func skip(step: Int, _ detail: String) throws {
        if settings.nonfinite == .abort { throw TrainingError.nonFiniteLoss(step: step, detail: detail) }
        statisticsBeforeStep.restore(into: model)
    }

    /// Averages the BatchNorm running statistics over ranks (summed in rank order), so
    /// the model validated and saved is the same on every rank and does not depend on
    /// which rank holds it; then checks that the replicas agree.
    private func agreeOnStatistics(epoch: Int, step: Int) throws {
        world.watchdog.context = "epoch \(epoch + 1), running statistics"
        let statistics = model.statistics
        try world.sum(statistics, method: settings.reduce, phase: "the running statistics' average")
        let scale = 1 / Float(world.size)
        for i in statistics.indices { statistics[i] *= scale }
        try verifyReplicas(step: step, includingStatistics: true)
    }

    /// Dropout masks depend on (seed, epoch, step, worker) only, so a run is
    /// reproducible and every split of the workers over ranks draws the same masks.
    /// (The network mixes this seed with its own constant.)
    func dropoutSeed(epoch: Int, step: Int, worker: Int) -> UInt64 {
        var g = SplitMix64(seed: settings.seed)
        for value in [epoch, step, worker] { g = SplitMix64(seed: g.next() &+ UInt64(value)) }
        return g.next()
    }

    /// Compares a checksum of the parameters (and of the running statistics) across
    /// ranks; a mismatch means the replicas diverged.
    func verifyReplicas(step: Int, includingStatistics: Bool = false) throws {
        var sums = checksums(model.parameters)
        if includingStatistics { sums += checksums(model.statistics) }
        var extremes = sums + sums.map { -$0 }
        try world.allreduceMax(&extremes)
        for i in sums.indices where extremes[i] != -extremes[sums.count + i] {
            throw TrainingError.replicasDiverged(step: step)
        }
    }

    /// A plain and a position-weighted sum of `values`.
    private func checksums(_ values: UnsafeMutableBufferPointer<Float>) -> [Double] {
        var sum = 0.0, weighted = 0.0
        for (i, v) in values.enumerated() {
            sum += Double(v)
            weighted += Double(v) * Double(i % 9973 + 1)
        }
        return [sum, weighted]
    }
}
