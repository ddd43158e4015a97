import XCTest
@testable import Evaluation

/// Fixed cases whose expected numbers come from scipy, by `reference/hd95-reference.py`, which
/// reproduces medpy.metric.binary.hd95 / dc with scipy.ndimage.binary_erosion
/// (generate_binary_structure(3, 1)) and distance_transform_edt(sampling=spacing), scipy 1.17.1,
/// numpy 2.4.6. The label maps here are built with the same formulas as in the script.
final class ScipyReferenceTests: XCTestCase {
    func build(_ shape: VolumeShape, _ rule: (Double, Double, Double) -> UInt8) -> [UInt8] {
        var labels = [UInt8](repeating: 0, count: shape.count)
        for z in 0..<shape.depth { for y in 0..<shape.height { for x in 0..<shape.width {
            labels[shape.index(z, y, x)] = rule(Double(z), Double(y), Double(x))
        } } }
        return labels
    }

    func testCaseA3D() throws {
        let shape = VolumeShape(depth: 5, height: 8, width: 10)
        let spacing = VoxelSpacing(z: 3.0, y: 0.7, x: 1.2)
        let pred = build(shape) { z, y, x in
            if x >= 7 && y <= 2 && z >= 1 { return 2 }
            if (x - 3.5) * (x - 3.5) / 9 + (y - 4.5) * (y - 4.5) / 5 + (z - 2) * (z - 2) / 3 <= 1 { return 1 }
            return 0
        }
        let gt = build(shape) { z, y, x in
            if Int(x + y + z) % 7 == 0 && x > 5 { return 2 }
            if x >= 2 && x <= 6 && y >= 2 && y <= 5 && z >= 1 && z <= 3 { return 1 }
            return 0
        }
        let scores = try scoreVolume(
            name: "A", prediction: LabelVolume(shape: shape, spacing: spacing, labels: pred),
            reference: LabelVolume(shape: shape, spacing: spacing, labels: gt), classes: [1, 2])
        // case A class 1: dsc=0.6601941747572816 hd95=1.3892443989449805 label_voxels=59 pred_voxels=44
        // case A class 2: dsc=0.10344827586206896 hd95=3.671475013540083 label_voxels=22 pred_voxels=36
        XCTAssertEqual(scores[0].dice, 0.6601941747572816, accuracy: 1e-12)
        XCTAssertEqual(scores[0].hd95, 1.3892443989449805, accuracy: 1e-12)
        XCTAssertEqual(scores[0].labelVoxels, 59)
        XCTAssertEqual(scores[0].predictedVoxels, 44)
        XCTAssertEqual(scores[1].dice, 0.10344827586206896, accuracy: 1e-12)
        XCTAssertEqual(scores[1].hd95, 3.671475013540083, accuracy: 1e-12)
        XCTAssertEqual(scores[1].labelVoxels, 22)
        XCTAssertEqual(scores[1].predictedVoxels, 36)
    }

    func testCaseBSingleSlice() {
        let shape = VolumeShape(depth: 1, height: 12, width: 11)
        let spacing = VoxelSpacing(z: 5.0, y: 0.8, x: 1.3)
        let pred = build(shape) { _, y, x in (x - 4) * (x - 4) + 2 * (y - 7) * (y - 7) <= 20 ? 1 : 0 }
        let gt = build(shape) { _, y, x in (x - 6) * (x - 6) + (y - 5) * (y - 5) <= 16 && x != 3 ? 1 : 0 }
        // case B class 1: dsc=0.5054945054945055 hd95=2.7294688127912363 label_voxels=44 pred_voxels=47
        XCTAssertEqual(dice(prediction: pred, reference: gt, label: 1), 0.5054945054945055, accuracy: 1e-12)
        XCTAssertEqual(hausdorff95(prediction: pred, reference: gt, label: 1, shape: shape, spacing: spacing),
                       2.7294688127912363, accuracy: 1e-12)
    }
}
