import Foundation

/// Builds NIfTI-1 single files byte by byte, independently of nifticlib, so the
/// reader is checked against the format itself (header layout from nifti1.h).
struct RawNIfTI {
    var dims: [Int]                 // nx, ny, nz (, nt)
    var pixdim: [Float] = [1, 1, 1]
    var datatype: Int16 = 16        // DT_FLOAT32
    var bitpix: Int16 = 32
    var sclSlope: Float = 0
    var sclInter: Float = 0
    var payload: Data               // voxel bytes, little-endian

    init(dims: [Int], floats: [Float]) {
        self.dims = dims
        payload = floats.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    init(dims: [Int], int16s: [Int16], slope: Float = 0, inter: Float = 0) {
        self.dims = dims
        datatype = 4
        bitpix = 16
        sclSlope = slope
        sclInter = inter
        payload = int16s.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The file bytes: 348-byte header, 4 extension bytes, voxels at offset 352.
    var bytes: Data {
        var h = Data(count: 352)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { h.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(Int32(348), at: 0)                       // sizeof_hdr
        put(Int16(dims.count), at: 40)               // dim[0]
        for (i, d) in dims.enumerated() { put(Int16(d), at: 42 + 2 * i) }
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

    func write(to url: URL) throws { try bytes.write(to: url) }
}
