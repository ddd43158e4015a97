import Foundation

/// Builds NIfTI-1 and NIfTI-2 single files byte by byte, independently of nifticlib, so the
/// reader is checked against the format itself (header layouts from nifti1.h and nifti2.h).
public struct RawNIfTI {
    public enum Version { case one, two }

    public var version = Version.one
    public var dims: [Int]                 // nx, ny, nz (, nt)
    public var pixdim: [Float] = [1, 1, 1]
    public var datatype: Int16 = 16        // DT_FLOAT32
    public var bitpix: Int16 = 32
    public var sclSlope: Float = 0
    public var sclInter: Float = 0
    public var payload: Data               // voxel bytes, little-endian

    public init(dims: [Int], floats: [Float]) {
        self.dims = dims
        payload = floats.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public init(dims: [Int], int16s: [Int16], slope: Float = 0, inter: Float = 0) {
        self.dims = dims
        datatype = 4
        bitpix = 16
        sclSlope = slope
        sclInter = inter
        payload = int16s.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public init(dims: [Int], uint8s: [UInt8]) {
        self.dims = dims
        datatype = 2
        bitpix = 8
        payload = Data(uint8s)
    }

    /// Bytes before the voxels: the header and the 4 extension bytes.
    public var headerSize: Int { version == .one ? 352 : 544 }

    /// The file bytes: header, 4 extension bytes, then the voxels.
    public var bytes: Data { version == .one ? nifti1 : nifti2 }

    /// NIfTI-1: 348-byte header, voxels at offset 352.
    private var nifti1: Data {
        var h = Data(count: 352)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { h.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(Int32(348), at: 0)                       // sizeof_hdr
        put(Int16(dims.count), at: 40)               // dim[0]
        for (i, d) in dims.enumerated() { put(Int16(truncatingIfNeeded: d), at: 42 + 2 * i) }
        for i in dims.count..<7 { put(Int16(1), at: 42 + 2 * i) }
        put(datatype, at: 70)
        put(bitpix, at: 72)
        put(Float(1), at: 76)                        // pixdim[0] = qfac
        for (i, p) in pixdim.enumerated() { put(p, at: 80 + 4 * i) }
        put(Float(352), at: 108)                     // vox_offset
        put(sclSlope, at: 112)
        put(sclInter, at: 116)
        put(UInt8(2), at: 123)                       // xyzt_units: mm
        h.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        return h + payload
    }

    /// NIfTI-2: 540-byte header, voxels at offset 544.
    private var nifti2: Data {
        var h = Data(count: 544)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { h.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(Int32(540), at: 0)                       // sizeof_hdr
        h.replaceSubrange(4..<12, with: [0x6E, 0x2B, 0x32, 0x00, 0x0D, 0x0A, 0x1A, 0x0A])  // "n+2\0\r\n\032\n"
        put(datatype, at: 12)
        put(bitpix, at: 14)
        put(Int64(dims.count), at: 16)               // dim[0]
        for (i, d) in dims.enumerated() { put(Int64(d), at: 24 + 8 * i) }
        for i in dims.count..<7 { put(Int64(1), at: 24 + 8 * i) }
        put(Double(1), at: 104)                      // pixdim[0] = qfac
        for (i, p) in pixdim.enumerated() { put(Double(p), at: 112 + 8 * i) }
        put(Int64(544), at: 168)                     // vox_offset
        put(Double(sclSlope), at: 176)
        put(Double(sclInter), at: 184)
        put(Int32(2), at: 500)                       // xyzt_units: mm
        return h + payload
    }

    /// Writes the file; a name ending in `.gz` gets a gzip stream of stored blocks.
    public func write(to url: URL) throws {
        try (url.pathExtension == "gz" ? Gzip.stored(bytes) : bytes).write(to: url)
    }
}

/// gzip streams of stored (uncompressed) deflate blocks: valid for any gzip reader, and
/// simple enough that a test can reason about every byte (RFC 1951, RFC 1952).
public enum Gzip {
    /// `data` as one gzip member of stored blocks.
    public static func stored(_ data: Data) -> Data {
        var out = Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])  // magic, deflate, no flags, mtime 0, OS unknown
        let bytes = [UInt8](data)
        var start = 0
        repeat {
            let n = min(65_535, bytes.count - start)
            let final: UInt8 = start + n == bytes.count ? 1 : 0
            out.append(final)
            out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)])
            out.append(contentsOf: bytes[start..<(start + n)])
            start += n
        } while start < bytes.count
        for value in [crc32(bytes), UInt32(truncatingIfNeeded: bytes.count)] {
            out.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
        }
        return out
    }

    /// CRC-32 (IEEE, reflected), as gzip's trailer needs it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
