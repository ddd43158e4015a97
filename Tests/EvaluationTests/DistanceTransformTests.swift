import Common
import XCTest
@testable import Evaluation

/// The separable EDT against all-pairs distances.
final class DistanceTransformTests: XCTestCase {
    func bruteForce(_ sites: [Bool], _ shape: VolumeShape, _ s: VoxelSpacing) -> [Double] {
        let all = BruteForce.points({ _, _, _ in true }, shape)
        let siteList = all.filter { sites[shape.index($0.z, $0.y, $0.x)] }
        return all.map { BruteForce.nearest($0, siteList, s) }
    }

    func testRandomSitesAnisotropic() {
        let cases: [(VolumeShape, VoxelSpacing, Double)] = [
            (VolumeShape(depth: 6, height: 7, width: 9), VoxelSpacing(z: 10, y: 1.5, x: 1.5), 0.05),
            (VolumeShape(depth: 5, height: 8, width: 6), VoxelSpacing(z: 0.6, y: 2.2, x: 1.1), 0.01),
            (VolumeShape(depth: 1, height: 11, width: 13), VoxelSpacing(z: 3, y: 0.8, x: 1.7), 0.04),
            (VolumeShape(depth: 9, height: 1, width: 1), VoxelSpacing(z: 2, y: 1, x: 1), 0.3),
        ]
        for (n, (shape, spacing, density)) in cases.enumerated() {
            var rng = SplitMix64(seed: UInt64(n))
            var sites = (0..<shape.count).map { _ in Double.random(in: 0..<1, using: &rng) < density }
            sites[Int.random(in: 0..<shape.count, using: &rng)] = true
            let got = DistanceTransform.distances(toSites: sites, shape: shape, spacing: spacing)
            let expected = bruteForce(sites, shape, spacing)
            for i in 0..<shape.count {
                XCTAssertEqual(got[i], expected[i], accuracy: 1e-9, "case \(n) voxel \(i)")
            }
        }
    }

    func testSingleSiteIsExactDistanceEverywhere() {
        let shape = VolumeShape(depth: 3, height: 4, width: 5)
        let spacing = VoxelSpacing(z: 10, y: 1.5, x: 0.5)
        var sites = [Bool](repeating: false, count: shape.count)
        sites[shape.index(2, 0, 4)] = true
        let squared = DistanceTransform.squaredDistances(toSites: sites, shape: shape, spacing: spacing)
        for z in 0..<3 { for y in 0..<4 { for x in 0..<5 {
            let dz = Double(z - 2) * 10, dy = Double(y) * 1.5, dx = Double(x - 4) * 0.5
            XCTAssertEqual(squared[shape.index(z, y, x)], dz * dz + dy * dy + dx * dx, accuracy: 1e-12)
        } } }
    }

    func testNoSitesIsInfinite() {
        let shape = VolumeShape(depth: 2, height: 3, width: 4)
        let d = DistanceTransform.distances(toSites: [Bool](repeating: false, count: shape.count),
                                            shape: shape, spacing: .unit)
        XCTAssertTrue(d.allSatisfy { $0 == .infinity })
    }
}
