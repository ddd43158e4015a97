import TestSupport
import XCTest
@testable import Training

/// The micro-batch accumulator against the plain tree of additions, and the buckets.
final class MicroBatchAccumulatorTests: XCTestCase {
    /// Pushing A − 1 micro-batches and completing the last one range by range, as the
    /// trainer does during the last backward pass, gives the tree's bits for any A.
    func testCounterOfPartialSumsIsTheTree() {
        var state: UInt64 = 1
        func value() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40 & 0xFFFF) - 32768) * Float(sign: .plus, exponent: Int(state >> 20 & 15) - 8,
                                                                        significand: 1)
        }
        let count = 50
        let accumulator = MicroBatchAccumulator(count: count)
        for micro in 1...17 {
            let leaves = (0..<micro).map { _ in (0..<count).map { _ in value() } }
            for leaf in leaves.dropLast() { leaf.withUnsafeBufferPointer { accumulator.push($0) } }
            var last = leaves.last!
            last.withUnsafeMutableBufferPointer { buffer in
                for range in [40..<50, 40..<40, 7..<40, 0..<7] { accumulator.completeLast(buffer, range: range) }
            }
            accumulator.reset()
            XCTAssertEqual(last.map(\.bitPattern), plainTreeSum(leaves).map(\.bitPattern), "\(micro) micro-batches")
        }
    }

    func testBucketsCoverTheBufferFromTheEnd() {
        XCTAssertEqual(GradientExchange.buckets(count: 10, bucketFloats: 4), [6..<10, 2..<6, 0..<2])
        XCTAssertEqual(GradientExchange.buckets(count: 8, bucketFloats: 4), [4..<8, 0..<4])
        XCTAssertEqual(GradientExchange.buckets(count: 3, bucketFloats: 100), [0..<3])
    }
}
