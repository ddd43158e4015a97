/// The Mime loss's per-class weights: a pixel of class k in the label weighs −a_k, a pixel
/// not of class k weighs +b_k (the paper's ω = −y·a + (1 − y)·b, eq. 3).
///
/// `init(counts:patches:pixelsPerPatch:)` implements the mean-per-patch reading of the paper:
/// a_k = 1 / (mean over training patches of |Ω_y^k|), b_k = 1 / (mean over training patches
/// of |Ω| − |Ω_y^k|). The paper prints a_k = 1/(|D| Σ_n |Ω_yn^k|); read literally that is the
/// same weights divided by |D|², which changes nothing but the gradient's scale and pushes it
/// below Adam's epsilon (see docs/losses.md).
public struct MimeWeights: Equatable, Sendable {
    /// −a_k is the weight of a pixel labelled k, for class k.
    public let a: [Double]
    /// +b_k is the weight of a pixel not labelled k, for class k.
    public let b: [Double]

    /// The number of classes the weights are for.
    public var classes: Int { a.count }

    /// Explicit weights (`--mime-a`, `--mime-b`): one positive finite value per class each.
    public init(a: [Double], b: [Double]) throws {
        guard a.count == b.count, !a.isEmpty else {
            throw LossError.mimeWeights("a has \(a.count) values and b has \(b.count); give one per class for both")
        }
        for (k, value) in (a + b).enumerated() where !(value.isFinite && value > 0) {
            let which = k < a.count ? "a" : "b"
            throw LossError.mimeWeights("\(which)[\(k % a.count)] = \(value) is not a positive finite number")
        }
        self.a = a
        self.b = b
    }

    /// Weights from the training split's class statistics.
    /// - Parameters:
    ///   - counts: voxels of each class summed over all training patches (K values, background included).
    ///   - patches: the number of training patches.
    ///   - pixelsPerPatch: |Ω|, pixels in one patch.
    ///   - classNames: names for error messages (defaults to "class k").
    /// - Throws: `LossError.classAbsentFromTraining` naming the first class with no voxel,
    ///   `classCoversEverything` for a class filling every patch.
    public init(counts: [Double], patches: Int, pixelsPerPatch: Int, classNames: [String]? = nil) throws {
        guard !counts.isEmpty, patches > 0, pixelsPerPatch > 0 else {
            throw LossError.mimeWeights("need class counts, patches > 0 and pixels per patch > 0 (got \(counts.count) classes, \(patches) patches, \(pixelsPerPatch) pixels)")
        }
        let total = Double(patches) * Double(pixelsPerPatch)
        func name(_ k: Int) -> String {
            if let names = classNames, k < names.count { return names[k] }
            return "class \(k)"
        }
        for (k, count) in counts.enumerated() {
            guard count.isFinite, count >= 0, count <= total else {
                throw LossError.mimeWeights("\(name(k)) has \(count) voxels, outside 0...\(total)")
            }
        }
        // An absent class is the root cause when another class then covers everything: report it first.
        if let k = counts.firstIndex(of: 0) { throw LossError.classAbsentFromTraining(classIndex: k, className: name(k)) }
        if let k = counts.firstIndex(of: total) { throw LossError.classCoversEverything(classIndex: k, className: name(k)) }
        var a = [Double](), b = [Double]()
        for count in counts {
            // 1 / (count / patches): the mean class area per patch, not divided again by |D|.
            a.append(Double(patches) / count)
            b.append(Double(patches) / (total - count))
        }
        self.a = a
        self.b = b
    }
}
