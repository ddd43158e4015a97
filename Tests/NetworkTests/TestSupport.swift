import Foundation
import XCTest
@testable import Network

/// Deterministic test data.
struct TestRandom {
    var generator: Xoshiro256
    init(_ seed: UInt64) { generator = Xoshiro256(seed: seed) }

    mutating func normal(_ count: Int, scale: Double = 1) -> [Float] {
        (0..<count).map { _ in Float(generator.nextNormal() * scale) }
    }

    mutating func uniform(_ count: Int, _ low: Double, _ high: Double) -> [Float] {
        (0..<count).map { _ in Float(generator.nextUniform(low, high)) }
    }

    /// Values whose magnitude is at least `gap` (away from the PReLU kink at 0).
    mutating func awayFromZero(_ count: Int, gap: Double) -> [Float] {
        (0..<count).map { _ in
            let v = generator.nextNormal()
            return Float(v < 0 ? v - gap : v + gap)
        }
    }
}

/// `sum(y * r)` in Double.
func weightedSum(_ y: [Float], _ r: [Float]) -> Double {
    zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Central finite difference of `loss` with respect to `values[i]`.
func centralDifference(_ values: inout [Float], _ i: Int, step h: Float, _ loss: ([Float]) throws -> Double) rethrows
    -> Double {
    let saved = values[i]
    values[i] = saved + h
    let plus = try loss(values)
    values[i] = saved - h
    let minus = try loss(values)
    values[i] = saved
    // The actual perturbation after Float rounding.
    let actual = Double(saved + h) - Double(saved - h)
    return (plus - minus) / actual
}

/// Asserts `analytic` matches `numeric` element-wise within `relative` of the
/// larger of the element's magnitude and `floor` (the gradients' scale).
func assertGradientsClose(_ analytic: [Double], _ numeric: [Double], relative: Double, floor: Double = 0,
                          _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    let scale = max(floor, numeric.map(abs).max() ?? 0)
    for (i, (a, n)) in zip(analytic, numeric).enumerated() {
        let tolerance = relative * max(abs(n), scale * 0.1, 1e-6)
        if abs(a - n) > tolerance {
            XCTFail("\(what)[\(i)]: analytic \(a), numeric \(n) (tolerance \(tolerance))", file: file, line: line)
        }
    }
}

/// The fixture folder copied into the test bundle.
func fixtureURL(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) missing from the test bundle")
    }
    return url
}

/// A temporary directory removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("network-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
