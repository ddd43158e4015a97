import Common
import XCTest
@testable import Evaluation

final class VolumeAssemblerTests: XCTestCase {
    /// One voxel covered by three patches: two lean weakly to class 1, one strongly to class 0.
    /// Averaging before the argmax gives 0; a per-patch majority vote would give 1, and the
    /// last patch written (added first here) is class 1's too.
    func testOverlapsAreAveragedBeforeArgmax() throws {
        let shape = VolumeShape(depth: 1, height: 1, width: 3)
        var assembler = VolumeAssembler(classes: 2, shape: shape)
        // Patches are 1x2 windows, layout (K, h, w).
        try assembler.add([0.9, 0.2, 0.1, 0.8], slice: 0, originY: 0, originX: 0, height: 1, width: 2)
        try assembler.add([0.45, 0.3, 0.55, 0.7], slice: 0, originY: 0, originX: 0, height: 1, width: 2)
        try assembler.add([0.45, 0.9, 0.55, 0.1], slice: 0, originY: 0, originX: 1, height: 1, width: 2)
        let mean = try assembler.averaged()
        // Voxel 0: (0.9+0.45+0)/2 → covered twice: class 0 (0.9+0.45)/2, class 1 (0.1+0.55)/2.
        XCTAssertEqual(mean[0], 0.675, accuracy: 1e-6)
        XCTAssertEqual(mean[3], 0.325, accuracy: 1e-6)
        // Voxel 1 covered three times: class 0 (0.2+0.3+0.45)/3, class 1 (0.8+0.7+0.55)/3.
        XCTAssertEqual(mean[1], 0.95 / 3, accuracy: 1e-6)
        XCTAssertEqual(mean[4], 2.05 / 3, accuracy: 1e-6)
        XCTAssertEqual(try assembler.labels(), [0, 1, 0])
    }

    func testVotingWouldDifferFromAveraging() throws {
        let shape = VolumeShape(depth: 1, height: 1, width: 1)
        var assembler = VolumeAssembler(classes: 2, shape: shape)
        for patch: [Float] in [[0.9, 0.1], [0.45, 0.55], [0.45, 0.55]] {
            try assembler.add(patch, slice: 0, originY: 0, originX: 0, height: 1, width: 1)
        }
        XCTAssertEqual(try assembler.labels(), [0])  // mean (0.6, 0.4); two of three patches say 1
    }

    /// Random overlapping patches over a 3D volume against a direct per-voxel average.
    func testRandomPatchesMatchDirectAverage() throws {
        var rng = SplitMix64(seed: 42)
        let (k, shape) = (4, VolumeShape(depth: 3, height: 9, width: 10))
        let (ph, pw) = (4, 5)
        var assembler = VolumeAssembler(classes: k, shape: shape)
        var sums = [[Double]](repeating: [Double](repeating: 0, count: k), count: shape.count)
        var counts = [Int](repeating: 0, count: shape.count)
        var origins: [(Int, Int, Int)] = []
        // A regular grid with stride 3 (covers everything, overlaps) plus random extras.
        for z in 0..<3 { for y in [0, 3, 5] { for x in [0, 3, 5] { origins.append((z, y, x)) } } }
        for _ in 0..<10 {
            origins.append((Int.random(in: 0..<3, using: &rng), Int.random(in: 0...5, using: &rng),
                            Int.random(in: 0...5, using: &rng)))
        }
        for (z, oy, ox) in origins {
            let patch = (0..<(k * ph * pw)).map { _ in Float.random(in: 0..<1, using: &rng) }
            try assembler.add(patch, slice: z, originY: oy, originX: ox, height: ph, width: pw)
            for c in 0..<k { for y in 0..<ph { for x in 0..<pw {
                sums[shape.index(z, oy + y, ox + x)][c] += Double(patch[(c * ph + y) * pw + x])
            } } }
            for y in 0..<ph { for x in 0..<pw { counts[shape.index(z, oy + y, ox + x)] += 1 } }
        }
        let mean = try assembler.averaged()
        let labels = try assembler.labels()
        for i in 0..<shape.count {
            let expected = sums[i].map { $0 / Double(counts[i]) }
            for c in 0..<k { XCTAssertEqual(Double(mean[c * shape.count + i]), expected[c], accuracy: 1e-5) }
            XCTAssertEqual(Int(labels[i]), expected.indices.max { expected[$0] < expected[$1] }!)
        }
    }

    func testUncoveredVoxelsAndBadPatchesThrow() throws {
        var assembler = VolumeAssembler(classes: 2, shape: VolumeShape(depth: 2, height: 2, width: 2))
        try assembler.add([Float](repeating: 0.5, count: 8), slice: 0, originY: 0, originX: 0, height: 2, width: 2)
        XCTAssertEqual(assembler.uncoveredVoxels, 4)
        XCTAssertThrowsError(try assembler.labels())
        XCTAssertThrowsError(try assembler.add([Float](repeating: 0, count: 8), slice: 2, originY: 0, originX: 0,
                                               height: 2, width: 2))
        XCTAssertThrowsError(try assembler.add([Float](repeating: 0, count: 8), slice: 1, originY: 1, originX: 0,
                                               height: 2, width: 2))
        XCTAssertThrowsError(try assembler.add([Float](repeating: 0, count: 7), slice: 1, originY: 0, originX: 0,
                                               height: 2, width: 2))
    }
}
