import ArgumentParser
import ENetTraining

/// How `train` and `experiment` train: the options they share.
struct ScheduleOptions: ParsableArguments {
    @OptionGroup var batch: BatchOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var threads: ThreadsOption

    @Option(help: "Adam learning rate.")
    var lr = RunSettings(store: "", out: "").learningRate

    @Option(help: "Stop each epoch after N steps (0: the whole split), for quick runs.")
    var maxSteps = 0

    @Option(help: "Validate on at most N volumes per epoch (0: all).")
    var maxValVolumes = 0

    /// `settings` with these options.
    func applied(to settings: RunSettings) -> RunSettings {
        var settings = settings
        settings.loop.batch = batch.batch
        settings.loop.seed = seed.seed
        settings.loop.maxStepsPerEpoch = maxSteps
        settings.threads = threads.count
        settings.learningRate = lr
        settings.maxValidationVolumes = maxValVolumes
        return settings
    }
}
