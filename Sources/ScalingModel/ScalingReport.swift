import Foundation

/// The scaling model made from the measurements: α, β, γ fitted, the overlap bucket size
/// chosen, predictions for every network, image size, exchange and rank count, and the
/// prediction for this machine's training runs next to what they measured.
public struct ScalingReport: Sendable {
    public let inputs: ScalingInputs
    public let fit: CostFit
    /// The rank counts of the table.
    public static let tableRanks = [64, 256, 1024]
    /// The rank counts of the figure: 1, 2, 4, ..., 1024.
    public static let figureRanks = (0...10).map { 1 << $0 }
    /// `--bucket-size`'s default, MiB: one bucket for the ENet.
    public static let defaultBucketMiB = 2.0
    /// The bucket sizes tried for the overlapped exchange, MiB.
    public static let candidateBucketsMiB = [0.0625, 0.125, 0.25, 0.5, 1, 2]
    /// The transport of this machine's training runs (`mpirun` picks shared memory).
    public static let localTransport = "shm"

    /// Seconds per byte of the largest `combine` measured on the fewest ranks: adding
    /// buffers that do not fit in the caches (0 without such a measurement).
    public let memoryGamma: Double
    /// Seconds of the training thread per round of the ordered exchange at scale: this
    /// machine's fitted shared-memory α, its whole per-round cost (posting, matching,
    /// testing), an upper bound of MPI's software path (0 without a shared-memory fit).
    public let roundOverhead: Double
    /// The candidate with the least exposed time summed over the networks, image sizes and
    /// `tableRanks`: the bucket size to use at scale.
    public let overlapBucketMiB: Double
    /// Every network x image size x exchange x `figureRanks` (the overlapped exchange with
    /// `overlapBucketMiB`).
    public let predictions: [ScalingPrediction]
    /// This machine's training runs against the model.
    public let checks: [Check]

    /// One training run of `scripts/bench-scaling` against the prediction for this machine.
    public struct Check: Codable, Sendable {
        public var ranks: Int
        public var cores: Int
        /// Training images per second over all ranks.
        public var imagesPerSecond: Double
        /// Exposed communication per step averaged over ranks (waiting for slower ranks included).
        public var measuredMilliseconds: Double
        /// Per step on the rank that waited least: the exchange's own cost.
        public var leastMeasuredMilliseconds: Double?
        public var predictedMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case ranks, cores
            case imagesPerSecond = "images_per_s", measuredMilliseconds = "measured_exposed_ms", leastMeasuredMilliseconds = "measured_least_exposed_ms"
            case predictedMilliseconds = "predicted_exposed_ms"
        }
    }

    public init(_ inputs: ScalingInputs) throws {
        self.inputs = inputs
        fit = try CostFit.fit(inputs.measurements)
        guard !inputs.networks.isEmpty, !inputs.profiles.isEmpty else {
            throw ScalingModelError.insufficientData("no networks or no step profiles to predict with")
        }
        let gamma = fit.gamma
        let combines = inputs.measurements.filter { $0.method == "combine" && $0.minSeconds > 0 }
        let largest = combines.filter { $0.ranks == combines.map(\.ranks).min() }.max { $0.floats < $1.floats }
        let memoryGamma = largest.map { $0.minSeconds / $0.bytes } ?? 0
        self.memoryGamma = memoryGamma
        let overhead = fit.links[Self.localTransport]?.alpha ?? 0
        roundOverhead = overhead
        func totalExposed(_ bucket: Double) -> Double {
            inputs.networks.flatMap { network in
                inputs.profiles.flatMap { profile in
                    Self.tableRanks.map {
                        ScalingPrediction.predict(.orderedOverlapped, ranks: $0, costs: network.parameters(gamma: gamma),
                                                  network: network.name, profile: profile, bucketMiB: bucket,
                                                  roundOverhead: overhead).exposedSeconds
                    }
                }
            }.reduce(0, +)
        }
        let bucket = Self.candidateBucketsMiB.min { totalExposed($0) < totalExposed($1) }!
        overlapBucketMiB = bucket
        predictions = inputs.networks.flatMap { network in
            inputs.profiles.flatMap { profile in
                ExchangeVariant.allCases.flatMap { variant in
                    Self.figureRanks.map {
                        ScalingPrediction.predict(variant, ranks: $0, costs: network.parameters(gamma: gamma),
                                                  network: network.name, profile: profile,
                                                  bucketMiB: variant == .orderedOverlapped ? bucket : Self.defaultBucketMiB,
                                                  memoryGamma: memoryGamma, roundOverhead: overhead)
                    }
                }
            }
        }
        checks = try Self.checks(inputs, fit)
    }

    /// What the model concluded, for `model.json`.
    public struct Summary: Codable, Sendable {
        public var fit: CostFit
        public var networks: [NetworkSpec]
        public var memoryGamma: Double
        public var roundOverhead: Double
        public var overlapBucketMiB: Double
        public var predictions: [ScalingPrediction]
        public var checks: [Check]

        enum CodingKeys: String, CodingKey {
            case fit, networks, predictions, checks
            case memoryGamma = "memory_gamma_s_per_byte", roundOverhead = "round_overhead_s"
            case overlapBucketMiB = "overlap_bucket_mib"
        }
    }

    public var summary: Summary {
        Summary(fit: fit, networks: inputs.networks, memoryGamma: memoryGamma, roundOverhead: roundOverhead, overlapBucketMiB: overlapBucketMiB, predictions: predictions,
                checks: checks)
    }

    /// The prediction for one cell.
    public func prediction(network: String, size: Int, variant: ExchangeVariant, ranks: Int) -> ScalingPrediction? {
        predictions.first { $0.network == network && $0.size == size && $0.variant == variant && $0.ranks == ranks }
    }

    /// The training runs with more than one rank: the model with this machine's fitted
    /// shared-memory costs and its step, both slowed by the oversubscription ranks/cores,
    /// the default bucket size, against the measured exposed time per step. (The fitted α
    /// is this machine's whole per-round cost, so no round overhead is added.)
    private static func checks(_ inputs: ScalingInputs, _ fit: CostFit) throws -> [Check] {
        guard let local = fit.parameters(localTransport) else { return [] }
        let size = inputs.io?.patchShape.last
        let profile = inputs.profiles.first { $0.size == size } ?? inputs.profiles[0]
        return inputs.training.filter { $0.ranks > 1 }.map { run in
            let slow = max(1, Double(run.ranks) / Double(max(run.cores, 1)))
            let costs = CostParameters(alpha: local.alpha * slow, beta: local.beta * slow, gamma: local.gamma * slow)
            let predicted = ScalingPrediction.predict(.orderedOneBucket, ranks: run.ranks, costs: costs, network: localTransport,
                                                      profile: profile.slowed(by: slow), bucketMiB: defaultBucketMiB)
            return Check(ranks: run.ranks, cores: run.cores, imagesPerSecond: run.imagesPerSecond, measuredMilliseconds: run.exposedMillisecondsPerStep,
                         leastMeasuredMilliseconds: run.leastExposedMillisecondsPerStep,
                         predictedMilliseconds: 1000 * predicted.exposedSeconds)
        }
    }
}
