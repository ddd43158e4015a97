@testable import Decompose
import XCTest

final class VectorComparisonTests: XCTestCase {
    /// Partial sums split in two pieces give the same ratios as one pass over the whole vectors.
    func testPiecesAddUp() {
        let a: [Float] = [1, -2, 3, 0.5], b: [Float] = [1.5, -2, 2, 0]
        var whole = VectorComparison()
        whole.add(reference: a, candidate: b)
        var first = VectorComparison(), second = VectorComparison()
        first.add(reference: Array(a[..<2]), candidate: Array(b[..<2]))
        second.add(reference: Array(a[2...]), candidate: Array(b[2...]))
        let merged = VectorComparison(sums: zip(first.sums, second.sums).map { $0 + $1 }[...])
        XCTAssertEqual(merged.relativeError, whole.relativeError, accuracy: 1e-15)
        // ‖a − b‖ = sqrt(0.25 + 0 + 1 + 0.25), ‖a‖ = sqrt(1 + 4 + 9 + 0.25)
        XCTAssertEqual(whole.relativeError, (1.5 / 14.25).squareRoot(), accuracy: 1e-15)
        // a·b = 1.5 + 4 + 6 + 0 = 11.5, ‖b‖² = 2.25 + 4 + 4 = 10.25
        XCTAssertEqual(whole.cosine, 11.5 / (14.25 * 10.25).squareRoot(), accuracy: 1e-15)
    }

    func testEqualAndNonFinite() {
        var same = VectorComparison()
        same.add(reference: [0, 0], candidate: [0, 0])
        XCTAssertEqual(same.relativeError, 0)
        XCTAssertEqual(same.cosine, 1)
        var broken = VectorComparison()
        broken.add(reference: [1, 2], candidate: [.nan, 2])
        XCTAssertTrue(broken.relativeError.isNaN)
        XCTAssertTrue(broken.cosine.isNaN)
    }
}
