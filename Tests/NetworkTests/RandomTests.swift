import XCTest
@testable import Network

final class RandomTests: XCTestCase {
    /// xoshiro256** seeded with four SplitMix64 words from 42: first outputs from a Python
    /// transliteration of Blackman & Vigna's reference C code (xoshiro256starstar.c).
    func testXoshiro256KnownValues() {
        var g = Xoshiro256(seed: 42)
        XCTAssertEqual(g.next(), 1546998764402558742)
        XCTAssertEqual(g.next(), 6990951692964543102)
        XCTAssertEqual(g.next(), 12544586762248559009)
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
