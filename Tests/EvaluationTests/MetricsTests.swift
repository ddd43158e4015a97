import Common
import XCTest
@testable import Evaluation

/// DSC and HD95 against the brute-force reference on random 2D (depth 1) and 3D cases.
final class MetricsTests: XCTestCase {
    func check(shape: VolumeShape, spacing: VoxelSpacing, seeds: Range<UInt64>,
               file: StaticString = #filePath, line: UInt = #line) {
        var nonTrivial = 0
        for seed in seeds {
            var rng = SplitMix64(seed: seed)
            let pred = randomLabels(shape, classes: 3, using: &rng)
            let gt = randomLabels(shape, classes: 3, using: &rng)
            for label: UInt8 in 1...2 {
                let expectedHD = BruteForce.hd95(pred, gt, label, shape, spacing)
                let hd = hausdorff95(prediction: pred, reference: gt, label: label, shape: shape, spacing: spacing)
                XCTAssertEqual(hd, expectedHD, accuracy: 1e-9 * max(1, expectedHD),
                               "HD95 seed \(seed) class \(label)", file: file, line: line)
                let expectedDice = BruteForce.dice(pred, gt, label)
                XCTAssertEqual(dice(prediction: pred, reference: gt, label: label), expectedDice,
                               accuracy: 1e-12, "DSC seed \(seed) class \(label)", file: file, line: line)
                if pred.contains(label) && gt.contains(label) && expectedHD > 0 { nonTrivial += 1 }
            }
        }
        // The random cases must mostly exercise the real computation, not the empty rules.
        XCTAssertGreaterThan(nonTrivial, seeds.count, file: file, line: line)
    }

    func testRandom3DAnisotropicCardiacSpacing() {
        check(shape: VolumeShape(depth: 5, height: 9, width: 11),
              spacing: VoxelSpacing(z: 10, y: 1.5, x: 1.5), seeds: 0..<25)
    }

    func testRandom3DUnequalSpacingOnEveryAxis() {
        check(shape: VolumeShape(depth: 7, height: 6, width: 8),
              spacing: VoxelSpacing(z: 2.5, y: 0.7, x: 1.3), seeds: 100..<125)
    }

    func testRandom2DSingleSlice() {
        check(shape: VolumeShape(depth: 1, height: 13, width: 10),
              spacing: VoxelSpacing(z: 10, y: 1.5, x: 0.9), seeds: 200..<230)
    }

    func testIdenticalMasksScoreOneAndZero() {
        var rng = SplitMix64(seed: 7)
        let shape = VolumeShape(depth: 4, height: 8, width: 8)
        let labels = randomLabels(shape, classes: 2, using: &rng)
        XCTAssertTrue(labels.contains(1))
        XCTAssertEqual(dice(prediction: labels, reference: labels, label: 1), 1)
        XCTAssertEqual(hausdorff95(prediction: labels, reference: labels, label: 1, shape: shape,
                                   spacing: VoxelSpacing(z: 10, y: 1.5, x: 1.5)), 0)
    }

    func testShiftByOneSliceGivesTheSliceSpacing() {
        // A 3x3x3 cube and the same cube one slice further: every surface voxel of one is
        // either on the other's surface (distance 0) or one slice (10 mm) away.
        let shape = VolumeShape(depth: 6, height: 5, width: 5)
        var a = [UInt8](repeating: 0, count: shape.count), b = a
        for z in 1...3 { for y in 1...3 { for x in 1...3 {
            a[shape.index(z, y, x)] = 1
            b[shape.index(z + 1, y, x)] = 1
        } } }
        let spacing = VoxelSpacing(z: 10, y: 1.5, x: 1.5)
        XCTAssertEqual(hausdorff95(prediction: a, reference: b, label: 1, shape: shape, spacing: spacing), 10)
        XCTAssertEqual(dice(prediction: a, reference: b, label: 1), 2.0 * 18 / 54, accuracy: 1e-15)
    }

    func testPercentileMatchesNumpy() {
        // python3 -c "import numpy as np; print(np.percentile([3,1,4,1,5,9,2,6], 95),
        //   np.percentile([2.5], 95), np.percentile([1,10], 95), np.percentile([0,1,2,3,4], 50))"
        // -> 7.949999999999998 2.5 9.549999999999999 2.0  (numpy 2.4.6)
        XCTAssertEqual(percentile([3, 1, 4, 1, 5, 9, 2, 6], 95)!, 7.95, accuracy: 1e-12)
        XCTAssertEqual(percentile([2.5], 95), 2.5)
        XCTAssertEqual(percentile([1, 10], 95)!, 9.55, accuracy: 1e-12)
        XCTAssertEqual(percentile([0, 1, 2, 3, 4], 50), 2)
        XCTAssertNil(percentile([], 95))
    }
}
