import Foundation

/// The measurements behind the model, for docs/scaling.md.
extension ScalingReport {
    /// The exchange at the gradient's sizes, the fit's worst points, the bucket sweep and
    /// the sensitivity, the step's other collectives and the store reads.
    public var details: String {
        var out: [String] = []
        out += readiness
        out += gradientSizes
        out += worstPoints
        out += bucketSweep
        out += sensitivity
        out += otherCollectives
        out += storeReads
        return out.joined(separator: "\n") + "\n"
    }

    private var readiness: [String] {
        let shares = [0.25, 0.5, 0.75, 0.9, 1.0]
        var out = ["### When backward makes the gradient final", "",
                   "`bench model --readiness`: the share of the gradient's values that are final, and when (share of "
                   + "backward's time; the rest of backward is what an exchange started then can hide behind).", "",
                   "| image | step | backward | " + shares.map { "\(Int(100 * $0)) % final" }.joined(separator: " | ") + " |",
                   "|---|---|---|" + shares.map { _ in "---" }.joined(separator: "|") + "|"]
        for profile in inputs.profiles {
            let t = profile.timeline, p = Double(profile.parameters)
            let cells = shares.map { share -> String in
                let point = t.points.first { (p - Double($0.offset)) >= share * p - 0.5 }
                return percent((point?.seconds ?? t.backwardSeconds) / t.backwardSeconds)
            }
            out.append("| \(profile.size)² | \(milli(profile.stepSeconds)) | \(milli(t.backwardSeconds)) | "
                       + cells.joined(separator: " | ") + " |")
        }
        out.append("")
        return out
    }

    /// The smallest gradient-sized buffer measured (the ENet's, multiple 1).
    private var gradientFloats: Int { inputs.profiles.first?.parameters ?? 0 }

    private var gradientSizes: [String] {
        let sizes = inputs.measurements.filter { $0.floats >= gradientFloats && $0.method != "combine" }
        guard !sizes.isEmpty else { return [] }
        var out = ["### `bench allreduce` at 1x, 4x and 16x the ENet's gradient", "",
                   "Median seconds per call (each repeat's slowest rank); bytes: what each rank of the ordered "
                   + "exchange sent, counted by the program, over 2P(R−1)/R.", "",
                   "| transport | ranks | gradient | allgather (old) | ordered | MPI_Allreduce | ordered / allgather | "
                   + "ordered bytes / 2P(R−1)/R |",
                   "|---|---|---|---|---|---|---|---|"]
        let keys = Set(sizes.map { "\($0.transport) \($0.ranks) \($0.floats)" })
        let rows = keys.map { key -> (String, Int, Int) in
            let parts = key.split(separator: " ")
            return (String(parts[0]), Int(parts[1])!, Int(parts[2])!)
        }.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var ratios: [Double] = [], faster: [String] = []
        for (transport, ranks, floats) in rows {
            func time(_ method: String) -> Double? {
                sizes.first { $0.transport == transport && $0.ranks == ranks && $0.floats == floats && $0.method == method }?
                    .medianSeconds
            }
            let ordered = sizes.first { $0.transport == transport && $0.ranks == ranks && $0.floats == floats
                && $0.method == "ordered" }
            var bytes = "–"
            if let sent = ordered?.bytesSentPerRank, let optimal = ordered?.optimalBytesPerRank, optimal > 0 {
                let ratio = Double(sent) / Double(optimal)
                ratios.append(ratio)
                bytes = String(format: "%.3f", ratio)
            }
            var speed = "–"
            if let o = time("ordered"), let a = time("allgather") {
                speed = String(format: "%.2f", o / a)
                if ranks >= 8 { faster.append(o < a ? "yes" : "NO (\(transport), \(ranks) ranks)") }
            }
            out.append("| \(transportName(transport)) | \(ranks) | \(floats / max(gradientFloats, 1))x | "
                       + [time("allgather"), time("ordered"), time("mpi-allreduce")].map { $0.map(milli) ?? "–" }
                        .joined(separator: " | ") + " | \(speed) | \(bytes) |")
        }
        out.append("")
        if let low = ratios.min(), let high = ratios.max() {
            out.append("Ordered bytes per rank over 2P(R−1)/R: \(String(format: "%.3f", low))–"
                       + "\(String(format: "%.3f", high)) (within 10 %: \(low >= 0.9 && high <= 1.1 ? "yes" : "NO")). "
                       + "Ordered faster than the allgather at 8 and 16 ranks: "
                       + (faster.allSatisfy { $0 == "yes" } ? "yes, in all \(faster.count) cases."
                          : faster.filter { $0 != "yes" }.joined(separator: ", ") + "."))
            out.append("")
        }
        return out
    }

    private var worstPoints: [String] {
        let worst = fit.points.sorted { abs($0.relativeError) > abs($1.relativeError) }.prefix(5)
        guard !worst.isEmpty else { return [] }
        return ["### The fit's largest errors", "",
                "| transport | method | ranks | bytes | fastest | median | model | error |",
                "|---|---|---|---|---|---|---|---|"]
            + worst.map { p in
                "| \(transportName(p.transport)) | \(p.method) | \(p.ranks) | \(Int(p.bytes)) | \(milli(p.measuredSeconds)) | "
                    + "\(milli(p.medianSeconds)) | \(milli(p.modelSeconds)) | "
                    + "\(String(format: "%+.0f %%", 100 * p.relativeError)) |"
            } + [""]
    }

    private var bucketSweep: [String] {
        var out = ["### Bucket size at scale", "",
                   "Exposed communication per step at 256 ranks by `--bucket-size` (MiB), and the share of the "
                   + "exchange hidden behind backward, with \(micro(roundOverhead)) of the training thread per round "
                   + "(this machine's shared-memory α); the chosen size has the least exposed time summed over "
                   + "the networks, image sizes and 64, 256, 1,024 ranks.", "",
                   "| image | network | " + Self.candidateBucketsMiB.map { mib($0) }.joined(separator: " | ") + " |",
                   "|---|---|" + Self.candidateBucketsMiB.map { _ in "---" }.joined(separator: "|") + "|"]
        for profile in inputs.profiles {
            for network in inputs.networks {
                let cells = Self.candidateBucketsMiB.map { bucket -> String in
                    let p = ScalingPrediction.predict(.orderedOverlapped, ranks: 256,
                                                      costs: network.parameters(gamma: fit.gamma), network: network.name,
                                                      profile: profile, bucketMiB: bucket, roundOverhead: roundOverhead)
                    return "\(milli(p.exposedSeconds)), \(percent(p.hiddenFraction)) hidden"
                }
                out.append("| \(profile.size)² | \(network.name) | " + cells.joined(separator: " | ") + " |")
            }
        }
        out.append("")
        out.append("Chosen: \(mib(overlapBucketMiB)) MiB.")
        out.append("")
        return out
    }

    private var sensitivity: [String] {
        guard let network = inputs.networks.first else { return [] }
        var out = ["### Sensitivity at 256 ranks on \(network.name)", "",
                   "Efficiency of the ordered exchange (one bucket / overlapped) with the network's α and bandwidth "
                   + "changed, and the shortest step that keeps 90 % (9 x the exposed time):", "",
                   "| image | α, bandwidth | one bucket | overlapped | shortest step for 90 % (one bucket) |",
                   "|---|---|---|---|---|"]
        for profile in inputs.profiles {
            for (label, alpha, bandwidth) in [("as stated", 1.0, 1.0), ("4 α", 4.0, 1.0), ("bandwidth / 2", 1.0, 0.5),
                                              ("4 α, bandwidth / 4", 4.0, 0.25)] {
                var costs = network.parameters(gamma: fit.gamma)
                costs.alpha *= alpha
                costs.beta /= bandwidth
                let one = ScalingPrediction.predict(.orderedOneBucket, ranks: 256, costs: costs, network: "",
                                                    profile: profile, bucketMiB: Self.defaultBucketMiB,
                                                    roundOverhead: roundOverhead)
                let over = ScalingPrediction.predict(.orderedOverlapped, ranks: 256, costs: costs, network: "",
                                                     profile: profile, bucketMiB: overlapBucketMiB,
                                                     roundOverhead: roundOverhead)
                out.append("| \(profile.size)² | \(label) | \(percent(one.efficiency)) | \(percent(over.efficiency)) | "
                           + "\(milli(9 * one.exposedSeconds)) |")
            }
        }
        out.append("")
        return out
    }

    private var otherCollectives: [String] {
        let small = inputs.measurements.filter { $0.floats < gradientFloats && ["ordered", "mpi-allreduce"].contains($0.method) }
        guard !small.isEmpty else { return [] }
        let statistics = inputs.profiles.first?.runningStatistics ?? -1
        var names = [6: "agreement (3 doubles)", 8: "checksum (4 doubles)", 10: "validation sums (K + 1 = 5 doubles)"]
        names[statistics] = "running statistics (floats)"
        var out = ["### The step's and the epoch's other sums", "",
                   "`bench allreduce --floats 1 --multiples 6,8,10,S`: the same byte counts as the step's other "
                   + "collectives (sizes in 4-byte floats). Bytes each rank sent in the ordered sum (counted), and "
                   + "median times: ordered / `MPI_Allreduce`.", "",
                   "| sum | floats | transport | " + rankColumns(small).map { "\($0) ranks" }.joined(separator: " | ") + " |",
                   "|---|---|---|" + rankColumns(small).map { _ in "---" }.joined(separator: "|") + "|"]
        for floats in Array(Set(small.map(\.floats))).sorted() {
            for transport in Array(Set(small.map(\.transport))).sorted() {
                let cells = rankColumns(small).map { ranks -> String in
                    let ordered = small.first { $0.floats == floats && $0.transport == transport && $0.ranks == ranks
                        && $0.method == "ordered" }
                    let mpi = small.first { $0.floats == floats && $0.transport == transport && $0.ranks == ranks
                        && $0.method == "mpi-allreduce" }
                    guard let ordered else { return "–" }
                    return "\(ordered.bytesSentPerRank.map { "\($0) B" } ?? "?"), \(micro(ordered.medianSeconds))"
                        + (mpi.map { " / \(micro($0.medianSeconds))" } ?? "")
                }
                out.append("| \(names[floats] ?? "–") | \(floats) | \(transportName(transport)) | "
                           + cells.joined(separator: " | ") + " |")
            }
        }
        out.append("")
        return out
    }

    private func rankColumns(_ m: [ExchangeMeasurement]) -> [Int] { Array(Set(m.map(\.ranks))).sorted() }

    private var storeReads: [String] {
        guard let io = inputs.io else { return [] }
        let measuredSize = io.patchShape.last ?? 0
        var out = ["### Store reads at the measured speed", "",
                   "One rank read \(String(format: "%.0f", io.patchesPerSecond)) patches/s of "
                   + "\(io.patchShape.map(String.init).joined(separator: "x")) in random order (`bench io`); a patch is "
                   + "\(io.bytesPerPatch) bytes uncompressed and \(String(format: "%.0f", io.fileBytesPerPatch)) bytes "
                   + "of the file (compressed chunks and metadata, file size over patches). What training needs:", "",
                   "| image | patches/s per rank | MB/s per rank, uncompressed / from the file | 1,024 ranks: GB/s from the "
                   + "file, chunk reads/s |", "|---|---|---|---|"]
        for profile in inputs.profiles {
            let scale = measuredSize > 0 ? pow(Double(profile.size) / Double(measuredSize), 2) : 1
            let rate = profile.trainImagesPerSecond
            let raw = rate * Double(io.bytesPerPatch) * scale, file = rate * io.fileBytesPerPatch * scale
            out.append("| \(profile.size)²\(profile.size == measuredSize ? "" : " (scaled)") | "
                       + String(format: "%.1f | %.2f / %.2f | %.2f GB/s, %.0f |", rate, raw / 1e6, file / 1e6,
                                1024 * file / 1e9, 1024 * rate * 2))
        }
        out.append("")
        return out
    }
}
