import XCTest
@testable import Evaluation

/// The paper's rules when a class is absent from the prediction, the reference, or both.
final class EmptyCaseTests: XCTestCase {
    let shape = VolumeShape(depth: 4, height: 6, width: 5)
    let spacing = VoxelSpacing(z: 10, y: 1.5, x: 1.5)
    // sqrt((4*10)^2 + (6*1.5)^2 + (5*1.5)^2) = sqrt(1600 + 81 + 56.25)
    let diagonal = 1737.25.squareRoot()

    func labels(_ voxels: [(Int, Int, Int)], _ label: UInt8 = 1) -> [UInt8] {
        var l = [UInt8](repeating: 0, count: shape.count)
        for (z, y, x) in voxels { l[shape.index(z, y, x)] = label }
        return l
    }

    func testDiagonal() {
        XCTAssertEqual(scanDiagonal(shape, spacing), diagonal, accuracy: 1e-12)
    }

    func testPresentButNothingPredicted() {
        let gt = labels([(1, 2, 2), (2, 2, 2)]), pred = labels([])
        XCTAssertEqual(dice(prediction: pred, reference: gt, label: 1), 0)
        XCTAssertEqual(hausdorff95(prediction: pred, reference: gt, label: 1, shape: shape, spacing: spacing),
                       diagonal, accuracy: 1e-12)
    }

    func testNothingToPredictAndNothingPredicted() {
        // Class 2 appears in neither (class 1 does, which must not matter).
        let gt = labels([(1, 2, 2)]), pred = labels([(3, 3, 3)])
        XCTAssertEqual(dice(prediction: pred, reference: gt, label: 2), 1)
        XCTAssertEqual(hausdorff95(prediction: pred, reference: gt, label: 2, shape: shape, spacing: spacing), 0)
    }

    func testNothingToPredictButSomethingPredicted() {
        let gt = labels([]), pred = labels([(0, 0, 0)])
        XCTAssertEqual(dice(prediction: pred, reference: gt, label: 1), 0)
        XCTAssertEqual(hausdorff95(prediction: pred, reference: gt, label: 1, shape: shape, spacing: spacing),
                       diagonal, accuracy: 1e-12)
    }

    func testScoreVolumeAppliesTheRulesAndCounts() throws {
        let gt = try LabelVolume(shape: shape, spacing: spacing, labels: labels([(1, 2, 2), (2, 2, 2)]))
        let pred = try LabelVolume(shape: shape, spacing: spacing, labels: labels([(0, 0, 0)], 2))
        let scores = try scoreVolume(name: "p1", prediction: pred, reference: gt, classes: [1, 2, 3])
        XCTAssertEqual(scores.map(\.classIndex), [1, 2, 3])
        XCTAssertEqual(scores.map(\.dice), [0, 0, 1])
        XCTAssertEqual(scores[0].hd95, diagonal, accuracy: 1e-12)
        XCTAssertEqual(scores[1].hd95, diagonal, accuracy: 1e-12)
        XCTAssertEqual(scores[2].hd95, 0)
        XCTAssertEqual(scores.map(\.labelVoxels), [2, 0, 0])
        XCTAssertEqual(scores.map(\.predictedVoxels), [0, 1, 0])
    }

    func testMismatchedVolumesAreRejected() throws {
        let gt = try LabelVolume(shape: shape, spacing: spacing, labels: labels([]))
        let other = try LabelVolume(shape: VolumeShape(depth: 4, height: 5, width: 6), spacing: spacing,
                                    labels: [UInt8](repeating: 0, count: 120))
        XCTAssertThrowsError(try scoreVolume(name: "p2", prediction: other, reference: gt, classes: [1])) {
            XCTAssertTrue("\($0)".hasPrefix("p2: "), "\($0)")
        }
        let resampled = try LabelVolume(shape: shape, spacing: VoxelSpacing(z: 5, y: 1.5, x: 1.5), labels: labels([]))
        XCTAssertThrowsError(try scoreVolume(name: "p3", prediction: resampled, reference: gt, classes: [1]))
        XCTAssertThrowsError(try LabelVolume(shape: shape, spacing: spacing, labels: [1, 2], name: "bad.nii"))
    }
}
