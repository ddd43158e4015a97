// For the integrator: the loss flags of `train` and `decompose`, as one ParsableArguments group
// for the CLI target (it needs "Losses" in its dependencies). Type-checked against the Losses
// module on the losses branch.
import ArgumentParser
import Losses

extension LossKind: @retroactive ExpressibleByArgument {}
extension DiceScope: @retroactive ExpressibleByArgument {}

/// `--loss`, `--eps`, `--exclude-background`, `--dice-scope`, `--mime-a`, `--mime-b`.
struct LossArguments: ParsableArguments {
    @Option(help: "Loss: \(LossKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var loss: LossKind = .dice

    @Option(help: "Smoothing added to numerator and denominator of the Dice family (0: raw formulas).")
    var eps: Double = 1e-10

    @Flag(help: "Leave the background (class 0) out of the Dice family and Mime.")
    var excludeBackground = false

    @Option(help: "Where a Dice ratio is formed: patch (each image), batch (the rank's batch), global (all ranks).")
    var diceScope: DiceScope = .patch

    @Option(parsing: .upToNextOption, help: "Mime a_k per class (with --mime-b; default: from the store's class statistics).")
    var mimeA: [Double] = []

    @Option(parsing: .upToNextOption, help: "Mime b_k per class.")
    var mimeB: [Double] = []

    /// The configured loss. `counts`, `patches`, `pixelsPerPatch`: the training split's class
    /// statistics from the store; `globalPixels`: pixels of one global batch (the Mime and, in the
    /// global scope, CE normalizer); `reduce`: the allreduce, e.g. `{ try world.allreduceSum(&$0) }`.
    /// With these normalizers, parameter gradients are summed across ranks for `mime` and for the
    /// `global` scope, and averaged otherwise (see docs/losses.md).
    func makeLoss(counts: [Double], patches: Int, pixelsPerPatch: Int, classNames: [String],
                  globalPixels: Int, reduce: @escaping StatisticsReduction) throws -> Loss {
        var weights: MimeWeights? = nil
        if loss.terms.contains(.mime) {
            weights = mimeA.isEmpty && mimeB.isEmpty
                ? try MimeWeights(counts: counts, patches: patches, pixelsPerPatch: pixelsPerPatch, classNames: classNames)
                : try MimeWeights(a: mimeA, b: mimeB)
        }
        return try Loss(loss, options: LossOptions(
            eps: eps, excludeBackground: excludeBackground, diceScope: diceScope,
            reduceStatistics: diceScope == .global ? reduce : nil, mimeWeights: weights,
            mimeNormalizer: Double(globalPixels),
            ceNormalizer: diceScope == .global ? Double(globalPixels) : nil))
    }
}
