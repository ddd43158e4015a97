// For the integrator: a multi-rank check of the `global` Dice scope, to add to mpi-check
// (add "Losses" to mpi-check's dependencies and a case to its switch:
//     case "losses-global": try checkGlobalDiceScope()
// ). Run: mpirun -n 2 mpi-check losses-global; mpirun -n 4 --oversubscribe mpi-check losses-global.
// Verified on the losses branch with 1, 2, 3 and 4 ranks before merging.
import Cluster
import Losses

/// Every rank builds the same global batch (seeded), keeps its share of the images and evaluates
/// the global-scope loss with an MPI allreduce; it must equal the batch-scope loss of the whole
/// batch, and the rank's logit gradient the whole batch's gradient on its images.
func checkGlobalDiceScope() throws {
    let world = Communicator.world
    let r = world.rank, n = world.size
    let perRank = 2, classes = 3, height = 4, width = 5
    let whole = LossShape(images: perRank * n, classes: classes, height: height, width: width)
    var state: UInt64 = 2024
    func next() -> UInt64 {  // SplitMix64: the same numbers on every rank
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let logits = (0..<whole.logitCount).map { _ in Float(Double(next() >> 11) / Double(1 << 53) * 6 - 3) }
    var labels = (0..<whole.pixels).map { _ in UInt8(next() % UInt64(classes)) }
    // Class 2 only on the last rank: every other rank's own batch has an empty class.
    for i in 0..<(whole.pixels - perRank * height * width) where labels[i] == 2 { labels[i] = 1 }

    let logitsPerImage = classes * height * width, pixelsPerImage = height * width
    var mine = whole
    mine.images = perRank
    let myLogits = Array(logits[r * perRank * logitsPerImage..<(r + 1) * perRank * logitsPerImage])
    let myLabels = Array(labels[r * perRank * pixelsPerImage..<(r + 1) * perRank * pixelsPerImage])
    for kind in [LossKind.dice, .vnet, .gdl] {
        let global = try Loss(kind, options: LossOptions(diceScope: .global,
                                                         reduceStatistics: { try world.allreduceSum(&$0) }))
        var gradient = [Float]()
        let result = try global.evaluate(logits: myLogits, labels: myLabels, shape: mine, logitGradient: &gradient)

        var wholeGradient = [Float]()
        let reference = try Loss(kind, options: LossOptions(diceScope: .batch))
            .evaluate(logits: logits, labels: labels, shape: whole, logitGradient: &wholeGradient)
        let expected = wholeGradient[r * perRank * logitsPerImage..<(r + 1) * perRank * logitsPerImage]
        let worst = zip(gradient, expected).map { abs($0 - $1) }.max() ?? 0
        let scale = expected.map(abs).max() ?? 0
        try expect(result.isFinite && abs(result.value - reference.value) <= 1e-12 * max(1, abs(reference.value)),
                   "\(kind) global value \(result.value) vs whole-batch \(reference.value)")
        try expect(worst <= 1e-6 * scale, "\(kind) global gradient differs by \(worst) (scale \(scale))")
        // Summed over ranks, the global statistics are what one process computes on the whole batch.
        var values = [result.value]
        try world.allreduceMax(&values)
        try expect(values[0] == result.value, "\(kind) every rank has the same global loss")
        if r == 0 { print("ok losses-global \(kind) size=\(n) value=\(result.value)") }
    }
}
