/// Per-class sums over a set of pixels, the only data a Dice-family ratio needs.
/// Stored flat as [Σ y·s, Σ y, Σ s, Σ s²], K values each: the vector the `global` scope
/// reduces across ranks.
struct DiceStatistics {
    static let fields = 4
    var values: [Double]
    let classes: Int

    init(classes: Int) {
        self.classes = classes
        values = [Double](repeating: 0, count: Self.fields * classes)
    }

    init(values: [Double], classes: Int) {
        self.values = values
        self.classes = classes
    }

    /// I_k = Σ_i y_ik s_ik.
    func intersection(_ k: Int) -> Double { values[k] }
    /// Σ_i y_ik (= Σ y², y being one-hot).
    func labelSum(_ k: Int) -> Double { values[classes + k] }
    /// Σ_i s_ik.
    func probabilitySum(_ k: Int) -> Double { values[2 * classes + k] }
    /// Σ_i s_ik².
    func probabilitySquareSum(_ k: Int) -> Double { values[3 * classes + k] }

    static func + (lhs: DiceStatistics, rhs: DiceStatistics) -> DiceStatistics {
        DiceStatistics(values: zip(lhs.values, rhs.values).map(+), classes: lhs.classes)
    }

    /// The statistics of each image of the batch, accumulated in Double.
    static func perImage(probabilities s: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<UInt8>,
                         shape: LossShape) -> [DiceStatistics] {
        let hw = shape.pixelsPerImage, kCount = shape.classes
        return (0..<shape.images).map { n in
            var stats = DiceStatistics(classes: kCount)
            stats.values.withUnsafeMutableBufferPointer { v in
                for k in 0..<kCount {
                    var inter = 0.0, ySum = 0.0, sSum = 0.0, s2Sum = 0.0
                    let base = shape.index(image: n, class: k, pixel: 0)
                    for p in 0..<hw {
                        let value = s[base + p]
                        if Int(labels[n * hw + p]) == k {
                            inter += value
                            ySum += 1
                        }
                        sSum += value
                        s2Sum += value * value
                    }
                    v[k] = inter
                    v[kCount + k] = ySum
                    v[2 * kCount + k] = sSum
                    v[3 * kCount + k] = s2Sum
                }
            }
            return stats
        }
    }
}

/// dL/ds_ik = (y_ik == 1 ? positive_k : negative_k) + square_k · s_ik, for all pixels of a group.
/// Dice, GDL and Mime have square = 0 (eq. 2: two values per class); V-Net does not.
struct ProbabilityGradientCoefficients {
    var positive: [Double]
    var negative: [Double]
    var square: [Double]

    init(classes: Int) {
        positive = [Double](repeating: 0, count: classes)
        negative = positive
        square = positive
    }

    /// Adds these coefficients' gradient to g for the pixels of `images`.
    func accumulate(into g: UnsafeMutableBufferPointer<Double>, probabilities s: UnsafeBufferPointer<Double>,
                    labels: UnsafeBufferPointer<UInt8>, shape: LossShape, images: Range<Int>, classes: [Int]) {
        let hw = shape.pixelsPerImage
        for n in images {
            for k in classes {
                let base = shape.index(image: n, class: k, pixel: 0)
                let pos = positive[k], neg = negative[k], sq = square[k]
                for p in 0..<hw {
                    var value = Int(labels[n * hw + p]) == k ? pos : neg
                    if sq != 0 { value += sq * s[base + p] }
                    g[base + p] += value
                }
            }
        }
    }
}

/// One Dice-family term on one group of pixels (an image, or a whole batch).
struct DiceGroupResult {
    var value: Double
    var coefficients: ProbabilityGradientCoefficients
    var nonFinite: [Int]
}

enum DiceFamily {
    /// The loss of `term` (dice, vnet or gdl) over the pixels summarised by `stats`, restricted to
    /// `classes`, and its gradient coefficients wrt s, all multiplied by `scale`.
    static func evaluate(_ term: LossTerm, stats: DiceStatistics, classes: [Int], eps: Double,
                         scale: Double) -> DiceGroupResult {
        var coefficients = ProbabilityGradientCoefficients(classes: stats.classes)
        var nonFinite = [Int](repeating: 0, count: stats.classes)
        switch term {
        case .dice, .vnet:
            // Eq. (1) / (5): mean over classes of 1 − (2I + eps)/(U + eps).
            let perClass = scale / Double(classes.count)
            var value = 0.0
            for k in classes {
                let twoI = 2 * stats.intersection(k) + eps
                let u = stats.labelSum(k)
                    + (term == .dice ? stats.probabilitySum(k) : stats.probabilitySquareSum(k)) + eps
                let ratio = twoI / u
                if !(1 - ratio).isFinite { nonFinite[k] += 1 }
                value += 1 - ratio
                if term == .dice {
                    // Eq. (2): −2(U − I)/U² where y = 1, 2I/U² elsewhere (with eps).
                    coefficients.positive[k] = -perClass * (2 * u - twoI) / (u * u)
                    coefficients.negative[k] = perClass * twoI / (u * u)
                } else {
                    // d/ds of −(2I + eps)/(Σy + Σs² + eps) = −2y/U + (2I + eps)·2s/U².
                    coefficients.positive[k] = -perClass * 2 / u
                    coefficients.square[k] = perClass * 2 * twoI / (u * u)
                }
            }
            return DiceGroupResult(value: scale * value / Double(classes.count),
                                   coefficients: coefficients, nonFinite: nonFinite)
        case .gdl:
            // Eq. (4): 1 − (2 Σ_k w_k I_k + eps)/(Σ_k w_k U_k + eps), w_k = 1/(Σ y + eps)².
            var numerator = eps, denominator = eps
            var weights = [Double](repeating: 0, count: stats.classes)
            for k in classes {
                let labelSum = stats.labelSum(k) + eps
                let w = 1 / (labelSum * labelSum)
                weights[k] = w
                let wI = w * stats.intersection(k)
                let wU = w * (stats.labelSum(k) + stats.probabilitySum(k))
                if !wI.isFinite || !wU.isFinite { nonFinite[k] += 1 }
                numerator += 2 * wI
                denominator += wU
            }
            let value = 1 - numerator / denominator
            if !value.isFinite && !nonFinite.contains(where: { $0 > 0 }) {
                // Not traceable to one class (e.g. every weight finite but the ratio 0/0): flag them all.
                for k in classes { nonFinite[k] += 1 }
            }
            let d2 = denominator * denominator
            for k in classes {
                coefficients.positive[k] = -scale * weights[k] * (2 * denominator - numerator) / d2
                coefficients.negative[k] = scale * weights[k] * numerator / d2
            }
            return DiceGroupResult(value: scale * value, coefficients: coefficients, nonFinite: nonFinite)
        case .ce, .mime:
            preconditionFailure("DiceFamily.evaluate called with \(term)")
        }
    }
}
