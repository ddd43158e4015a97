import Common
import Foundation
import XCTest
@testable import Figures

final class PNGTests: XCTestCase {
    /// Byte 25 of a PNG file is the IHDR colour type: 2 = RGB, 6 = RGBA.
    func colourType(_ path: String) throws -> UInt8 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(8)), [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature")
        return data[25]
    }

    func sampleCanvas(alpha: UInt8) -> Canvas {
        var canvas = Canvas(width: 7, height: 5, background: Color(10, 20, 30, alpha: alpha))
        canvas[0, 0] = Color(255, 0, 0)
        canvas[6, 4] = Color(1, 2, 3)
        canvas[3, 2] = Color(0, 255, 128, alpha: 200)
        return canvas
    }

    func testOpaqueCanvasRoundTripsAsRGB() throws {
        let path = try scratchDirectory(self) + "/opaque.png"
        var opaque = sampleCanvas(alpha: 255)
        opaque[3, 2] = Color(0, 255, 128)
        try opaque.writePNG(to: path)
        XCTAssertEqual(try colourType(path), 2)
        XCTAssertEqual(try PNGReader.read(path), opaque)
    }

    func testTranslucentCanvasRoundTripsAsRGBA() throws {
        let path = try scratchDirectory(self) + "/translucent.png"
        let canvas = sampleCanvas(alpha: 60)
        try canvas.writePNG(to: path)
        XCTAssertEqual(try colourType(path), 6)
        let back = try PNGReader.read(path)
        XCTAssertEqual(back.width, 7)
        XCTAssertEqual(back.height, 5)
        XCTAssertEqual(back, canvas)
    }

    func testUnwritablePathGivesClearErrorAndLeavesNoFile() throws {
        let directory = try scratchDirectory(self) + "/missing-dir"
        let path = directory + "/figure.png"
        XCTAssertThrowsError(try Canvas(width: 3, height: 3).writePNG(to: path)) { error in
            guard let error = error as? ProgramError, error.kind == .writeFailed else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(error.path, path)
            XCTAssertFalse(error.message.isEmpty)
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    func testFailedRenameLeavesNoTemporaryFile() throws {
        // The target is a non-empty directory: libpng writes the temporary file, rename fails.
        let directory = try scratchDirectory(self)
        let path = directory + "/occupied.png"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try Canvas(width: 3, height: 3).writePNG(to: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertEqual(left.filter { $0.contains(".tmp") }, [])
    }

    func testReadingANonPNGFileFails() throws {
        let path = try scratchDirectory(self) + "/not.png"
        try Data("hello, not a png".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGReader.read(path)) { error in
            guard let error = error as? ProgramError, error.kind == .badInput else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(error.path, path)
        }
        XCTAssertThrowsError(try PNGReader.read(path + ".missing"))
    }
}
