/// A tiny embedded 5x7 bitmap font for ASCII 32...126, scaled by an integer
/// factor. Capitals and digits are 7 rows high; "g", "p", "q" and "y" are drawn
/// 2 rows lower so their tails hang below the baseline, hence a 6x10 cell
/// (one blank column, 9 rows of ink, one blank row).
public enum BitmapFont {
    public static let glyphWidth = 5, glyphHeight = 7
    /// Rows the descending letters are shifted down by.
    public static let descent = 2
    /// Horizontal advance and line height of one character at scale 1.
    public static let cellWidth = 6, cellHeight = glyphHeight + descent + 1

    /// One string per character from " " (32) to "~" (126): seven base-32 digits,
    /// one per row from the top; bit 4 of a digit is the leftmost column.
    private static let table: [String] = [
        "0000000", "4444404", "AAA0000", "AAVAVAA", "4FKE5U4", "OP248J3", //   ! " # $ %
        "CIK8LID", "4480000", "2488842", "8422248", "04LEL40", "044V440", // & ' ( ) * +
        "0000C48", "000V000", "00000CC", "01248G0", "EHJLPHE", "4C4444E", // , - . / 0 1
        "EH1248V", "V2421HE", "26AIV22", "VGU11HE", "68GUHHE", "V124888", // 2 3 4 5 6 7
        "EHHEHHE", "EHHF12C", "0CC0CC0", "0CC0C48", "248G842", "00V0V00", // 8 9 : ; < =
        "8421248", "EH12404", "EH1DLLE", "EHHVHHH", "UHHUHHU", "EHGGGHE", // > ? @ A B C
        "SIHHHIS", "VGGUGGV", "VGGUGGG", "EHGNHHF", "HHHVHHH", "E44444E", // D E F G H I
        "72222IC", "HIKOKIH", "GGGGGGV", "HRLLHHH", "HHPLJHH", "EHHHHHE", // J K L M N O
        "UHHUGGG", "EHHHLID", "UHHUKIH", "FGGE11U", "V444444", "HHHHHHE", // P Q R S T U
        "HHHHHA4", "HHHLLLA", "HHA4AHH", "HHA4444", "V1248GV", "E88888E", // V W X Y Z [
        "0G84210", "E22222E", "4AH0000", "000000V", "8420000", "00E1FHF", // \ ] ^ _ ` a
        "GGMPHHU", "00EGGHE", "11DJHHF", "00EHVGE", "698S888", "FHHHF1E", // b c d e f g
        "GGMPHHH", "40C444E", "20622IC", "GGIKOKI", "C44444E", "00QLLHH", // h i j k l m
        "00MPHHH", "00EHHHE", "UHHHUGG", "FHHHF11", "00MPGGG", "00FGE1U", // n o p q r s
        "88S8896", "00HHHJD", "00HHHA4", "00HHLLA", "00HA4AH", "HHHHF1E", // t u v w x y
        "00V248V", "2448442", "4444444", "8442448", "008L200", // z { | } ~
    ]

    private static let rows: [[UInt8]] = table.map { code in
        code.map { UInt8(String($0), radix: 32)! }
    }

    /// The seven row bit patterns of `character`; characters outside ASCII 32...126 draw as "?".
    public static func glyph(_ character: Character) -> [UInt8] {
        guard let ascii = character.asciiValue, (32...126).contains(ascii) else {
            return rows[Int(Character("?").asciiValue! - 32)]
        }
        return rows[Int(ascii - 32)]
    }

    /// Rows `character` is drawn below the top of its cell: `descent` for letters with tails.
    public static func offset(_ character: Character) -> Int {
        "gpqy".contains(character) ? descent : 0
    }

    /// Width in pixels of `text` on one line at `scale` (without the trailing spacing column).
    public static func width(of text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * cellWidth - 1) * scale
    }

    /// Height in pixels of one line of text at `scale`, descenders included.
    public static func height(scale: Int = 1) -> Int { (glyphHeight + descent) * scale }
}

extension Canvas {
    /// Which way text runs.
    public enum TextDirection: Sendable {
        /// Left to right; (x, y) is the top-left corner.
        case horizontal
        /// Bottom to top (rotated 90 degrees counter-clockwise); (x, y) is the
        /// bottom-left corner as seen on the canvas. Used for y-axis titles.
        case upward
    }

    /// Draws `text` on one line with the embedded font, each font pixel a
    /// `scale` x `scale` square blended with `color`.
    public mutating func drawText(_ text: String, x: Int, y: Int, color: Color,
                                  scale: Int = 1, direction: TextDirection = .horizontal) {
        let s = max(scale, 1)
        for (index, character) in text.enumerated() {
            let rows = BitmapFont.glyph(character), offset = BitmapFont.offset(character)
            for row in 0..<BitmapFont.glyphHeight {
                for column in 0..<BitmapFont.glyphWidth
                    where rows[row] >> (BitmapFont.glyphWidth - 1 - column) & 1 == 1 {
                    // (u, v): position along and across the text line, in canvas pixels.
                    let u = (index * BitmapFont.cellWidth + column) * s
                    let v = (row + offset) * s
                    switch direction {
                    case .horizontal:
                        fillRect(x: x + u, y: y + v, width: s, height: s, color: color)
                    case .upward:
                        fillRect(x: x + v, y: y - u - s, width: s, height: s, color: color)
                    }
                }
            }
        }
    }

    /// Draws `text` horizontally centred on `centerX` with its top at `y`.
    public mutating func drawText(_ text: String, centeredAt centerX: Int, y: Int,
                                  color: Color, scale: Int = 1) {
        drawText(text, x: centerX - BitmapFont.width(of: text, scale: scale) / 2, y: y,
                 color: color, scale: scale)
    }
}
