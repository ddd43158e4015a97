/// An 8-bit RGBA colour (straight, not premultiplied, alpha).
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, alpha: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = alpha
    }

    /// An opaque grey.
    public static func gray(_ v: UInt8) -> Color { Color(v, v, v) }

    /// The same colour with `alpha` in 0...1 (rounded to the nearest 1/255).
    public func withAlpha(_ alpha: Double) -> Color {
        Color(r, g, b, alpha: UInt8((min(max(alpha, 0), 1) * 255).rounded()))
    }

    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)
    public static let transparent = Color(0, 0, 0, alpha: 0)

    /// Distinct colours for chart series (the common "category10" palette).
    public static let palette: [Color] = [
        Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40),
        Color(148, 103, 189), Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127),
        Color(188, 189, 34), Color(23, 190, 207),
    ]

    /// Saturated colours for label overlays: they stay distinct on a grey image.
    public static let classPalette: [Color] = [
        Color(255, 0, 0), Color(0, 200, 0), Color(0, 90, 255), Color(255, 220, 0),
        Color(255, 0, 255), Color(0, 230, 230), Color(255, 130, 0), Color(150, 0, 255),
    ]

    public var description: String { "rgba(\(r), \(g), \(b), \(a))" }
}
