import XCTest
@testable import Figures

final class CanvasTests: XCTestCase {
    func testBlendMatchesDoubleReferenceForAllAlphas() {
        var canvas = Canvas(width: 1, height: 1)
        for alpha in 0...255 {
            for (src, dst) in [(0, 255), (255, 0), (200, 37), (13, 140)] as [(UInt8, UInt8)] {
                canvas[0, 0] = .gray(dst)
                canvas.blend(x: 0, y: 0, color: Color(src, src, src, alpha: UInt8(alpha)))
                XCTAssertEqual(canvas[0, 0], .gray(referenceBlend(src, over: dst, alpha: UInt8(alpha))),
                               "alpha \(alpha) src \(src) dst \(dst)")
            }
        }
    }

    func testBlendOverTransparentPixelKeepsSourceColour() {
        var canvas = Canvas(width: 1, height: 1, background: .transparent)
        canvas.blend(x: 0, y: 0, color: Color(10, 20, 30, alpha: 100))
        XCTAssertEqual(canvas[0, 0], Color(10, 20, 30, alpha: 100))
    }

    func testFillRectClipsToCanvas() {
        var canvas = Canvas(width: 4, height: 3)
        canvas.fillRect(x: 2, y: -5, width: 10, height: 7, color: .black)
        for y in 0..<3 {
            for x in 0..<4 {
                XCTAssertEqual(canvas[x, y], x >= 2 && y < 2 ? .black : .white, "(\(x), \(y))")
            }
        }
    }

    func testLinePixelsLieOnTheSegment() {
        let red = Color(255, 0, 0)
        var canvas = Canvas(width: 20, height: 10)
        canvas.drawLine(from: (1, 1), to: (18, 7), color: red)
        var count = 0
        for y in 0..<10 {
            for x in 0..<20 where canvas[x, y] == red {
                count += 1
                // Distance of the pixel centre from the ideal line is at most half a pixel diagonal.
                let distance = abs(6 * Double(x - 1) - 17 * Double(y - 1)) / (6 * 6 + 17 * 17).squareRoot()
                XCTAssertLessThanOrEqual(distance, 0.71, "(\(x), \(y))")
            }
        }
        // Bresenham sets one pixel per step along the major axis, both ends included.
        XCTAssertEqual(count, 18)
        XCTAssertEqual(canvas[1, 1], red)
        XCTAssertEqual(canvas[18, 7], red)
        XCTAssertEqual(canvas[0, 9], .white)
    }

    func testThickLineCoversNeighbouringRowsAndTranslucentLineBlendsOnce() {
        var canvas = Canvas(width: 10, height: 9)
        canvas.drawLine(from: (1, 4), to: (8, 4), color: .black, thickness: 3)
        for x in 1...8 {
            XCTAssertEqual([3, 4, 5].map { canvas[x, $0] }, [.black, .black, .black], "column \(x)")
            XCTAssertEqual(canvas[x, 2], .white)
            XCTAssertEqual(canvas[x, 6], .white)
        }
        var translucent = Canvas(width: 10, height: 9)
        translucent.drawLine(from: (1, 4), to: (8, 4), color: Color(0, 0, 0, alpha: 128), thickness: 3)
        let expected = Color.gray(referenceBlend(0, over: 255, alpha: 128))
        for x in 1...8 { XCTAssertEqual(translucent[x, 4], expected) }
    }

    func testNonFiniteLineIsSkipped() {
        var canvas = Canvas(width: 5, height: 5)
        canvas.drawLine(from: (0, 0), to: (.nan, 4), color: .black)
        canvas.drawLine(from: (0, 0), to: (.infinity, 4), color: .black)
        XCTAssertEqual(canvas, Canvas(width: 5, height: 5))
    }
}
