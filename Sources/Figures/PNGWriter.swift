internal import CPNG
import Common
import Foundation

/// Writes canvases as 8-bit PNG files with libpng's simplified API
/// (`png_image_write_to_memory`), which reports errors in `png_image.message`
/// instead of longjmp-ing, so it is safe to call from Swift. The encoded bytes are
/// written by `AtomicFile`: every call checked, fsynced, renamed into place.
public enum PNGWriter {
    /// Writes `canvas` to `path`: RGB if every pixel is opaque, RGBA otherwise.
    /// `path` is either the complete new PNG or untouched.
    public static func write(_ canvas: Canvas, to path: String) throws {
        try AtomicFile.write(path, data: try encode(canvas, name: path))
    }

    /// The PNG file's bytes for `canvas`; `name` goes into errors.
    public static func encode(_ canvas: Canvas, name: String) throws -> Data {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(canvas.width)
        image.height = png_uint_32(canvas.height)
        // The simplified API writes the buffer's own layout, so opaque canvases are
        // packed into RGB bytes first (a quarter smaller file).
        var bytes = canvas.pixels
        image.format = rgbaFormat
        if canvas.isOpaque {
            image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR)  // PNG_FORMAT_RGB
            bytes = [UInt8](); bytes.reserveCapacity(canvas.width * canvas.height * 3)
            for i in stride(from: 0, to: canvas.pixels.count, by: 4) {
                bytes.append(contentsOf: canvas.pixels[i..<(i + 3)])
            }
        }
        // First the size, then the bytes.
        var size: png_alloc_size_t = 0
        var ok = bytes.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard ok != 0, size > 0 else { throw FigureError.cannotWrite(path: name, reason: libpngMessage(image)) }
        var data = Data(count: Int(size))
        ok = data.withUnsafeMutableBytes { memory in
            bytes.withUnsafeBytes { png_image_write_to_memory(&image, memory.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else { throw FigureError.cannotWrite(path: name, reason: libpngMessage(image)) }
        return data.prefix(Int(size))
    }
}

extension Canvas {
    /// Writes this canvas as a PNG file (see `PNGWriter.write`).
    public func writePNG(to path: String) throws { try PNGWriter.write(self, to: path) }
}

/// The error text libpng left in `image.message` (a fixed-size C string).
func libpngMessage(_ image: png_image) -> String {
    var message = image.message
    let text = withUnsafeBytes(of: &message) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    return text.isEmpty ? "unknown libpng error" : text
}

/// PNG_FORMAT_RGBA: a compound macro Swift does not import, so spelled out.
let rgbaFormat = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
