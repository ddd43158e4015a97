import Common
import XCTest
@testable import Figures

final class OverlayGridTests: XCTestCase {
    let w = 12, h = 8

    /// Intensities 0, 0.5 and 1 in equal thirds (so the 1st and 99th percentiles
    /// are 0 and 1 and 0.5 maps to round(127.5) = 128), and a disc of class 1 and a
    /// square of class 2.
    func slice(shift: Int) -> (image: [Float], truth: [UInt8], prediction: [UInt8]) {
        var image = [Float](), truth = [UInt8](), prediction = [UInt8]()
        for y in 0..<h {
            for x in 0..<w {
                image.append(Float(x / 4) * 0.5)
                let dx = x - 4 - shift, dy = y - 4
                let disc = dx * dx + dy * dy <= 6
                let square = (8...10).contains(x) && (1...3).contains(y)
                truth.append(disc ? 1 : square ? 2 : 0)
                prediction.append(disc && x != 4 + shift ? 1 : square || (x == 9 && y == 6) ? 2 : 0)
            }
        }
        return (image, truth, prediction)
    }

    func grid() -> OverlayGrid {
        let rows = (0..<2).map { r -> OverlayGrid.Row in
            let s = slice(shift: r)
            return .init(title: "case \(r + 1)", image: s.image, labelMaps: [s.truth, s.prediction, s.prediction])
        }
        var grid = OverlayGrid(width: w, height: h, columnTitles: ["image", "ground truth", "dice", "mime"],
                               classNames: ["background", "LV", "myocardium"], rows: rows)
        grid.alpha = 0.4
        return grid
    }

    func testGreyLevelsUsePercentileWindow() {
        XCTAssertEqual(OverlayGrid.grayLevels(slice(shift: 0).image).prefix(12),
                       [0, 0, 0, 0, 128, 128, 128, 128, 255, 255, 255, 255])
        // One outlier above the 99th percentile is clamped instead of darkening the rest.
        var image = (0..<200).map { Float($0 % 2) }
        image[0] = 1000
        let grey = OverlayGrid.grayLevels(image)
        XCTAssertEqual(grey[0], 255)
        XCTAssertEqual(grey[1], 255)
        XCTAssertEqual(grey[2], 0)
        XCTAssertEqual(OverlayGrid.grayLevels([3, 3, .nan]), [0, 0, 0])
    }

    func testOverlayPixelsAreTheBlendOfGreyAndClassColour() throws {
        let path = try scratchDirectory(self, samples: true) + "/overlay.png"
        let grid = grid()
        let ps = grid.pixelScale
        XCTAssertEqual(ps, 16)  // 200 / 12 pixels per slice pixel
        try grid.write(to: path)
        let png = try PNGReader.read(path)
        XCTAssertEqual(png[0, 0], .white)
        let alpha = UInt8((0.4 * 255).rounded())

        for r in 0..<2 {
            let s = slice(shift: r)
            let grey = OverlayGrid.grayLevels(s.image)
            for column in 0..<4 {
                let origin = grid.cellOrigin(row: r, column: column)
                for i in 0..<(w * h) {
                    // Centre of the square slice pixel i is drawn as.
                    let x = origin.x + (i % w) * ps + ps / 2, y = origin.y + (i / w) * ps + ps / 2
                    let k = column == 0 ? 0 : Int([s.truth, s.prediction, s.prediction][column - 1][i])
                    let expected: Color
                    if k == 0 {
                        expected = .gray(grey[i])
                    } else {
                        let c = grid.classColors[k]
                        expected = Color(referenceBlend(c.r, over: grey[i], alpha: alpha),
                                         referenceBlend(c.g, over: grey[i], alpha: alpha),
                                         referenceBlend(c.b, over: grey[i], alpha: alpha))
                    }
                    XCTAssertEqual(png[x, y], expected, "row \(r) column \(column) pixel \(i)")
                }
            }
        }
        // The legend shows the two foreground classes' colours below the grid.
        let legendColours = Set((0..<png.width).map { png[$0, png.height - 20] })
        XCTAssertTrue(legendColours.contains(grid.classColors[1]))
        XCTAssertTrue(legendColours.contains(grid.classColors[2]))
        // Column titles are drawn above the cells.
        let titleInk = (0..<grid.cellOrigin(row: 0, column: 0).y).flatMap { y in (0..<png.width).map { png[$0, y] } }
            .filter { $0 != .white }.count
        XCTAssertGreaterThan(titleInk, 200)
    }

    func testRealisticSliceSample() throws {
        // A 64x64 "scan": a bright ring around a mid-grey blob on a dark, noisy background,
        // the truth labels the blob (1) and ring (2), the "prediction" is shifted by 2 pixels.
        let n = 64
        var image = [Float](), truth = [UInt8](), shifted = [UInt8]()
        var seed: UInt64 = 7
        for y in 0..<n {
            for x in 0..<n {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let noise = Float(seed >> 40) / Float(1 << 24) * 40
                func label(_ x: Int) -> UInt8 {
                    let r = (Double((x - 30) * (x - 30) + (y - 34) * (y - 34))).squareRoot()
                    return r < 10 ? 1 : r < 15 ? 2 : 0
                }
                let k = label(x)
                image.append((k == 1 ? 300 : k == 2 ? 600 : 100) + noise)
                truth.append(k)
                shifted.append(label(x - 2))
            }
        }
        let path = try scratchDirectory(self, samples: true) + "/overlay-64.png"
        let grid = OverlayGrid(width: n, height: n, columnTitles: ["image", "ground truth", "dice", "vnet", "gdl", "mime"],
                               classNames: ["background", "LV cavity", "myocardium"],
                               rows: [.init(title: "test 1", image: image, labelMaps: [truth, shifted, truth, shifted, truth])])
        XCTAssertEqual(grid.pixelScale, 3)
        try grid.write(to: path)
        let png = try PNGReader.read(path)
        let centre = grid.cellOrigin(row: 0, column: 1)
        let c = grid.classColors[1], grey = OverlayGrid.grayLevels(image)[34 * n + 30]
        let a = UInt8((grid.alpha * 255).rounded())
        XCTAssertEqual(png[centre.x + 30 * 3 + 1, centre.y + 34 * 3 + 1],
                       Color(referenceBlend(c.r, over: grey, alpha: a), referenceBlend(c.g, over: grey, alpha: a),
                             referenceBlend(c.b, over: grey, alpha: a)))
    }

    func testBadInputIsRejected() {
        let good = grid()
        var tooFewMaps = good
        tooFewMaps.rows[1].labelMaps.removeLast()
        var badLabel = good
        badLabel.rows[0].labelMaps[0][5] = 3
        var shortImage = good
        shortImage.rows[0].image.removeLast()
        var noRows = good
        noRows.rows = []
        for (name, grid) in [("maps", tooFewMaps), ("label", badLabel), ("image", shortImage), ("rows", noRows)] {
            XCTAssertThrowsError(try grid.render(), name) { error in
                guard (error as? ProgramError)?.kind == .badInput else { return XCTFail("\(name): \(error)") }
            }
        }
        XCTAssertThrowsError(try badLabel.render()) { XCTAssertTrue("\($0)".contains("label 3")) }
    }
}
