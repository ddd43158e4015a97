/// A configured loss: evaluates the value and the gradient with respect to the logits of a
/// batch. Logits are N x K x H x W (NCHW), labels N x H x W class indices; every term applies a
/// numerically stable softmax over K per pixel and accumulates in Double.
///
/// The instance keeps scratch buffers between calls: use one instance per thread.
public final class Loss {
    /// Which loss.
    public let kind: LossKind
    /// How it is computed (fixed: the checks in `init` hold for every evaluation).
    public let options: LossOptions

    private var probabilities: [Double] = []
    private var probabilityGradient: [Double] = []
    private var logSumExp: [Double] = []
    private var doubleLogits: [Double] = []
    private var doubleGradient: [Double] = []

    /// A loss of `kind`. Mime needs `options.mimeWeights` (checked here); the `global` scope
    /// needs the statistics summed over ranks at each evaluation, or `options.reduceStatistics`.
    public init(_ kind: LossKind, options: LossOptions = LossOptions()) throws {
        self.kind = kind
        self.options = options
        guard options.eps >= 0, options.eps.isFinite else {
            throw LossError.invalidOption("eps must be a finite number >= 0, got \(options.eps)")
        }
        if kind.terms.contains(.mime), options.mimeWeights == nil {
            throw LossError.mimeWeights("the mime loss needs weights (class statistics of the training split, or explicit a and b)")
        }
        for (name, normalizer) in [("mime", options.mimeNormalizer), ("cross-entropy", options.ceNormalizer)] {
            if let normalizer, !(normalizer.isFinite && normalizer > 0) {
                throw LossError.invalidOption("\(name) normalizer must be positive and finite, got \(normalizer)")
            }
        }
    }

    /// The per-class sums this batch contributes to a `global`-scope Dice-family term
    /// (4·K values [Σ y·s, Σ y, Σ s, Σ s²]): the caller sums them over ranks and passes
    /// the sums to `evaluate(...summedStatistics:)`, so the collective is a step of its
    /// own rather than hidden inside the loss (the alternative is `options.reduceStatistics`).
    public func globalStatistics(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                                 shape: LossShape) throws -> [Double] {
        try validate(logits: logits, labels: labels, shape: shape, logitGradient: nil, probabilityGradientOut: nil)
        resize(&doubleLogits, shape.logitCount)
        resize(&probabilities, shape.logitCount)
        doubleLogits.withUnsafeMutableBufferPointer { z in
            for i in 0..<logits.count { z[i] = Double(logits[i]) }
        }
        return doubleLogits.withUnsafeBufferPointer { z in
            probabilities.withUnsafeMutableBufferPointer { s in
                Softmax.forward(logits: z, shape: shape, probabilities: s, logSumExp: nil)
                return DiceStatistics.perImage(probabilities: UnsafeBufferPointer(s), labels: labels, shape: shape)
                    .reduce(DiceStatistics(classes: shape.classes), +).values
            }
        }
    }

    /// Evaluates the loss of a batch.
    /// - Parameters:
    ///   - logits: N·K·H·W values.
    ///   - labels: N·H·W class indices.
    ///   - logitGradient: receives dL/dz (N·K·H·W); nil to compute the value only.
    ///   - probabilityGradient: receives dL/ds of the Dice-family and Mime terms (the
    ///     cross-entropy's gradient goes to the logits directly and is not included).
    ///   - summedStatistics: in the `global` scope, the sum over ranks of every rank's
    ///     `globalStatistics` (else `options.reduceStatistics` is called).
    /// - Returns: the value, per-term values and the non-finite counts (of the Float gradient,
    ///   after rounding).
    /// - Throws: `LossError` on size mismatch, a label ≥ K, Mime weights for another K, a
    ///   `global` scope with neither summed statistics nor a reduction, or an error from the
    ///   reduction closure.
    public func evaluate(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>, shape: LossShape,
                         logitGradient: UnsafeMutableBufferPointer<Float>?,
                         probabilityGradient: UnsafeMutableBufferPointer<Double>? = nil,
                         summedStatistics: [Double]? = nil) throws -> LossResult {
        try validate(logits: logits, labels: labels, shape: shape, logitGradient: logitGradient,
                     probabilityGradientOut: probabilityGradient)
        // Everything below runs on Double: convert once rather than in every loop.
        resize(&doubleLogits, shape.logitCount)
        doubleLogits.withUnsafeMutableBufferPointer { z in
            for i in 0..<logits.count { z[i] = Double(logits[i]) }
        }
        if logitGradient != nil { resize(&doubleGradient, shape.logitCount) }
        var result = try doubleLogits.withUnsafeBufferPointer { z in
            try doubleGradient.withUnsafeMutableBufferPointer { gz in
                try run(logits: z, labels: labels, shape: shape, logitGradient: logitGradient == nil ? nil : gz,
                        probabilityGradientOut: probabilityGradient, summedStatistics: summedStatistics)
            }
        }
        if let out = logitGradient {
            // Count after rounding: a finite Double can overflow Float.
            let hw = shape.pixelsPerImage
            result.nonFiniteGradient = doubleGradient.withUnsafeBufferPointer { gz in
                var counts = [Int](repeating: 0, count: shape.classes)
                for n in 0..<shape.images {
                    for k in 0..<shape.classes {
                        let base = shape.index(image: n, class: k, pixel: 0)
                        var count = 0
                        for p in 0..<hw {
                            let value = Float(gz[base + p])
                            out[base + p] = value
                            if !value.isFinite { count += 1 }
                        }
                        counts[k] += count
                    }
                }
                return counts
            }
        }
        return result
    }

    /// Double-precision logits and gradient, for gradient checks and references.
    public func evaluate(logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<UInt8>, shape: LossShape,
                         logitGradient: UnsafeMutableBufferPointer<Double>?,
                         probabilityGradient: UnsafeMutableBufferPointer<Double>? = nil) throws -> LossResult {
        try validate(logits: logits, labels: labels, shape: shape, logitGradient: logitGradient,
                     probabilityGradientOut: probabilityGradient)
        return try run(logits: logits, labels: labels, shape: shape, logitGradient: logitGradient,
                       probabilityGradientOut: probabilityGradient)
    }

    /// Array convenience: the value only.
    public func value(logits: [Float], labels: [UInt8], shape: LossShape) throws -> LossResult {
        try logits.withUnsafeBufferPointer { z in
            try labels.withUnsafeBufferPointer { y in
                try evaluate(logits: z, labels: y, shape: shape, logitGradient: nil)
            }
        }
    }

    /// Array convenience: the value only, Double logits.
    public func value(logits: [Double], labels: [UInt8], shape: LossShape) throws -> LossResult {
        try logits.withUnsafeBufferPointer { z in
            try labels.withUnsafeBufferPointer { y in
                try evaluate(logits: z, labels: y, shape: shape, logitGradient: nil)
            }
        }
    }

    /// Array convenience: the value and the logit gradient (resized to N·K·H·W).
    public func evaluate(logits: [Float], labels: [UInt8], shape: LossShape,
                         logitGradient: inout [Float]) throws -> LossResult {
        if logitGradient.count != shape.logitCount { logitGradient = [Float](repeating: 0, count: shape.logitCount) }
        return try logits.withUnsafeBufferPointer { z in
            try labels.withUnsafeBufferPointer { y in
                try logitGradient.withUnsafeMutableBufferPointer { gz in
                    try evaluate(logits: z, labels: y, shape: shape, logitGradient: gz)
                }
            }
        }
    }

    /// Array convenience: the value and the logit gradient (resized to N·K·H·W), Double logits.
    public func evaluate(logits: [Double], labels: [UInt8], shape: LossShape,
                         logitGradient: inout [Double]) throws -> LossResult {
        if logitGradient.count != shape.logitCount { logitGradient = [Double](repeating: 0, count: shape.logitCount) }
        return try logits.withUnsafeBufferPointer { z in
            try labels.withUnsafeBufferPointer { y in
                try logitGradient.withUnsafeMutableBufferPointer { gz in
                    try evaluate(logits: z, labels: y, shape: shape, logitGradient: gz)
                }
            }
        }
    }

    // MARK: Implementation

    /// The classes the Dice family and Mime sum over.
    private func summedClasses(_ shape: LossShape) -> [Int] {
        Array((options.excludeBackground && shape.classes > 1 ? 1 : 0)..<shape.classes)
    }

    private func validate<T>(logits: UnsafeBufferPointer<T>, labels: UnsafeBufferPointer<UInt8>, shape: LossShape,
                             logitGradient: UnsafeMutableBufferPointer<T>?,
                             probabilityGradientOut: UnsafeMutableBufferPointer<Double>?) throws {
        guard shape.images >= 0, shape.classes >= 1, shape.height >= 0, shape.width >= 0 else {
            throw LossError.invalidOption("shape \(shape) has a negative size or no class")
        }
        guard shape.classes <= 256 else {
            throw LossError.invalidOption("\(shape.classes) classes do not fit UInt8 labels")
        }
        if logits.count != shape.logitCount {
            throw LossError.sizeMismatch(buffer: "logits", expected: shape.logitCount, actual: logits.count)
        }
        if labels.count != shape.pixels {
            throw LossError.sizeMismatch(buffer: "labels", expected: shape.pixels, actual: labels.count)
        }
        if let g = logitGradient, g.count != shape.logitCount {
            throw LossError.sizeMismatch(buffer: "logit gradient", expected: shape.logitCount, actual: g.count)
        }
        if let g = probabilityGradientOut, g.count != shape.logitCount {
            throw LossError.sizeMismatch(buffer: "probability gradient", expected: shape.logitCount, actual: g.count)
        }
        if let index = labels.firstIndex(where: { Int($0) >= shape.classes }) {
            throw LossError.labelOutOfRange(label: Int(labels[index]), index: index, classes: shape.classes)
        }
        if kind.terms.contains(.mime), let weights = options.mimeWeights, weights.classes != shape.classes {
            throw LossError.mimeWeights("weights are for \(weights.classes) classes, the logits have \(shape.classes)")
        }
    }

    /// The whole computation on Double logits (inputs already validated).
    private func run(logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<UInt8>,
                     shape: LossShape, logitGradient: UnsafeMutableBufferPointer<Double>?,
                     probabilityGradientOut: UnsafeMutableBufferPointer<Double>?,
                     summedStatistics: [Double]? = nil) throws -> LossResult {
        let terms = kind.terms
        let hasCE = terms.contains(.ce)
        let needsProbabilityGradient = (logitGradient != nil || probabilityGradientOut != nil)
            && terms.contains { $0 != .ce }
        resize(&probabilities, shape.logitCount)
        if hasCE { resize(&logSumExp, shape.pixels) }
        if needsProbabilityGradient {
            resize(&probabilityGradient, shape.logitCount)
            probabilityGradient.withUnsafeMutableBufferPointer { g in g.update(repeating: 0) }
        }

        var results: [LossTermResult] = []
        try probabilities.withUnsafeMutableBufferPointer { s in
            try logSumExp.withUnsafeMutableBufferPointer { lse in
                try probabilityGradient.withUnsafeMutableBufferPointer { g in
                    Softmax.forward(logits: logits, shape: shape, probabilities: s, logSumExp: hasCE ? lse : nil)
                    let gOrNil = needsProbabilityGradient ? g : nil
                    for term in terms {
                        switch term {
                        case .ce:
                            results.append(crossEntropy(logits: logits, logSumExp: UnsafeBufferPointer(lse),
                                                        labels: labels, shape: shape))
                        case .dice, .vnet, .gdl:
                            results.append(try diceFamily(term, probabilities: UnsafeBufferPointer(s), labels: labels,
                                                          shape: shape, gradient: gOrNil,
                                                          summedStatistics: summedStatistics))
                        case .mime:
                            results.append(mime(probabilities: UnsafeBufferPointer(s), labels: labels, shape: shape,
                                                gradient: gOrNil))
                        }
                    }
                }
            }
        }

        if let out = probabilityGradientOut {
            if needsProbabilityGradient {
                _ = probabilityGradient.withUnsafeBufferPointer { out.update(fromContentsOf: $0) }
            } else {
                out.update(repeating: 0)
            }
        }
        var nonFiniteGradient = [Int](repeating: 0, count: shape.classes)
        if let logitGradient {
            let ceScale = hasCE ? 1 / ceNormalizer(shape) : 0
            nonFiniteGradient = probabilities.withUnsafeBufferPointer { s in
                probabilityGradient.withUnsafeBufferPointer { g in
                    Softmax.backward(probabilities: s, probabilityGradient: needsProbabilityGradient ? g : nil,
                                     labels: labels, ceScale: ceScale, shape: shape, gradient: logitGradient)
                }
            }
        }
        return LossResult(value: results.reduce(0) { $0 + $1.value }, terms: results,
                          nonFiniteGradient: nonFiniteGradient)
    }

    private func resize(_ buffer: inout [Double], _ count: Int) {
        if buffer.count != count { buffer = [Double](repeating: 0, count: count) }
    }

    private func ceNormalizer(_ shape: LossShape) -> Double {
        options.ceNormalizer ?? Double(max(shape.pixels, 1))
    }

    /// Σ over pixels of −log s_y = logSumExp − z_y, divided by the normalizer (default: a mean).
    private func crossEntropy(logits: UnsafeBufferPointer<Double>, logSumExp: UnsafeBufferPointer<Double>,
                                                      labels: UnsafeBufferPointer<UInt8>, shape: LossShape) -> LossTermResult {
        let hw = shape.pixelsPerImage
        var sum = 0.0
        var nonFinite = [Int](repeating: 0, count: shape.classes)
        for n in 0..<shape.images {
            for p in 0..<hw {
                let label = Int(labels[n * hw + p])
                let value = logSumExp[n * hw + p] - logits[shape.index(image: n, class: label, pixel: p)]
                if !value.isFinite { nonFinite[label] += 1 }
                sum += value
            }
        }
        return LossTermResult(term: .ce, value: sum / ceNormalizer(shape),
                              nonFiniteTerms: nonFinite)
    }

    /// A Dice-family term in the configured scope; adds its dL/ds to `gradient`.
    private func diceFamily(_ term: LossTerm, probabilities s: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<UInt8>,
                            shape: LossShape, gradient g: UnsafeMutableBufferPointer<Double>?,
                            summedStatistics: [Double]?) throws -> LossTermResult {
        let classes = summedClasses(shape)
        let perImage = DiceStatistics.perImage(probabilities: s, labels: labels, shape: shape)
        // Groups of images that form one ratio each, with the weight of that ratio in the loss.
        var groups: [(images: Range<Int>, stats: DiceStatistics)]
        var scale = 1.0
        switch options.diceScope {
        case .patch:
            groups = perImage.enumerated().map { ($0.offset..<$0.offset + 1, $0.element) }
            scale = perImage.isEmpty ? 1 : 1 / Double(perImage.count)
        case .batch, .global:
            var total = perImage.reduce(DiceStatistics(classes: shape.classes), +)
            if options.diceScope == .global {
                let count = total.values.count
                if let summedStatistics {
                    total.values = summedStatistics
                } else {
                    guard let reduce = options.reduceStatistics else { throw LossError.missingReduction }
                    try reduce(&total.values)
                }
                if total.values.count != count {
                    throw LossError.reductionChangedLength(expected: count, actual: total.values.count)
                }
            }
            groups = [(0..<shape.images, total)]
        }
        var value = 0.0
        var nonFinite = [Int](repeating: 0, count: shape.classes)
        for group in groups {
            let result = DiceFamily.evaluate(term, stats: group.stats, classes: classes, eps: options.eps, scale: scale)
            value += result.value
            for k in 0..<shape.classes { nonFinite[k] += result.nonFinite[k] }
            if let g {
                result.coefficients.accumulate(into: g, probabilities: s, labels: labels, shape: shape,
                                               images: group.images, classes: classes)
            }
        }
        return LossTermResult(term: term, value: value, nonFiniteTerms: nonFinite)
    }

    /// Eq. (3): Σ_i Σ_k ω_ik s_ik / normalizer with ω = −y·a_k + (1 − y)·b_k; adds ω/normalizer to `gradient`.
    private func mime(probabilities s: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<UInt8>,
                      shape: LossShape, gradient g: UnsafeMutableBufferPointer<Double>?) -> LossTermResult {
        let weights = options.mimeWeights!  // checked in init and validate
        let normalizer = options.mimeNormalizer ?? Double(max(shape.pixels, 1))
        let hw = shape.pixelsPerImage
        var value = 0.0
        var nonFinite = [Int](repeating: 0, count: shape.classes)
        var coefficients = ProbabilityGradientCoefficients(classes: shape.classes)
        let classes = summedClasses(shape)
        for k in classes {
            let positive = -weights.a[k] / normalizer, negative = weights.b[k] / normalizer
            coefficients.positive[k] = positive
            coefficients.negative[k] = negative
            var classSum = 0.0
            for n in 0..<shape.images {
                let base = shape.index(image: n, class: k, pixel: 0)
                for p in 0..<hw {
                    classSum += (Int(labels[n * hw + p]) == k ? positive : negative) * s[base + p]
                }
            }
            if !classSum.isFinite { nonFinite[k] += 1 }
            value += classSum
        }
        if let g {
            coefficients.accumulate(into: g, probabilities: s, labels: labels, shape: shape,
                                    images: 0..<shape.images, classes: classes)
        }
        return LossTermResult(term: .mime, value: value, nonFiniteTerms: nonFinite)
    }
}
