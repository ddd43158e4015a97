/// Mean and standard deviation of DSC and HD95 over a set of scores.
///
/// Standard deviations are population ones (divide by n, numpy's default `ddof=0`).
public struct ScoreStatistics: Equatable, Codable, Sendable {
    /// Number of (volume, class) scores summarised.
    public let count: Int
    public let diceMean: Double
    public let diceStd: Double
    public let hd95Mean: Double
    public let hd95Std: Double

    enum CodingKeys: String, CodingKey {
        case count = "n", diceMean = "dsc_mean", diceStd = "dsc_std"
        case hd95Mean = "hd95_mm_mean", hd95Std = "hd95_mm_std"
    }

    /// Statistics of `scores`; `means`, when given, replaces the pooled means (see `ScoreSummary.foreground`).
    init(_ scores: [VolumeScore], means: (dice: Double, hd95: Double)? = nil) {
        count = scores.count
        let dsc = meanAndStd(scores.map(\.dice))
        let hd = meanAndStd(scores.map(\.hd95))
        diceMean = means?.dice ?? dsc.mean
        diceStd = dsc.std
        hd95Mean = means?.hd95 ?? hd.mean
        hd95Std = hd.std
    }
}

/// One class's statistics.
public struct ClassStatistics: Equatable, Codable, Sendable {
    public let classIndex: Int
    /// The class's name if one was given, else "class <k>".
    public let name: String
    public let statistics: ScoreStatistics

    enum CodingKeys: String, CodingKey { case classIndex = "class", name, statistics }
}

/// The summary of an evaluation (`summary.json`): statistics per class and over the foreground.
public struct ScoreSummary: Equatable, Codable, Sendable {
    /// Number of distinct volumes scored.
    public let volumes: Int
    /// Per class, in increasing class order.
    public let classes: [ClassStatistics]
    /// Over the foreground classes (every class but 0), the paper's "All" column: the means are
    /// the means of the per-class means (equal to the pooled means when every volume is scored
    /// for every class); the standard deviations are over all pooled (volume, foreground
    /// class) scores. nil when no foreground class was scored.
    public let foreground: ScoreStatistics?

    /// Summarises `scores`; `classNames[k]` names class k when given.
    public init(_ scores: [VolumeScore], classNames: [String] = []) {
        volumes = Set(scores.map(\.volume)).count
        let byClass = Dictionary(grouping: scores, by: \.classIndex)
        classes = byClass.keys.sorted().map { k in
            let name = k < classNames.count ? classNames[k] : "class \(k)"
            return ClassStatistics(classIndex: k, name: name, statistics: ScoreStatistics(byClass[k]!))
        }
        let foregroundClasses = classes.filter { $0.classIndex != 0 }
        if foregroundClasses.isEmpty {
            foreground = nil
        } else {
            let n = Double(foregroundClasses.count)
            let means = (dice: foregroundClasses.map(\.statistics.diceMean).reduce(0, +) / n,
                         hd95: foregroundClasses.map(\.statistics.hd95Mean).reduce(0, +) / n)
            foreground = ScoreStatistics(scores.filter { $0.classIndex != 0 }, means: means)
        }
    }
}

/// Mean and population standard deviation (two-pass, so large means do not cancel).
func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
    guard !values.isEmpty else { return (.nan, .nan) }
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    return (mean, variance.squareRoot())
}
