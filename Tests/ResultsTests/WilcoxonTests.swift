@testable import Experiments
import XCTest

/// The signed-rank test against scipy.stats.wilcoxon and a textbook example.
final class WilcoxonTests: XCTestCase {
    /// Printed by reference/wilcoxon-reference.py (scipy 1.17.1, numpy 2.4.6): two-sided, zero_method "wilcox",
    /// method "exact" (no correction) or "approx" with correction=True.
    let scipy: [(d: [Double], w: Double, p: Double, method: WilcoxonSignedRank.Method)] = [
        (d: [6.0, 8.0, 14.0, 16.0, 23.0, 24.0, 28.0, 29.0, 41.0, -48.0, 49.0, 56.0, 60.0, -67.0, 75.0], w: 24.0, p: 0.041259765625, method: .exact),
        (d: [1.5, -0.25, 3.0, 2.25, -1.75], w: 4.0, p: 0.4375, method: .exact),
        (d: [0.99552, -0.679474, -1.27349, -2.624971, -0.053232, 1.547606, 0.333073, 0.811844, 1.323238, -0.582146, 2.952287, -0.576908], w: 32.0, p: 0.6220703125, method: .exact),
        (d: [0.373553, 2.739581, -0.114252, 0.114295, -0.51188, 0.334526, -2.126684, -0.646809, 1.694093, 0.211326, -0.240399, 0.372928, 0.414607, 0.152103, 0.578588, -1.659597, 0.591255, -0.673527, 0.785803, -0.021247, -0.998183, -0.072131, -1.00708, 1.012732, -0.028598, 0.853092, -1.115056, 1.619417, -0.301061, 1.365266], w: 199.0, p: 0.5027610473334789, method: .exact),
        (d: [1.354051, -0.600945, 0.823154, -0.04245, 0.909364, 1.932479, 1.188671, 1.567936, -0.67157, 0.703945, 0.859072, 1.588898, -0.119423, 1.068786, 0.929471, -1.024318, -0.539723, 0.944671, -0.676568, -0.726916, 1.39524, 0.785566, 0.264844, 0.605494, 0.095474, -0.036929, 0.039412, 0.886062, 1.821304, 0.029243, 0.431343, 0.281722, -0.760028, 0.751941, 1.366765, -0.343685, 1.333097, -0.071668, 1.651301, 1.715866, 0.116927, -1.50094, 0.152012, -0.891208, -0.814721, 0.247173, 1.86045, 0.407893, 0.28042, -1.350499], w: 332.0, p: 0.0027053239960554976, method: .exact),
        (d: [1.0, 1.0, -1.0, 2.0, 2.0, 0.0, 3.0, -3.0, 4.0, 4.0, 4.0, 0.0, 5.0], w: 8.5, p: 0.03199429836418773, method: .normal),
        (d: [-0.406124, -1.195083, 0.720328, -0.328246, 0.156091, 0.183292, 0.012225, 1.152568, 0.686792, -0.119627, 0.353759, 0.752775, 1.571345, 0.329828, 1.647619, -0.394176, -0.033832, -1.287205, 1.021896, -0.832609, -0.832464, 1.042094, -0.332659, -0.553115, 1.153046, 0.0157, 1.120338, -0.202683, 0.926666, 1.278541, 0.282292, 1.998999, -0.196141, -0.01173, 0.279371, 1.20552, -0.087594, -0.236591, 0.453737, 1.449847, -0.216565, -1.077652, 0.069149, 0.823763, -0.342792, 0.324247, -1.668987, 0.221278, 0.302738, 0.822499, 0.509274, 0.971778, -0.794376, 0.860289, -1.451257, -0.396854, 1.305857, 1.051183, -1.653014, 0.788418], w: 658.0, p: 0.058992239278376886, method: .normal),
        (d: [-0.4, -0.8, 0.2, 0.1, 1.4, -1.4, -0.4, -0.1, -1.8, 1.2, 1.8, -0.6, 0.4, -0.3, 0.3, -0.7, 0.8, -1.2, 1.4, 0.4, 2.4, -1.7, -0.1, -1.3, -0.1, 0.4, -0.9, -1.4, -1.7, 0.2, 1.3, 1.2, 0.0, -1.0, -0.4, -1.5, -1.6, 1.1, -0.3, 0.3], w: 328.5, p: 0.39420153752483333, method: .normal),
        (d: [0.0, 0.0, 0.1, -0.2, 0.3, 0.3, 0.5, 0.8], w: 2.0, p: 0.09259159575022993, method: .normal),
    ]

    func testMatchesScipy() {
        for (i, c) in scipy.enumerated() {
            let test = WilcoxonSignedRank(differences: c.d)
            XCTAssertEqual(test.method, c.method, "case \(i)")
            XCTAssertEqual(test.statistic, c.w, "case \(i)")
            XCTAssertEqual(test.pValue, c.p, accuracy: 1e-12 * max(1, c.p), "case \(i)")
        }
    }

    /// Darwin's Zea mays data (Fisher, The Design of Experiments, 1935): 15 differences in
    /// height (eighths of an inch) between crossed and self-fertilised plants. W- = 10 + 14 = 24
    /// and P(W <= 24) = 676 / 2^15, so the two-sided p is 1352 / 32768 = 0.0413 by the exact
    /// distribution.
    func testDarwinsZeaMays() {
        let d: [Double] = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
        let test = WilcoxonSignedRank(differences: d)
        XCTAssertEqual(test.n, 15)
        XCTAssertEqual(test.statistic, 24)
        XCTAssertEqual(test.positiveRankSum, 96)
        XCTAssertEqual(test.pValue, 1352.0 / 32768.0, accuracy: 1e-15)
        XCTAssertEqual(test.method, .exact)
    }

    /// Five differences by hand: ranks of |d| are 2, 1, 5, 4, 3; W- = 1 + 3 = 4; 7 of the 32 sign
    /// patterns have W <= 4, so p = 14 / 32.
    func testSmallExampleByHand() {
        let test = WilcoxonSignedRank([2.5, 1.0, 5.0, 3.25, 0.0], [1.0, 1.25, 2.0, 1.0, 1.75])
        XCTAssertEqual(test.pairs, 5)
        XCTAssertEqual(test.statistic, 4)
        XCTAssertEqual(test.pValue, 0.4375)
    }

    func testTiesZerosAndDegenerateCases() {
        XCTAssertEqual(WilcoxonSignedRank.averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
        let zeros = WilcoxonSignedRank(differences: [0, 0, 0])
        XCTAssertEqual(zeros.n, 0)
        XCTAssertTrue(zeros.pValue.isNaN)
        // One zero among the pairs: the normal approximation (scipy's "auto" does the same).
        XCTAssertEqual(WilcoxonSignedRank(differences: [0, 1, 2, 3]).method, .normal)
        // All differences equal and positive: W = 0 but never below p = 2 / 2^n.
        XCTAssertEqual(WilcoxonSignedRank(differences: [1, 2, 3, 4, 5, 6]).pValue, 2.0 / 64.0)
    }
}
