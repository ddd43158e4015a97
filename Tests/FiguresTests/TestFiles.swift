import Foundation
import XCTest

/// A fresh directory for a test's files, removed at the end of the test.
/// For `samples`, with FIGURES_SAMPLE_DIR set, files go there instead and are
/// kept, to look at the figures the tests draw.
func scratchDirectory(_ test: XCTestCase, samples: Bool = false) throws -> String {
    if samples, let keep = ProcessInfo.processInfo.environment["FIGURES_SAMPLE_DIR"] {
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
        return keep
    }
    let path = NSTemporaryDirectory() + "figures-tests-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Straight-alpha "over" onto an opaque pixel, computed in Double: the
/// reference the integer blending in Canvas is checked against.
func referenceBlend(_ src: UInt8, over dst: UInt8, alpha: UInt8) -> UInt8 {
    let a = Double(alpha) / 255
    return UInt8((Double(src) * a + Double(dst) * (1 - a)).rounded())
}
