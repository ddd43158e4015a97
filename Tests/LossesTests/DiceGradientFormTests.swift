import XCTest
@testable import Losses

/// Eq. (2): within one image and class, dL/ds of the Dice loss takes only two values,
/// −2(U − I)/U² where y = 1 and 2I/U² elsewhere (times the 1/|K| of eq. 1 and the 1/N of the
/// patch-scope mean). Checked on the probability gradient the library exposes.
final class DiceGradientFormTests: XCTestCase {
    let shape = LossShape(images: 3, classes: 4, height: 5, width: 4)

    /// The distinct values (to a relative 1e-12) of dL/ds for (image n, class k), split by y.
    func values(_ ds: [Double], _ batch: Batch, n: Int, k: Int) -> (positive: [Double], negative: [Double]) {
        let hw = shape.pixelsPerImage
        var positive: [Double] = [], negative: [Double] = []
        for p in 0..<hw {
            let value = ds[(n * shape.classes + k) * hw + p]
            if Int(batch.labels[n * hw + p]) == k { positive.append(value) } else { negative.append(value) }
        }
        func distinct(_ xs: [Double]) -> [Double] {
            xs.reduce(into: [Double]()) { found, x in
                if !found.contains(where: { abs($0 - x) <= 1e-12 * max(abs(x), 1e-300) }) { found.append(x) }
            }
        }
        return (distinct(positive), distinct(negative))
    }

    func testDiceGradientIsEquation2() throws {
        // eps = 0: the raw formula of eq. (2) (finite: softmax keeps U > 0 even for an absent class).
        let batch = Batch.random(shape, seed: 21)
        let ds = try probabilityGradient(try Loss(.dice, options: LossOptions(eps: 0)), batch)
        let s = Reference.softmax(batch), y = Reference.oneHot(batch)
        let scale = 1 / Double(shape.classes * shape.images)
        for n in 0..<shape.images {
            for k in 0..<shape.classes {
                let intersection = zip(y[n][k], s[n][k]).map(*).reduce(0, +)
                let union = zip(y[n][k], s[n][k]).map(+).reduce(0, +)
                let (positive, negative) = values(ds, batch, n: n, k: k)
                let present = y[n][k].contains(1)
                XCTAssertEqual(positive.count, present ? 1 : 0, "image \(n) class \(k): one value where y = 1")
                XCTAssertEqual(negative.count, 1, "image \(n) class \(k): one value where y = 0")
                if let value = positive.first {
                    XCTAssertEqual(value, scale * -2 * (union - intersection) / (union * union),
                                   accuracy: 1e-14, "image \(n) class \(k)")
                    XCTAssertLessThan(value, 0)  // a weighted negative of y
                }
                XCTAssertEqual(negative[0], scale * 2 * intersection / (union * union), accuracy: 1e-14,
                               "image \(n) class \(k)")
                if present { XCTAssertGreaterThan(negative[0], 0) }
            }
        }
    }

    func testDiceAndGDLGradientsTakeTwoValuesPerImageAndClass() throws {
        let batch = Batch.random(shape, seed: 22, absent: [(1, 3)])
        for kind in [LossKind.dice, .gdl] {
            for scope in [DiceScope.patch, .batch] {
                let ds = try probabilityGradient(try Loss(kind, options: LossOptions(diceScope: scope)), batch)
                var distinctPerGroupAndClass = [Int: Set<Double>]()
                for n in 0..<shape.images {
                    for k in 0..<shape.classes {
                        let (positive, negative) = values(ds, batch, n: n, k: k)
                        XCTAssertLessThanOrEqual(positive.count, 1, "\(kind) \(scope) image \(n) class \(k)")
                        XCTAssertEqual(negative.count, 1, "\(kind) \(scope) image \(n) class \(k)")
                        let group = scope == .patch ? n : 0
                        distinctPerGroupAndClass[group * shape.classes + k, default: []]
                            .formUnion(positive + negative)
                    }
                }
                if scope == .batch {
                    // One ratio for the whole batch: still two values per class across all images.
                    for (key, set) in distinctPerGroupAndClass {
                        XCTAssertLessThanOrEqual(set.count, 2, "\(kind) batch class \(key)")
                    }
                }
            }
        }
    }

    func testVNetGradientFollowsItsOwnFormula() throws {
        // V-Net's squared denominator makes dL/ds depend on s: −2y/U + 2(2I)s/U² (1/|K|, 1/N).
        let batch = Batch.random(shape, seed: 23)
        let ds = try probabilityGradient(try Loss(.vnet, options: LossOptions(eps: 0)), batch)
        let s = Reference.softmax(batch), y = Reference.oneHot(batch)
        let scale = 1 / Double(shape.classes * shape.images), hw = shape.pixelsPerImage
        var expected = [Double](repeating: 0, count: shape.logitCount)
        for n in 0..<shape.images {
            for k in 0..<shape.classes {
                let intersection = zip(y[n][k], s[n][k]).map(*).reduce(0, +)
                let union = zip(y[n][k], s[n][k]).map { $0 * $0 + $1 * $1 }.reduce(0, +)
                for p in 0..<hw {
                    expected[(n * shape.classes + k) * hw + p] =
                        scale * (-2 * y[n][k][p] / union + 4 * intersection * s[n][k][p] / (union * union))
                }
            }
        }
        assertClose(ds, expected, absolute: 1e-15, relative: 1e-12, "vnet dL/ds")
    }

    func testMimeProbabilityGradientIsTheWeightMap() throws {
        let batch = Batch.random(shape, seed: 24)
        let weights = try MimeWeights(a: [1, 2, 3, 4], b: [0.5, 0.25, 0.125, 0.0625])
        let ds = try probabilityGradient(try Loss(.mime, options: LossOptions(mimeWeights: weights, mimeNormalizer: 10)), batch)
        let hw = shape.pixelsPerImage
        for n in 0..<shape.images {
            for k in 0..<shape.classes {
                for p in 0..<hw {
                    let isK = Int(batch.labels[n * hw + p]) == k
                    XCTAssertEqual(ds[(n * shape.classes + k) * hw + p], (isK ? -weights.a[k] : weights.b[k]) / 10)
                }
            }
        }
    }
}
