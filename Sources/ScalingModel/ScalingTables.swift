import Foundation

/// The report as Markdown: `readmeTable` for the README's Performance section,
/// `details` for docs/scaling.md.
extension ScalingReport {
    /// The fitted costs, the networks, the predictions at `tableRanks`, the verdict at 256
    /// ranks on the first network, and the check against this machine's training runs.
    public var readmeTable: String {
        var out: [String] = []
        let (median, p90, worst) = fit.errorSummary()
        let medians = fit.errorSummary(medians: true)
        let cores = inputs.measurements.map(\.cores).max() ?? 0
        out.append("Fitted to \(fit.points.count) `bench allreduce` times on this machine (\(cores) cores, "
                   + "\(rankList(inputs.measurements.map(\.ranks))) ranks, more ranks than cores oversubscribed):")
        out.append("")
        out.append("| transport | α (latency) | 1/β (bandwidth) | 1/γ (combining) |")
        out.append("|---|---|---|---|")
        for (name, link) in fit.links.sorted(by: { $0.key > $1.key }) {
            out.append("| \(transportName(name)) | \(micro(link.alpha)) | \(rate(link.beta)) | \(rate(fit.gamma)) |")
        }
        out.append("")
        out.append("Fit quality (against each size's fastest repeat): median |error| \(percent(median)), 90th "
                   + "percentile \(percent(p90)), worst \(percent(worst)); R² of log time "
                   + "\(String(format: "%.3f", fit.logRSquared)). Against the median times: median |error| "
                   + "\(percent(medians.median)), worst \(percent(medians.max)).")
        out.append("")
        out.append("| network | α | bandwidth | source |")
        out.append("|---|---|---|---|")
        for n in inputs.networks {
            out.append("| \(n.name) | \(String(format: "%g", n.alphaMicroseconds)) µs | "
                       + "\(String(format: "%g", n.gigabytesPerSecond)) GB/s | \(n.source) |")
        }
        out.append("")
        out.append("Predicted weak-scaling efficiency (exposed communication per step), one rank per node, "
                   + "γ from this machine (the allgather's sum over R copies at \(rate(max(memoryGamma, fit.gamma))), "
                   + "the largest `combine` measured); overlapped = `--bucket-size \(mib(overlapBucketMiB))`:")
        out.append("")
        out.append("| image, step | network | exchange | " + Self.tableRanks.map { "\(thousands($0)) ranks" }
            .joined(separator: " | ") + " |")
        out.append("|---|---|---|" + Self.tableRanks.map { _ in "---" }.joined(separator: "|") + "|")
        for profile in inputs.profiles {
            for network in inputs.networks {
                for variant in ExchangeVariant.allCases {
                    let cells = Self.tableRanks.map { ranks -> String in
                        guard let p = prediction(network: network.name, size: profile.size, variant: variant,
                                                 ranks: ranks) else { return "–" }
                        return "\(percent(p.efficiency)) (\(milli(p.exposedSeconds)))"
                    }
                    out.append("| \(profile.size)², \(String(format: "%.3f", profile.stepSeconds)) s | \(network.name) | "
                               + "\(variant.rawValue) | " + cells.joined(separator: " | ") + " |")
                }
            }
        }
        out.append("")
        if let first = inputs.networks.first {
            let verdicts = inputs.profiles.compactMap { profile -> String? in
                guard let one = prediction(network: first.name, size: profile.size, variant: .orderedOneBucket, ranks: 256),
                      let over = prediction(network: first.name, size: profile.size, variant: .orderedOverlapped,
                                            ranks: 256) else { return nil }
                return "\(profile.size)²: \(percent(one.efficiency)) with one bucket, \(percent(over.efficiency)) overlapped"
            }
            out.append("At 256 ranks on \(first.name) the ordered exchange is predicted at "
                       + verdicts.joined(separator: "; ") + ".")
            out.append("")
        }
        if !checks.isEmpty {
            let single = inputs.training.first { $0.ranks == 1 }
                .map { String(format: "; 1 rank: %.1f images/s", $0.imagesPerSecond) } ?? ""
            out.append("This machine's training runs (`scripts/bench-scaling`, 128², batch 8, one bucket\(single)) "
                       + "against the model (fitted shared-memory costs, compute and exchange slowed by ranks/cores):")
            out.append("")
            out.append("| ranks | images/s | exposed per step: mean over ranks | on the rank that waited least | model | "
                       + "least / model |")
            out.append("|---|---|---|---|---|---|")
            for c in checks {
                let over = c.ranks > c.cores ? " (oversubscribed)" : ""
                let least = c.leastMeasuredMilliseconds
                out.append("| \(c.ranks)\(over) | \(String(format: "%.1f", c.imagesPerSecond)) | "
                           + "\(String(format: "%.2f", c.measuredMilliseconds)) ms | "
                           + (least.map { String(format: "%.2f ms", $0) } ?? "–") + " | "
                           + "\(String(format: "%.2f", c.predictedMilliseconds)) ms | "
                           + (least.map { String(format: "%.2f", $0 / c.predictedMilliseconds) } ?? "–") + " |")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: formatting

    /// Whole percents, with decimals near 100 % (where the differences are).
    func percent(_ x: Double) -> String {
        String(format: x >= 0.999 && x < 1 ? "%.2f %%" : x >= 0.99 && x < 1 ? "%.1f %%" : "%.0f %%", 100 * x)
    }
    func micro(_ seconds: Double) -> String { String(format: seconds < 1e-5 ? "%.2f µs" : "%.1f µs", 1e6 * seconds) }
    func milli(_ seconds: Double) -> String {
        String(format: seconds < 0.01 ? "%.2f ms" : seconds < 1 ? "%.1f ms" : "%.0f ms", 1000 * seconds)
    }
    /// 1 / (seconds per byte), in GB/s.
    func rate(_ secondsPerByte: Double) -> String {
        secondsPerByte > 0 ? String(format: "%.1f GB/s", 1e-9 / secondsPerByte) : "∞"
    }
    func mib(_ x: Double) -> String { String(format: "%g", x) }
    func thousands(_ n: Int) -> String { n >= 1000 ? "\(n / 1000),\(String(format: "%03d", n % 1000))" : "\(n)" }
    func rankList(_ ranks: [Int]) -> String {
        let values = Array(Set(ranks.filter { $0 > 1 })).sorted()
        return values.count > 1 ? "\(values.first!)–\(values.last!)" : values.map(String.init).joined()
    }
    func transportName(_ name: String) -> String {
        ["shm": "shared memory", "tcp": "TCP (loopback)"][name] ?? name
    }
}
