import Cluster
import TestSupport
import XCTest

/// `ReductionTree` against its plain definition, and the property the trainer relies on.
final class ReductionTreeTests: XCTestCase {
    /// Values over many binades, so that another order of additions changes the last bits.
    func leaves(_ count: Int, length: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 27)
        }
        return (0..<count).map { _ in
            (0..<length).map { _ in
                let r = next()
                return Float(Int(r % 2001) - 1000) * Float(sign: .plus, exponent: Int(r >> 32 % 24) - 12, significand: 1)
            }
        }
    }

    func combined(_ leaves: [[Float]]) -> [Float] {
        var storage = leaves
        let length = leaves[0].count
        let pointers = (0..<storage.count).map { i in
            storage[i].withUnsafeMutableBufferPointer { buffer in
                let copy = UnsafeMutablePointer<Float>.allocate(capacity: length)
                copy.initialize(from: buffer.baseAddress!, count: length)
                return copy
            }
        }
        defer { pointers.forEach { $0.deallocate() } }
        ReductionTree.combine(pointers, count: length)
        storage[0] = Array(UnsafeBufferPointer(start: pointers[0], count: length))
        return storage[0]
    }

    func testCombineIsThePlainTree() {
        for n in 1...20 {
            let data = leaves(n, length: 33, seed: UInt64(n))
            XCTAssertEqual(combined(data), plainTreeSum(data), "\(n) leaves")
        }
        XCTAssertEqual(ReductionTree.sum([1.5, 2.25, -4, 8] as [Double]), (1.5 + 2.25) + (-4 + 8))
        XCTAssertEqual(ReductionTree.sum([] as [Float]), 0)
    }

    /// R ranks each adding A leaves as a subtree, then the tree over the R results,
    /// equals the tree over all R·A leaves when A is a power of two: the reason any
    /// split of a global batch over ranks and micro-batches gives the same bits.
    func testRankSubtreesComposeToTheGlobalTreeForPowerOfTwoMicroBatches() {
        for micro in [1, 2, 4, 8] {
            for ranks in 1...7 {
                let data = leaves(ranks * micro, length: 64, seed: UInt64(100 * micro + ranks))
                let perRank = (0..<ranks).map { r in plainTreeSum(Array(data[(r * micro)..<((r + 1) * micro)])) }
                XCTAssertEqual(plainTreeSum(perRank), plainTreeSum(data), "\(ranks) ranks x \(micro) micro-batches")
            }
        }
    }

    /// Not so for other micro-batch counts: the guarantee stated in `train --help` is tight.
    func testThreeMicroBatchesOnTwoRanksAreAnotherTree() {
        let data = leaves(6, length: 256, seed: 7)
        let perRank = (0..<2).map { r in plainTreeSum(Array(data[(r * 3)..<((r + 1) * 3)])) }
        XCTAssertNotEqual(plainTreeSum(perRank), plainTreeSum(data))
    }
}
