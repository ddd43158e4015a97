import XCTest
@testable import Network

final class RandomTests: XCTestCase {
    /// SplitMix64 reference outputs for seed 1234567 (from the published C code by Vigna).
    func testSplitMix64KnownValues() {
        var s = SplitMix64(seed: 1234567)
        XCTAssertEqual(s.next(), 6457827717110365317)
        XCTAssertEqual(s.next(), 3203168211198807973)
        XCTAssertEqual(s.next(), 9817491932198370423)
    }

    func testNormalMoments() {
        var g = Xoshiro256(seed: 42)
        let n = 200_000
        var sum = 0.0, squares = 0.0
        for _ in 0..<n { let v = g.nextNormal(); sum += v; squares += v * v }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(squares / Double(n), 1, accuracy: 0.01)
        var u = Xoshiro256(seed: 42)
        for _ in 0..<1000 { let v = u.nextUniform(); XCTAssertTrue(v >= 0 && v < 1) }
    }
}
