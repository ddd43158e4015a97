import XCTest
@testable import Losses

/// Each loss against the direct formula evaluation in `Reference`, on random inputs that include
/// images where a class is absent from the label, and from both the label and the prediction.
final class ReferenceTests: XCTestCase {
    let shape = LossShape(images: 3, classes: 3, height: 4, width: 5)
    let weights = try! MimeWeights(a: [0.5, 2, 5], b: [0.7, 0.3, 0.2])

    func batches() -> [Batch] {
        [Batch.random(shape, seed: 1),
         Batch.random(shape, seed: 2, absent: [(0, 2), (1, 1), (1, 2)]),
         Batch.random(shape, seed: 3, spread: 8, absent: [(2, 0)]),
         // Absent from label and prediction: s ≈ 1e-13 for (0, 2), s = 0 exactly for (1, 1).
         Batch.random(shape, seed: 4, absent: [(0, 2), (1, 1)])
            .settingLogits(image: 0, class: 2, to: -30).settingLogits(image: 1, class: 1, to: -800)]
    }

    func testEveryLossMatchesItsFormula() throws {
        for (b, batch) in batches().enumerated() {
            for kind in LossKind.allCases {
                for scope in [DiceScope.patch, .batch] {
                    for eps in [1e-10, 1e-3] {
                        for excludeBackground in [false, true] {
                            let options = LossOptions(eps: eps, excludeBackground: excludeBackground, diceScope: scope,
                                                      mimeWeights: weights)
                            let result = try Loss(kind, options: options).value(logits: batch.logits, labels: batch.labels,
                                                                               shape: shape)
                            let expected = Reference.loss(kind, batch, eps: eps, excludeBackground: excludeBackground,
                                                          scope: scope, mime: weights)
                            let context = "\(kind) scope \(scope) eps \(eps) excludeBackground \(excludeBackground) batch \(b)"
                            XCTAssertTrue(result.isFinite, context)
                            XCTAssertEqual(result.value, expected, accuracy: 1e-12 * max(1, abs(expected)), context)
                            XCTAssertEqual(result.terms.map(\.term), kind.terms, context)
                        }
                    }
                }
            }
        }
    }

    func testTermsOfCombinedLossesAreTheSingleLosses() throws {
        let batch = batches()[1]
        let combined = try Loss(.gdlCE).value(logits: batch.logits, labels: batch.labels, shape: shape)
        let gdl = try Loss(.gdl).value(logits: batch.logits, labels: batch.labels, shape: shape)
        let ce = try Loss(.ce).value(logits: batch.logits, labels: batch.labels, shape: shape)
        XCTAssertEqual(combined.terms[0].value, gdl.value, accuracy: 1e-14)
        XCTAssertEqual(combined.terms[1].value, ce.value, accuracy: 1e-14)
        XCTAssertEqual(combined.value, gdl.value + ce.value, accuracy: 1e-14)
    }

    /// The Float entry point (what training uses) agrees with the Double one to Float rounding.
    func testFloatPathMatchesDoublePath() throws {
        let batch = batches()[1]
        let floatLogits = batch.logits.map { Float($0) }
        let rounded = Batch(shape: shape, logits: floatLogits.map { Double($0) }, labels: batch.labels)
        for kind in LossKind.allCases {
            let loss = try Loss(kind, options: LossOptions(mimeWeights: weights))
            var floatGradient = [Float]()
            let floatResult = try loss.evaluate(logits: floatLogits, labels: batch.labels, shape: shape,
                                                logitGradient: &floatGradient)
            let (doubleResult, doubleGradient) = try evaluate(loss, rounded)
            XCTAssertEqual(floatResult.value, doubleResult.value, "\(kind)")  // same Double internals
            assertClose(floatGradient.map { Double($0) }, doubleGradient, absolute: 1e-9, relative: 1e-6, "\(kind)")
        }
    }

    func testConfidentLogitsStayFinite() throws {
        // Softmax must subtract the maximum: exp(800) overflows Double.
        var batch = Batch.random(shape, seed: 9)
        batch.logits = batch.logits.map { $0 * 300 }
        for kind in LossKind.allCases {
            let (result, gradient) = try evaluate(try Loss(kind, options: LossOptions(mimeWeights: weights)), batch)
            XCTAssertTrue(result.isFinite, "\(kind): \(result)")
            XCTAssertTrue(gradient.allSatisfy(\.isFinite), "\(kind)")
        }
    }
}
