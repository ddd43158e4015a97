internal import CPNG

/// Reads PNG files into canvases with libpng's simplified API (any PNG colour
/// type and bit depth is converted to 8-bit RGBA). Used by tests and tools.
public enum PNGReader {
    public static func read(_ path: String) throws -> Canvas {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw FigureError.cannotRead(path: path, reason: libpngMessage(image))
        }
        image.format = rgbaFormat
        let width = Int(image.width), height = Int(image.height)
        var bytes = [UInt8](repeating: 0, count: width * height * 4)
        let ok = bytes.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
        }
        guard ok != 0 else {
            let reason = libpngMessage(image)
            png_image_free(&image)
            throw FigureError.cannotRead(path: path, reason: reason)
        }
        return Canvas(width: width, height: height, rgba: bytes)
    }
}
