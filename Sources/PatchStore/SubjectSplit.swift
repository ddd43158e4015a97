import Common
/// Assigns subjects (patients) to train/val/test so no subject is in two splits.
public enum SubjectSplit {
    /// The split of each item, given each item's subject.
    ///
    /// Distinct subjects are shuffled with SplitMix64(seed) and cut by `fractions`
    /// (rounded to whole subjects); with at least three subjects every split with a
    /// positive fraction gets at least one, taken from the largest split.
    public static func assign(_ subjects: [String], fractions: [Double], seed: UInt64) -> [Split] {
        var unique: [String] = []
        var seen = Set<String>()
        for s in subjects where seen.insert(s).inserted { unique.append(s) }
        var rng = SplitMix64(seed: seed)
        rng.shuffle(&unique)
        let counts = sizes(unique.count, fractions: fractions)
        var splitOf: [String: Split] = [:]
        var i = 0
        for (split, n) in zip(Split.allCases, counts) {
            for s in unique[i..<(i + n)] { splitOf[s] = split }
            i += n
        }
        return subjects.map { splitOf[$0]! }
    }

    /// Subjects per split for `n` subjects.
    public static func sizes(_ n: Int, fractions: [Double]) -> [Int] {
        let total = fractions.reduce(0, +)
        var sizes = fractions.map { Int(($0 / total * Double(n)).rounded()) }
        // Fix rounding so the sizes add up to n (adjust train first, it is the largest).
        while sizes.reduce(0, +) > n, let j = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) { sizes[j] -= 1 }
        if sizes.reduce(0, +) < n { sizes[0] += n - sizes.reduce(0, +) }
        if n >= 3 {
            for j in sizes.indices where sizes[j] == 0 && fractions[j] > 0 {
                let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] })!
                sizes[largest] -= 1
                sizes[j] += 1
            }
        }
        return sizes
    }
}
