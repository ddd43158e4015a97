import Common
import Foundation
@testable import PatchStore
import TestSupport
import XCTest

/// Small inputs shared by the store tests.
enum Fixtures {
    /// A pairs directory of `count` volumes nx x ny x nz with labels 0..<classes
    /// (a band pattern), images a ramp plus the label; optional CSV manifest.
    static func pairs(in dir: URL, count: Int, shape: [Int] = [16, 16, 3], classes: Int = 3) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var manifest = "image,label,subject\n"
        for v in 0..<count {
            let (image, label) = volume(v, shape: shape, classes: classes)
            let geometry = NIfTIWriter.Geometry(shape: shape, spacing: [1.25, 1.25, 5])
            try NIfTIWriter.write(image, geometry: geometry, as: .float32, to: dir.appendingPathComponent("case\(v)_image.nii.gz").path)
            try NIfTIWriter.write(label, geometry: geometry, as: .uint8, to: dir.appendingPathComponent("case\(v)_label.nii.gz").path)
            manifest += "case\(v)_image.nii.gz,case\(v)_label.nii.gz,subject\(v / 2)\n"
        }
        try manifest.write(to: dir.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
    }

    /// Volume `v`'s image and label (x fastest).
    static func volume(_ v: Int, shape: [Int], classes: Int) -> ([Float], [Float]) {
        var image: [Float] = [], label: [Float] = []
        for z in 0..<shape[2] {
            for y in 0..<shape[1] {
                for x in 0..<shape[0] {
                    let k = ((x + 2 * y + z + v) / 5) % classes
                    label.append(Float(k))
                    image.append(Float(x + y * shape[0] + z * 7 + v) + 10 * Float(k))
                }
            }
        }
        return (image, label)
    }

    /// Runs the library's preprocess and returns the store path.
    @discardableResult
    static func preprocess(_ kind: DatasetKind, input: URL, output: URL, size: Int, patch: Int? = nil,
                           configure: (inout PreprocessOptions) -> Void = { _ in }) throws -> PreprocessReport {
        var options = PreprocessOptions(kind: kind, input: input.path, output: output.path)
        options.size = size
        options.patch = patch
        options.workers = 2
        configure(&options)
        return try Preprocessor.run(options)
    }
}

/// Asserts `body` throws a ProgramError of `kind` whose message names `file` and contains `words`.
func assertStoreError<T>(_ body: @autoclosure () throws -> T, _ kind: ProgramError.Kind, file: String, _ words: String,
                         line: UInt = #line) {
    XCTAssertThrowsError(try body(), line: line) { error in
        guard let e = error as? ProgramError else { return XCTFail("not a ProgramError: \(error)", line: line) }
        XCTAssertEqual(e.kind, kind, "\(e)", line: line)
        XCTAssertTrue(e.description.contains(file), "message does not name \(file): \(e)", line: line)
        XCTAssertTrue(e.description.contains(words), "message lacks '\(words)': \(e)", line: line)
    }
}
