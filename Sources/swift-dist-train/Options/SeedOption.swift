import ArgumentParser

/// `--seed`: every random choice of a command comes from it, so a seed gives the same result.
struct SeedOption: ParsableArguments {
    @Option(help: "Seed of every random choice (weights, data order, dropout, splits, synthetic data).")
    var seed: UInt64 = 0
}
