import Common
/// Assigns subjects (patients) to train/val/test so no subject is in two splits.
public enum SubjectSplit {
    /// The split of each item, given each item's subject.
    ///
    /// Distinct subjects are shuffled with SplitMix64(seed) and cut by `fractions`
    /// (rounded to whole subjects); with at least three subjects every split with a
    /// positive fraction gets at least one, taken from the largest split.
    public static func assign(_ subjects: [String], fractions: [Double], seed: UInt64) -> [Split] {
        let unique = shuffledSubjects(subjects, seed: seed)
        let counts = sizes(unique.count, fractions: fractions)
        var splitOf: [String: Split] = [:]
        var i = 0
        for (split, n) in zip(Split.allCases, counts) {
            for s in unique[i..<(i + n)] { splitOf[s] = split }
            i += n
        }
        return subjects.map { splitOf[$0]! }
    }

    /// A class that a stratified split could not put in every split with a positive fraction.
    public struct MissingClass: Equatable, Sendable {
        /// The label value.
        public var label: Int
        /// Subjects holding the class.
        public var subjects: Int
        /// Splits with a positive fraction and none of those subjects.
        public var missing: [Split]
    }

    /// A stratified assignment and the classes it could not spread.
    public struct Stratified: Sendable {
        /// The split of each item.
        public var splits: [Split]
        /// Classes present somewhere but absent from a split with a positive fraction
        /// (always the case for a class held by fewer subjects than such splits).
        public var missing: [MissingClass]
    }

    /// The split of each item, stratified by class presence: `classes[i]` is the set of
    /// label values present in item i (a subject holds the union over its items).
    ///
    /// Distinct subjects are shuffled with SplitMix64(seed), as in `assign`. Classes are taken
    /// rarest first (fewest subjects; ties by label value); for each class, its subjects not yet
    /// placed fill the splits, in split order, up to that class's share `sizes(subjects, fractions)`
    /// less its subjects already placed by rarer classes, keeping one subject back for every later
    /// split that still lacks the class. A last pass does the same for all subjects, so the split
    /// sizes are those of `assign` whenever the strata allow. Hence a class held by at least three
    /// subjects lands in every split with a positive fraction (unless rarer classes already placed
    /// all its subjects; `missing` then names it), and when every subject holds the same classes
    /// the result is `assign`'s, bit for bit. A class held by one or two subjects goes where
    /// `sizes` puts them (train, with the usual fractions, so its Mime weights are defined) and
    /// `missing` names it.
    public static func assignStratified(_ subjects: [String], classes: [Set<Int>], fractions: [Double],
                                        seed: UInt64) -> Stratified {
        precondition(subjects.count == classes.count, "one class set per item")
        let unique = shuffledSubjects(subjects, seed: seed)
        var held: [String: Set<Int>] = [:]
        for (s, c) in zip(subjects, classes) { held[s, default: []].formUnion(c) }
        var holders: [Int: [String]] = [:]   // in shuffled order
        for s in unique { for k in held[s]! { holders[k, default: []].append(s) } }
        let rarestFirst = holders.keys.sorted { (holders[$0]!.count, $0) < (holders[$1]!.count, $1) }

        var splitOf: [String: Split] = [:]
        for group in rarestFirst.map({ holders[$0]! }) + [unique] {
            let want = sizes(group.count, fractions: fractions)
            var have = [Int](repeating: 0, count: want.count)
            for s in group { if let split = splitOf[s] { have[split.index] += 1 } }
            var free = group.filter { splitOf[$0] == nil }[...]
            for j in want.indices {
                // Keep one subject for each later split that should hold this group and does not yet.
                let reserved = (j + 1..<want.count).filter { want[$0] > 0 && have[$0] == 0 }.count
                let take = max(0, min(want[j] - have[j], free.count - reserved))
                for s in free.prefix(take) { splitOf[s] = Split.allCases[j] }
                free = free.dropFirst(take)
                have[j] += take
            }
            // Splits already over their share (from rarer classes) leave subjects over: each goes
            // to the split furthest below its share.
            for s in free {
                let j = want.indices.filter { fractions[$0] > 0 }.max { (want[$0] - have[$0], $1) < (want[$1] - have[$1], $0) }!
                splitOf[s] = Split.allCases[j]
                have[j] += 1
            }
        }
        let missing = rarestFirst.sorted().compactMap { k -> MissingClass? in
            let present = Set(holders[k]!.map { splitOf[$0]! })
            let lacking = Split.allCases.enumerated().filter { fractions[$0.offset] > 0 && !present.contains($0.element) }
            return lacking.isEmpty ? nil : MissingClass(label: k, subjects: holders[k]!.count, missing: lacking.map(\.element))
        }
        return Stratified(splits: subjects.map { splitOf[$0]! }, missing: missing)
    }

    /// Distinct subjects in first-seen order, shuffled with SplitMix64(seed).
    static func shuffledSubjects(_ subjects: [String], seed: UInt64) -> [String] {
        var unique: [String] = []
        var seen = Set<String>()
        for s in subjects where seen.insert(s).inserted { unique.append(s) }
        var rng = SplitMix64(seed: seed)
        rng.shuffle(&unique)
        return unique
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

extension Split {
    /// Position in `allCases` (train 0, val 1, test 2).
    var index: Int { Split.allCases.firstIndex(of: self)! }
}
