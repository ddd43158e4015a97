import Common
import XCTest

final class SplitMix64Tests: XCTestCase {
    /// Vigna's splitmix64.c (64-bit wrapping arithmetic).
    func testSplitMix64Reference() {
        var rng = SplitMix64(seed: 1234567)
        XCTAssertEqual(rng.next(), 6457827717110365317)
        XCTAssertEqual(rng.next(), 3203168211198807973)
        XCTAssertEqual(rng.next(), 9817491932198370423)
    }
}
