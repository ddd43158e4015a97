import XCTest
@testable import Figures

final class BitmapFontTests: XCTestCase {
    /// Glyphs drawn by hand here, independently of the font's encoded table;
    /// 7 rows, or 9 for letters with a tail below the baseline.
    let art: [Character: [String]] = [
        "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        "g": [".....", ".....", ".####", "#...#", "#...#", "#...#", ".####", "....#", ".###."],
        "%": ["##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"],
        "~": [".....", ".....", ".#...", "#.#.#", "...#.", ".....", "....."],
    ]

    func testTextPixelsMatchTheGlyphArtAtScale1And3() {
        for scale in [1, 3] {
            for (character, rows) in art {
                var canvas = Canvas(width: 8 * scale, height: 11 * scale)
                canvas.drawText(String(character), x: scale, y: scale, color: .black, scale: scale)
                for y in 0..<canvas.height {
                    for x in 0..<canvas.width {
                        let column = x / scale - 1, row = y / scale - 1
                        let inGlyph = (0..<5).contains(column) && rows.indices.contains(row)
                        let set = inGlyph && Array(rows[row])[column] == "#"
                        XCTAssertEqual(canvas[x, y], set ? .black : .white,
                                       "'\(character)' scale \(scale) pixel (\(x), \(y))")
                    }
                }
            }
        }
    }

    func testEveryPrintableCharacterHasAGlyphAndOthersDrawAsQuestionMark() {
        for code in 33...126 {
            let glyph = BitmapFont.glyph(Character(UnicodeScalar(UInt8(code))))
            XCTAssertEqual(glyph.count, 7)
            XCTAssertTrue(glyph.contains { $0 != 0 }, "character \(code) is blank")
            XCTAssertTrue(glyph.allSatisfy { $0 < 32 })
        }
        XCTAssertEqual(BitmapFont.glyph(" "), [UInt8](repeating: 0, count: 7))
        XCTAssertEqual(BitmapFont.glyph("é"), BitmapFont.glyph("?"))
        // Distinct characters have distinct glyphs (a typo in the table would often collide).
        let glyphs = (32...126).map { BitmapFont.glyph(Character(UnicodeScalar(UInt8($0)))) }
        XCTAssertEqual(Set(glyphs.map { $0.description }).count, 95)
    }

    func testUpwardTextIsTheHorizontalTextRotatedCounterClockwise() {
        var flat = Canvas(width: 20, height: 11), up = Canvas(width: 11, height: 20)
        flat.drawText("Ag", x: 1, y: 1, color: .black)
        up.drawText("Ag", x: 1, y: 19, color: .black, direction: .upward)
        // Rotating 90 degrees counter-clockwise maps flat (x, y) to up (y, 19 - x).
        for y in 0..<11 {
            for x in 0..<20 { XCTAssertEqual(flat[x, y], up[y, 19 - x], "(\(x), \(y))") }
        }
    }

    func testAllCharactersSheetHasInkInEveryCell() throws {
        let path = try scratchDirectory(self, samples: true) + "/font.png"
        let scale = 3, perLine = 16
        var canvas = Canvas(width: (perLine * 6 + 2) * scale, height: (6 * 10 + 2) * scale)
        let characters = (32...126).map { Character(UnicodeScalar(UInt8($0))) }
        for (i, character) in characters.enumerated() {
            canvas.drawText(String(character), x: (1 + i % perLine * 6) * scale,
                            y: (1 + i / perLine * 10) * scale, color: .black, scale: scale)
        }
        try canvas.writePNG(to: path)
        let png = try PNGReader.read(path)
        for (i, character) in characters.enumerated() where character != " " {
            let x0 = (1 + i % perLine * 6) * scale, y0 = (1 + i / perLine * 10) * scale
            let ink = (y0..<(y0 + 9 * scale)).contains { y in (x0..<(x0 + 5 * scale)).contains { png[$0, y] == .black } }
            XCTAssertTrue(ink, "no ink for '\(character)'")
        }
    }

    func testWidthOfText() {
        XCTAssertEqual(BitmapFont.width(of: "", scale: 2), 0)
        XCTAssertEqual(BitmapFont.width(of: "abc", scale: 1), 17)
        XCTAssertEqual(BitmapFont.width(of: "abc", scale: 2), 34)
    }
}
