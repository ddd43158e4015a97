/// An 8-bit RGBA raster, row-major from the top-left corner, with the few
/// drawing operations the report's figures need. Drawing clips to the canvas.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// RGBA bytes, `4 * (y * width + x)` is the red byte of pixel (x, y).
    public internal(set) var pixels: [UInt8]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "canvas size must be positive")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 4)
        fill(background)
    }

    /// A canvas over existing RGBA bytes (`width * height * 4` of them).
    public init(width: Int, height: Int, rgba: [UInt8]) {
        precondition(width > 0 && height > 0 && rgba.count == width * height * 4,
                     "RGBA buffer does not match the canvas size")
        self.width = width
        self.height = height
        pixels = rgba
    }

    /// The colour at (x, y); reading outside the canvas is a programming error.
    public subscript(x: Int, y: Int) -> Color {
        get {
            precondition(contains(x, y), "pixel (\(x), \(y)) is outside the canvas")
            let i = 4 * (y * width + x)
            return Color(pixels[i], pixels[i + 1], pixels[i + 2], alpha: pixels[i + 3])
        }
        set {
            precondition(contains(x, y), "pixel (\(x), \(y)) is outside the canvas")
            let i = 4 * (y * width + x)
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b; pixels[i + 3] = newValue.a
        }
    }

    public func contains(_ x: Int, _ y: Int) -> Bool {
        x >= 0 && y >= 0 && x < width && y < height
    }

    /// True if every pixel is opaque (the PNG can then be written without alpha).
    public var isOpaque: Bool {
        stride(from: 3, to: pixels.count, by: 4).allSatisfy { pixels[$0] == 255 }
    }

    /// Replaces every pixel with `color` (no blending).
    public mutating func fill(_ color: Color) {
        for i in stride(from: 0, to: pixels.count, by: 4) {
            pixels[i] = color.r; pixels[i + 1] = color.g
            pixels[i + 2] = color.b; pixels[i + 3] = color.a
        }
    }

    /// Draws `color` over pixel (x, y) with its alpha ("source over"); outside is ignored.
    /// Over an opaque pixel each channel becomes round(src * a + dst * (1 - a)), a = alpha / 255.
    public mutating func blend(x: Int, y: Int, color: Color) {
        guard contains(x, y), color.a > 0 else { return }
        if color.a == 255 { self[x, y] = color; return }
        let dst = self[x, y]
        let a = Int(color.a)
        if dst.a == 255 {
            // Integer form of the rounding above: (n + 127) / 255 == round(n / 255).
            func mix(_ s: UInt8, _ d: UInt8) -> UInt8 {
                UInt8((Int(s) * a + Int(d) * (255 - a) + 127) / 255)
            }
            self[x, y] = Color(mix(color.r, dst.r), mix(color.g, dst.g), mix(color.b, dst.b))
        } else {
            // General straight-alpha "over" for transparent destinations.
            let sa = Double(a) / 255, da = Double(dst.a) / 255
            let outA = sa + da * (1 - sa)
            func mix(_ s: UInt8, _ d: UInt8) -> UInt8 {
                UInt8(((Double(s) * sa + Double(d) * da * (1 - sa)) / outA).rounded())
            }
            self[x, y] = Color(mix(color.r, dst.r), mix(color.g, dst.g), mix(color.b, dst.b),
                               alpha: UInt8((outA * 255).rounded()))
        }
    }

    /// Blends a filled rectangle with top-left corner (x, y).
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: Color) {
        let x0 = max(x, 0), x1 = min(x + w, width)
        let y0 = max(y, 0), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 {
            for px in x0..<x1 { blend(x: px, y: py, color: color) }
        }
    }

    /// Draws the outline of a rectangle, `thickness` pixels wide, inside its bounds.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int,
                                    color: Color, thickness t: Int = 1) {
        fillRect(x: x, y: y, width: w, height: t, color: color)
        fillRect(x: x, y: y + h - t, width: w, height: t, color: color)
        fillRect(x: x, y: y + t, width: t, height: h - 2 * t, color: color)
        fillRect(x: x + w - t, y: y + t, width: t, height: h - 2 * t, color: color)
    }

    /// Draws a straight line between pixel centres (coordinates are rounded) with
    /// Bresenham's algorithm, stamping a `thickness` x `thickness` square (1-3 px)
    /// at each step. Lines with non-finite or absurd coordinates are skipped.
    public mutating func drawLine(from p: (x: Double, y: Double), to q: (x: Double, y: Double),
                                  color: Color, thickness: Int = 1) {
        let limit = 1e6
        guard [p.x, p.y, q.x, q.y].allSatisfy({ $0.isFinite && abs($0) < limit }) else { return }
        var x = Int(p.x.rounded()), y = Int(p.y.rounded())
        let x1 = Int(q.x.rounded()), y1 = Int(q.y.rounded())
        let dx = abs(x1 - x), dy = -abs(y1 - y)
        let sx = x < x1 ? 1 : -1, sy = y < y1 ? 1 : -1
        var err = dx + dy
        // Each pixel is stamped once per line, so a translucent line blends evenly.
        var stamped = Set<Int>()
        let t = min(max(thickness, 1), 3), lo = -(t - 1) / 2
        while true {
            for oy in lo..<(lo + t) {
                for ox in lo..<(lo + t) where contains(x + ox, y + oy) {
                    if stamped.insert((y + oy) * width + x + ox).inserted {
                        blend(x: x + ox, y: y + oy, color: color)
                    }
                }
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }
}
