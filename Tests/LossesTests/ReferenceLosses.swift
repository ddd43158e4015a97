@testable import Losses
#if canImport(Glibc)
import Glibc
#endif

/// Direct Double-precision evaluations of the paper's formulas, written independently of the
/// library: explicit softmax, explicit one-hot y, one sum per symbol of equations (1) to (5).
/// Only the value: the gradient is checked against finite differences of the library instead.
enum Reference {
    /// s[n][k][p] by the textbook softmax exp(z_k) / Σ_j exp(z_j) (logits in the tests are small).
    static func softmax(_ batch: Batch) -> [[[Double]]] {
        let shape = batch.shape, hw = shape.pixelsPerImage
        var s = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: hw), count: shape.classes),
                             count: shape.images)
        for n in 0..<shape.images {
            for p in 0..<hw {
                let e = (0..<shape.classes).map { k in exp(batch.logits[(n * shape.classes + k) * hw + p]) }
                let total = e.reduce(0, +)
                for k in 0..<shape.classes { s[n][k][p] = e[k] / total }
            }
        }
        return s
    }

    /// y[n][k][p] one-hot.
    static func oneHot(_ batch: Batch) -> [[[Double]]] {
        let shape = batch.shape, hw = shape.pixelsPerImage
        return (0..<shape.images).map { n in
            (0..<shape.classes).map { k in
                (0..<hw).map { p in Int(batch.labels[n * hw + p]) == k ? 1.0 : 0.0 }
            }
        }
    }

    /// Pixels of a group of images flattened: a "group" is one Dice image Ω.
    static func flatten(_ x: [[[Double]]], images: [Int], k: Int) -> [Double] {
        images.flatMap { x[$0][k] }
    }

    /// The loss value of `kind` on `batch`, scope `patch` (mean over images) or `batch` (one Ω).
    static func loss(_ kind: LossKind, _ batch: Batch, eps: Double, excludeBackground: Bool = false,
                     scope: DiceScope, mime: MimeWeights? = nil, mimeNormalizer: Double? = nil) -> Double {
        let s = softmax(batch), y = oneHot(batch), shape = batch.shape
        let classes = Array((excludeBackground ? 1 : 0)..<shape.classes)
        let groups: [[Int]] = scope == .patch ? (0..<shape.images).map { [$0] } : [Array(0..<shape.images)]
        func perGroup(_ f: ([Int]) -> Double) -> Double {
            groups.map(f).reduce(0, +) / Double(groups.count)
        }
        func sum(_ values: [Double]) -> Double { values.reduce(0, +) }
        func dice(_ images: [Int]) -> Double {   // eq. (1)
            sum(classes.map { k in
                let ys = flatten(y, images: images, k: k), ss = flatten(s, images: images, k: k)
                return 1 - (2 * sum(zip(ys, ss).map(*)) + eps) / (sum(zip(ys, ss).map(+)) + eps)
            }) / Double(classes.count)
        }
        func vnet(_ images: [Int]) -> Double {   // eq. (5)
            sum(classes.map { k in
                let ys = flatten(y, images: images, k: k), ss = flatten(s, images: images, k: k)
                return 1 - (2 * sum(zip(ys, ss).map(*)) + eps) / (sum(zip(ys, ss).map { $0 * $0 + $1 * $1 }) + eps)
            }) / Double(classes.count)
        }
        func gdl(_ images: [Int]) -> Double {    // eq. (4), w_k = 1/(Σ y + eps)² as in the authors' code
            var numerator = 0.0, denominator = 0.0
            for k in classes {
                let ys = flatten(y, images: images, k: k), ss = flatten(s, images: images, k: k)
                let w = 1 / pow(sum(ys) + eps, 2)
                numerator += w * sum(zip(ys, ss).map(*))
                denominator += w * sum(zip(ys, ss).map(+))
            }
            return 1 - (2 * numerator + eps) / (denominator + eps)
        }
        func ce() -> Double {
            var total = 0.0
            for n in 0..<shape.images {
                for p in 0..<shape.pixelsPerImage { total -= log(s[n][Int(batch.labels[n * shape.pixelsPerImage + p])][p]) }
            }
            return total / Double(shape.pixels)
        }
        func mimeLoss() -> Double {              // eq. (3): ω = −y·a + (1 − y)·b
            var total = 0.0
            for n in 0..<shape.images {
                for k in classes {
                    for p in 0..<shape.pixelsPerImage {
                        let omega = -y[n][k][p] * mime!.a[k] + (1 - y[n][k][p]) * mime!.b[k]
                        total += omega * s[n][k][p]
                    }
                }
            }
            return total / (mimeNormalizer ?? Double(shape.pixels))
        }
        switch kind {
        case .ce: return ce()
        case .dice: return perGroup(dice)
        case .vnet: return perGroup(vnet)
        case .gdl: return perGroup(gdl)
        case .mime: return mimeLoss()
        case .diceCE: return perGroup(dice) + ce()
        case .gdlCE: return perGroup(gdl) + ce()
        }
    }
}
