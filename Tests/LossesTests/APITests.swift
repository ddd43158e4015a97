import Common
import XCTest
@testable import Losses

final class APITests: XCTestCase {
    func testLossKindAndScopeParse() throws {
        XCTAssertEqual(try LossKind(parsing: "dice+ce"), .diceCE)
        XCTAssertEqual(try LossKind(parsing: "GDL+CE"), .gdlCE)
        XCTAssertEqual(LossKind.allCases.map(\.rawValue), ["ce", "dice", "vnet", "gdl", "mime", "dice+ce", "gdl+ce"])
        XCTAssertThrowsError(try LossKind(parsing: "focal")) {
            XCTAssertTrue("\($0)".contains("unknown loss 'focal'"))
        }
        XCTAssertEqual(try DiceScope(parsing: "global"), .global)
        XCTAssertThrowsError(try DiceScope(parsing: "volume"))
    }

    func testMimeWeightsFromClassStatistics() throws {
        // 10 patches of 100 pixels: class areas 600, 300, 100 voxels in total.
        let weights = try MimeWeights(counts: [600, 300, 100], patches: 10, pixelsPerPatch: 100)
        // a_k = 1 / mean area per patch, b_k = 1 / mean complement per patch.
        XCTAssertEqual(weights.a, [1 / 60.0, 1 / 30.0, 1 / 10.0])
        XCTAssertEqual(weights.b[0], 1 / 40.0, accuracy: 1e-16)
        XCTAssertEqual(weights.b[1], 1 / 70.0, accuracy: 1e-16)
        XCTAssertEqual(weights.b[2], 1 / 90.0, accuracy: 1e-16)
    }

    func testMimeWeightsRejectAnAbsentClassByName() {
        XCTAssertThrowsError(try MimeWeights(counts: [900, 100, 0], patches: 10, pixelsPerPatch: 100,
                                             classNames: ["background", "WMH", "other pathologies"])) { error in
            XCTAssertEqual(error as? ProgramError, LossError.classAbsentFromTraining(classIndex: 2, className: "other pathologies"))
            XCTAssertTrue("\(error)".contains("other pathologies"))
        }
        XCTAssertThrowsError(try MimeWeights(counts: [1000, 0], patches: 10, pixelsPerPatch: 100)) { error in
            XCTAssertEqual(error as? ProgramError, LossError.classAbsentFromTraining(classIndex: 1, className: "class 1"))
        }
        // Explicit weights are the way out; they must be positive and finite, one per class.
        XCTAssertNoThrow(try MimeWeights(a: [1, 2, 3], b: [0.1, 0.2, 0.3]))
        XCTAssertThrowsError(try MimeWeights(a: [1, 2], b: [0.1, 0.2, 0.3]))
        XCTAssertThrowsError(try MimeWeights(a: [1, 0], b: [0.1, 0.2]))
        XCTAssertThrowsError(try MimeWeights(a: [1, 2], b: [0.1, .infinity]))
    }

    func testInvalidInputsAreTypedErrors() throws {
        let shape = LossShape(images: 1, classes: 3, height: 2, width: 2)
        let batch = Batch.random(shape, seed: 51)
        XCTAssertThrowsError(try Loss(.mime)) { XCTAssertTrue($0 is ProgramError) }
        XCTAssertThrowsError(try Loss(.dice, options: LossOptions(eps: -1)))
        let loss = try Loss(.dice)
        XCTAssertThrowsError(try loss.value(logits: Array(batch.logits.dropLast()), labels: batch.labels, shape: shape)) {
            XCTAssertEqual($0 as? ProgramError, LossError.sizeMismatch(buffer: "logits", expected: 12, actual: 11))
        }
        XCTAssertThrowsError(try loss.value(logits: batch.logits, labels: [0, 1, 3, 0], shape: shape)) {
            XCTAssertEqual($0 as? ProgramError, LossError.labelOutOfRange(label: 3, index: 2, classes: 3))
        }
        let mime = try Loss(.mime, options: LossOptions(mimeWeights: try MimeWeights(a: [1, 1], b: [1, 1])))
        XCTAssertThrowsError(try mime.value(logits: batch.logits, labels: batch.labels, shape: shape))
    }

    func testNonFiniteLogitsAreReported() throws {
        let shape = LossShape(images: 1, classes: 3, height: 2, width: 2)
        var batch = Batch.random(shape, seed: 52)
        batch.logits[1] = .nan  // class 0, pixel 1
        for kind in [LossKind.ce, .dice, .mime] {
            let loss = try Loss(kind, options: LossOptions(mimeWeights: try MimeWeights(a: [1, 1, 1], b: [1, 1, 1])))
            let (result, gradient) = try evaluate(loss, batch)
            XCTAssertFalse(result.isFinite, "\(kind)")
            XCTAssertGreaterThan(result.nonFiniteGradientCount, 0, "\(kind)")
            XCTAssertEqual(result.nonFiniteGradientCount, gradient.filter { !$0.isFinite }.count, "\(kind)")
        }
    }

    func testFloatOverflowOfTheGradientIsCounted() throws {
        // Finite in Double, infinite once rounded to Float: still reported.
        let shape = LossShape(images: 1, classes: 2, height: 2, width: 2)
        let batch = Batch.random(shape, seed: 53)
        let loss = try Loss(.mime, options: LossOptions(mimeWeights: try MimeWeights(a: [1e60, 1], b: [1, 1e60])))
        var gradient = [Float]()
        let result = try loss.evaluate(logits: batch.logits.map { Float($0) }, labels: batch.labels, shape: shape,
                                       logitGradient: &gradient)
        XCTAssertTrue(result.value.isFinite)
        XCTAssertFalse(result.isFinite)
        XCTAssertEqual(result.nonFiniteGradientCount, gradient.filter { !$0.isFinite }.count)
        XCTAssertGreaterThan(result.nonFiniteGradientCount, 0)
        let (doubleResult, _) = try evaluate(loss, batch)
        XCTAssertTrue(doubleResult.isFinite)
    }
}
