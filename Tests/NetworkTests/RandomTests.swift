import XCTest
@testable import Network

final class RandomTests: XCTestCase {
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
