import Foundation

/// How the step's gradients are summed over ranks, for the prediction.
public enum ExchangeVariant: String, Codable, Sendable, CaseIterable {
    /// The exchange before issue 11: a blocking agreement allreduce, then `MPI_Allgather`
    /// of every rank's gradient and a sum of the R copies, after backward.
    case allgather = "allgather (old)"
    /// `--reduce ordered` with the whole gradient in one bucket: the sum starts when
    /// backward ends (the ENet with the default 2 MiB buckets).
    case orderedOneBucket = "ordered, one bucket"
    /// `--reduce ordered` with smaller buckets that go out during backward.
    case orderedOverlapped = "ordered, overlapped"
}

/// Predicted exposed communication and weak-scaling efficiency of one rank's step.
public struct ScalingPrediction: Codable, Sendable {
    public var network: String
    public var size: Int
    public var variant: ExchangeVariant
    public var ranks: Int
    /// Bucket size of the ordered variants, MiB.
    public var bucketMiB: Double?
    /// Seconds per step the exchange adds to the step (not hidden behind backward).
    public var exposedSeconds: Double
    /// The share of the exchange hidden behind backward.
    public var hiddenFraction: Double
    /// Step time alone over step time with the exposed communication: the throughput per
    /// rank relative to one rank.
    public var efficiency: Double

    enum CodingKeys: String, CodingKey {
        case network, size, variant, ranks
        case bucketMiB = "bucket_mib", exposedSeconds = "exposed_s", hiddenFraction = "hidden_fraction", efficiency
    }

    /// Parameter checksum every this many steps (`--checksum-every`'s default): a small
    /// blocking `MPI_Allreduce`, ⌈log2 R⌉ rounds of α, spread over the steps.
    public static let checksumEvery = 50.0

    /// The prediction for `variant` at `ranks` ranks with `costs`, for the step of `profile`;
    /// `bucketMiB` is the ordered variants' `--bucket-size` (the default, 2, for one bucket).
    /// The allgather adds R copies of the gradient held in R·P bytes of scratch (117 MB at
    /// 64 ranks), far beyond the caches: its sum runs at `memoryGamma` when that is slower
    /// than `costs.gamma`. Each round of the ordered exchange costs the training thread
    /// `roundOverhead` seconds.
    public static func predict(_ variant: ExchangeVariant, ranks: Int, costs: CostParameters, network: String,
                               profile: StepProfile, bucketMiB: Double, memoryGamma: Double = 0,
                               roundOverhead: Double = 0) -> ScalingPrediction {
        let bytes = Double(profile.parameters * 4)
        let levels = ranks > 1 ? ceil(log2(Double(ranks))) : 0
        var exposed = levels * costs.alpha / checksumEvery, hidden = 0.0
        var bucket: Double?
        switch variant {
        case .allgather:
            var slow = costs
            slow.gamma = max(costs.gamma, memoryGamma)
            exposed += ExchangeAlgorithm.allgatherSum.terms(ranks: ranks, bytes: bytes).seconds(with: slow)
                + levels * costs.alpha
        case .orderedOneBucket, .orderedOverlapped:
            bucket = bucketMiB
            let floats = max(1, Int(bucketMiB * 262_144))
            var simulation = OverlapSimulation(costs: costs, ranks: ranks, timeline: profile.timeline,
                                               parameterCount: profile.parameters, bucketFloats: floats)
            simulation.roundOverhead = roundOverhead
            let outcome = ranks > 1 ? simulation.run()
                : OverlapSimulation.Outcome(exposedSeconds: 0, sequentialSeconds: 0, buckets: 1)
            exposed += outcome.exposedSeconds
            hidden = outcome.hiddenFraction
        }
        return ScalingPrediction(network: network, size: profile.size, variant: variant, ranks: ranks,
                                 bucketMiB: bucket, exposedSeconds: exposed, hiddenFraction: hidden,
                                 efficiency: profile.stepSeconds / (profile.stepSeconds + exposed))
    }
}
