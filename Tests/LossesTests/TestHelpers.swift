import Common
import XCTest
@testable import Losses
#if canImport(Glibc)
import Glibc
#endif

/// A batch of logits and labels for tests.
struct Batch {
    var shape: LossShape
    var logits: [Double]
    var labels: [UInt8]

    /// Random logits in ±`spread`, random labels; `absent` lists (image, class) pairs removed
    /// from the labels (relabelled to another class) so that class is empty in that image.
    static func random(_ shape: LossShape, seed: UInt64, spread: Double = 3,
                       absent: [(image: Int, class: Int)] = []) -> Batch {
        var rng = SplitMix64(seed: seed)
        let logits = (0..<shape.logitCount).map { _ in Double.random(in: -spread...spread, using: &rng) }
        var labels = (0..<shape.pixels).map { _ in UInt8.random(in: 0..<UInt8(shape.classes), using: &rng) }
        let hw = shape.pixelsPerImage
        for (n, k) in absent {
            for p in 0..<hw where Int(labels[n * hw + p]) == k {
                labels[n * hw + p] = UInt8((k + 1 + p % (shape.classes - 1)) % shape.classes)
            }
        }
        return Batch(shape: shape, logits: logits, labels: labels)
    }

    /// This batch with class `k`'s logits in image `n` set to `logit`: with a very negative value
    /// the class is absent from the prediction too (at -800 its probability is exactly 0).
    func settingLogits(image n: Int, class k: Int, to logit: Double) -> Batch {
        var copy = self
        let start = (n * shape.classes + k) * shape.pixelsPerImage
        for p in 0..<shape.pixelsPerImage { copy.logits[start + p] = logit }
        return copy
    }

    /// The images `range` of this batch as a batch of their own.
    func images(_ range: Range<Int>) -> Batch {
        let perImage = shape.classes * shape.pixelsPerImage, hw = shape.pixelsPerImage
        var sub = shape
        sub.images = range.count
        return Batch(shape: sub, logits: Array(logits[range.lowerBound * perImage..<range.upperBound * perImage]),
                     labels: Array(labels[range.lowerBound * hw..<range.upperBound * hw]))
    }
}

/// Value and Double logit gradient of `loss` on `batch`.
func evaluate(_ loss: Loss, _ batch: Batch) throws -> (result: LossResult, gradient: [Double]) {
    var gradient = [Double]()
    let result = try loss.evaluate(logits: batch.logits, labels: batch.labels, shape: batch.shape,
                                   logitGradient: &gradient)
    return (result, gradient)
}

/// The probability gradient dL/ds of `loss` on `batch`.
func probabilityGradient(_ loss: Loss, _ batch: Batch) throws -> [Double] {
    var ds = [Double](repeating: .nan, count: batch.shape.logitCount)
    try batch.logits.withUnsafeBufferPointer { z in
        try batch.labels.withUnsafeBufferPointer { y in
            try ds.withUnsafeMutableBufferPointer { out in
                _ = try loss.evaluate(logits: z, labels: y, shape: batch.shape, logitGradient: nil, probabilityGradient: out)
            }
        }
    }
    return ds
}

/// Asserts two arrays agree entry-wise within `absolute + relative·|expected|`.
func assertClose(_ actual: [Double], _ expected: [Double], absolute: Double, relative: Double = 0,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count " + message, file: file, line: line)
    var worst = 0.0, worstIndex = -1
    for i in 0..<min(actual.count, expected.count) {
        let excess = abs(actual[i] - expected[i]) - (absolute + relative * abs(expected[i]))
        if !(excess <= worst) { worst = excess.isNaN ? .infinity : excess; worstIndex = i }
    }
    if worstIndex >= 0 {
        XCTFail("\(message): entry \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex])",
                file: file, line: line)
    }
}

/// Relative L2 distance ‖a − b‖ / ‖b‖.
func relativeL2(_ a: [Double], _ b: [Double]) -> Double {
    var difference = 0.0, norm = 0.0
    for i in a.indices {
        difference += (a[i] - b[i]) * (a[i] - b[i])
        norm += b[i] * b[i]
    }
    return (difference / norm).squareRoot()
}
