import ArgumentParser
import ENetTraining
import Training

/// How `train` and `experiment` train: the options they share.
struct ScheduleOptions: ParsableArguments {
    @OptionGroup var batch: BatchOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var threads: ThreadsOption

    @Option(help: "Adam learning rate, the peak of --lr-schedule (default: 5e-4; experiment: 2e-3).")
    var lr: Double?

    @Option(help: ArgumentHelp("""
        Learning rate after warm-up, set every step (t: steps since warm-up, T: steps from \
        then to the end of --epochs): constant (lr), cosine (lr*0.5*(1+cos(pi*t/T))) or \
        poly (lr*(1-t/T)^0.9, nnU-Net's). A function of the step and the flags only, so \
        --resume continues it exactly (default: constant; experiment: cosine).
        """))
    var lrSchedule: LearningRateSchedule.Kind?

    @Option(help: "Epochs of linear warm-up, per step from lr/S to lr (S: the warm-up's steps); below --epochs (default: 0; experiment: 1).")
    var warmupEpochs: Int?

    @Option(help: "Stop early after N validations in a row without improvement of the mean foreground Dice (0: never).")
    var patience = TrainingSettings().patience

    @Option(help: "An improvement for --patience: above the best Dice so far by more than this.")
    var minDelta = TrainingSettings().minDelta

    @Option(help: "Stop each epoch after N steps (0: the whole split), for quick runs.")
    var maxSteps = 0

    @Option(help: "Validate on at most N volumes per epoch (0: all).")
    var maxValVolumes = 0

    /// `settings` with these options; where one is not given, `settings` keeps its own (the
    /// experiment's defaults differ from train's).
    func applied(to settings: RunSettings) -> RunSettings {
        var settings = settings
        if let batch = batch.given { settings.loop.batch = batch }
        settings.loop.seed = seed.seed
        settings.loop.maxStepsPerEpoch = maxSteps
        settings.threads = threads.count
        if let lr { settings.learningRate = lr }
        if let lrSchedule { settings.loop.lrSchedule = lrSchedule }
        if let warmupEpochs { settings.loop.warmupEpochs = warmupEpochs }
        settings.loop.patience = patience
        settings.loop.minDelta = minDelta
        settings.maxValidationVolumes = maxValVolumes
        return settings
    }
}
