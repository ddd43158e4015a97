import XCTest
@testable import Losses

/// The analytic logit gradient of every loss and scope against central finite differences of
/// the loss value, in Double.
final class GradientTests: XCTestCase {
    let shape = LossShape(images: 2, classes: 3, height: 3, width: 3)
    let weights = try! MimeWeights(a: [0.5, 2, 5], b: [0.7, 0.3, 0.2])

    func finiteDifferenceGradient(_ loss: Loss, _ batch: Batch, step: Double = 1e-5) throws -> [Double] {
        var probe = batch
        return try (0..<batch.logits.count).map { i in
            probe.logits[i] = batch.logits[i] + step
            let plus = try loss.value(logits: probe.logits, labels: probe.labels, shape: shape).value
            probe.logits[i] = batch.logits[i] - step
            let minus = try loss.value(logits: probe.logits, labels: probe.labels, shape: shape).value
            probe.logits[i] = batch.logits[i]
            return (plus - minus) / (2 * step)
        }
    }

    func check(_ kind: LossKind, _ options: LossOptions, _ batch: Batch, _ context: String) throws {
        let loss = try Loss(kind, options: options)
        let (result, analytic) = try evaluate(loss, batch)
        XCTAssertTrue(result.isFinite, context)
        let numeric = try finiteDifferenceGradient(loss, batch)
        assertClose(analytic, numeric, absolute: 1e-8, relative: 1e-5, "\(kind) \(context)")
        // Guard against a vacuous pass: the gradient is not zero.
        XCTAssertGreaterThan(analytic.map(abs).max()!, 1e-4, "\(kind) \(context)")
    }

    func testEveryLossAndScope() throws {
        let cases = [("random", Batch.random(shape, seed: 11)),
                     ("empty class", Batch.random(shape, seed: 12, absent: [(0, 1), (1, 2)])),
                     ("empty class and prediction", Batch.random(shape, seed: 14, absent: [(0, 1), (1, 2)])
                        .settingLogits(image: 1, class: 2, to: -20))]
        for (name, batch) in cases {
            for kind in LossKind.allCases {
                for scope in DiceScope.allCases {
                    for excludeBackground in [false, true] {
                        // GDL with an absent class and eps 1e-10 has a weight of 1e20: the loss is then
                        // 1 − O(1e-20) and its gradient below what differences resolve; eps = 1 keeps
                        // it in range and still exercises the same code.
                        let eps = name.hasPrefix("empty class") && kind.terms.contains(.gdl) ? 1 : 1e-10
                        // A single-rank global scope: the reduction is the identity.
                        let options = LossOptions(eps: eps, excludeBackground: excludeBackground, diceScope: scope,
                                                  reduceStatistics: { _ in }, mimeWeights: weights)
                        try check(kind, options, batch, "\(name) \(scope) excludeBackground \(excludeBackground)")
                    }
                }
            }
        }
    }

    func testMimeAndCrossEntropyNormalizers() throws {
        let batch = Batch.random(shape, seed: 13)
        try check(.mime, LossOptions(mimeWeights: weights, mimeNormalizer: 1000), batch, "mime normalizer")
        try check(.diceCE, LossOptions(ceNormalizer: 7), batch, "ce normalizer")
        let value = try Loss(.ce, options: LossOptions(ceNormalizer: 1)).value(logits: batch.logits, labels: batch.labels,
                                                                              shape: shape).value
        XCTAssertEqual(value, Reference.loss(.ce, batch, eps: 0, scope: .patch) * Double(shape.pixels), accuracy: 1e-12)
    }
}
