internal import CNIfTI
import Common
import Foundation

/// Voxel storage types this program reads and writes (the NIfTI `DT_*` codes).
public enum NIfTIDataType: Int32, Sendable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64, int8 = 256, uint16 = 512

    /// Whether the type stores whole numbers (values are rounded and clamped when writing).
    var isInteger: Bool { self != .float32 && self != .float64 }

    /// The representable range of an integer type.
    var range: ClosedRange<Double> {
        switch self {
        case .uint8: return 0...255
        case .int8: return -128...127
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return -2_147_483_648...2_147_483_647
        case .float32, .float64: return -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        }
    }
}

/// The header of a NIfTI file (everything but the voxels), kept to write outputs
/// (e.g. predicted labels) in the same space as an input.
public final class NIfTIHeader: @unchecked Sendable {
    let nim: UnsafeMutablePointer<nifti_image>

    /// Takes ownership of `nim` (its data, if any, is released here).
    init(taking nim: UnsafeMutablePointer<nifti_image>) {
        free(nim.pointee.data)
        nim.pointee.data = nil
        self.nim = nim
    }

    deinit { nifti_image_free(nim) }

    /// Grid dimensions (nx, ny, nz, nt, ...), as many as the header's `ndim`.
    public var dims: [Int] {
        let all = withUnsafeBytes(of: nim.pointee.dim) { Array($0.bindMemory(to: Int64.self)) }
        return all[1...min(max(Int(all[0]), 1), 7)].map { Int($0) }
    }

    /// Voxel spacing |pixdim[1...3]| (mm for the datasets used here; some writers store negative
    /// values). nifticlib itself replaces a zero or NaN pixdim by 1 when reading a header.
    public var spacing: [Double] { [nim.pointee.dx, nim.pointee.dy, nim.pointee.dz].map(abs) }

    /// The voxel-to-world transform: the sform when set, else the qform (row-major 4x4).
    public var affine: [[Double]] {
        let matrix = nim.pointee.sform_code > 0 ? nim.pointee.sto_xyz : nim.pointee.qto_xyz
        return withUnsafeBytes(of: matrix.m) { raw in
            (0..<4).map { r in (0..<4).map { c in raw.load(fromByteOffset: (r * 4 + c) * 8, as: Double.self) } }
        }
    }

    public var qformCode: Int { Int(nim.pointee.qform_code) }
    public var sformCode: Int { Int(nim.pointee.sform_code) }
    public var sclSlope: Double { nim.pointee.scl_slope }
    public var sclInter: Double { nim.pointee.scl_inter }
    public var dataType: Int32 { nim.pointee.datatype }
}

/// A 3D NIfTI volume converted to Float voxels, x fastest: index = x + nx * (y + ny * z).
public struct NIfTIVolume: Sendable {
    /// The file it was read from.
    public let path: String
    /// (nx, ny, nz).
    public let shape: [Int]
    /// Voxel spacing in mm (pixdim[1...3]).
    public let spacing: [Double]
    /// Intensities after `scl_slope`/`scl_inter` scaling.
    public var voxels: [Float]
    /// The full header, for writing volumes in the same space.
    public let header: NIfTIHeader

    /// Voxels per slice (nx * ny).
    public var sliceCount: Int { shape[0] * shape[1] }

    /// Reads only the header of a 3D volume (cheap; no voxels), checking existence and dimensionality.
    public static func readHeader(_ path: String) throws -> NIfTIHeader {
        let nim = try open(path)
        let header = NIfTIHeader(taking: nim)
        try checkThreeD(header, path: path)
        try checkSize(header, path: path)
        return header
    }

    /// Reads a 3D volume (.nii or .nii.gz) of any supported datatype, applying the
    /// intensity scaling, and rejects 4D volumes and non-finite intensities.
    public static func read(_ path: String) throws -> NIfTIVolume {
        let header = try readHeader(path)
        let nim = header.nim
        guard let type = NIfTIDataType(rawValue: nim.pointee.datatype) else {
            let name = String(cString: nifti_datatype_to_string(nim.pointee.datatype))
            throw ProgramError(.unsupportedType, path: path, "unsupported voxel datatype \(name) (\(nim.pointee.datatype))")
        }
        let count = Int(nim.pointee.nvox)
        guard (1...Limits.voxels).contains(count) else {
            throw ProgramError(.tooLarge, path: path, "\(count) voxels: a volume may have 1...\(Limits.voxels)")
        }
        var voxels = try readVoxels(header, type: type, count: count, path: path)
        let bad = voxels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        if bad > 0 {
            throw ProgramError(.nonFinite, path: path, "contains \(bad) non-finite (NaN or infinite) intensities")
        }
        let slope = nim.pointee.scl_slope, inter = nim.pointee.scl_inter
        if slope != 0 && slope.isFinite && (slope != 1 || inter != 0) {
            let s = Float(slope), b = Float(inter)
            for i in voxels.indices { voxels[i] = voxels[i] * s + b }
        }
        let dims = header.dims
        return NIfTIVolume(path: path, shape: [dims[0], dims.count > 1 ? dims[1] : 1, dims.count > 2 ? dims[2] : 1],
                           spacing: header.spacing, voxels: voxels, header: header)
    }

    /// Reads the voxel block with nifticlib's znzlib rather than `nifti_image_load`,
    /// because the latter silently replaces NaN/inf with 0, and we must reject them.
    private static func readVoxels(_ header: NIfTIHeader, type: NIfTIDataType, count: Int, path: String) throws -> [Float] {
        let nim = header.nim
        let bytes = count * Int(nim.pointee.nbyper)
        guard let iname = nim.pointee.iname else { throw ProgramError(.notNIfTI, path: path, "header names no image file") }
        guard let opened = znzopen(iname, "rb", nifti_is_gzfile(iname)) else {
            throw ProgramError(.missingFile, path: String(cString: iname), "cannot open the image data")
        }
        var file: znzFile? = opened
        defer { Xznzclose(&file) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
        defer { buffer.deallocate() }
        guard znzseek(opened, numericCast(nim.pointee.iname_offset), SEEK_SET) >= 0,
              znzread(buffer, 1, bytes, opened) == bytes else {
            throw ProgramError(.truncated, path: path, "truncated: fewer than the \(bytes) voxel bytes the header declares")
        }
        if nim.pointee.byteorder != nifti_short_order() && nim.pointee.swapsize > 1 {
            nifti_swap_Nbytes(Int64(count), nim.pointee.swapsize, buffer)
        }
        return convert(buffer, type: type, count: count)
    }

    private static func open(_ path: String) throws -> UnsafeMutablePointer<nifti_image> {
        nifti_set_debug_level(0)  // nifticlib prints its own errors otherwise; ours name the file
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProgramError(.missingFile, path: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw ProgramError(.notNIfTI, path: path, "is a directory, not a NIfTI file") }
        _ = try NIfTIHeaderCheck.check(path)  // sizes bounded before nifticlib trusts them
        guard let nim = nifti_image_read(path, 0) else {
            throw ProgramError(.notNIfTI, path: path,
                                  "not a NIfTI file, or truncated (no valid NIfTI-1/2 header could be read)")
        }
        return nim
    }

    private static func checkThreeD(_ header: NIfTIHeader, path: String) throws {
        let dims = header.dims
        if dims.count > 3, dims[3...].contains(where: { $0 > 1 }) {
            throw ProgramError(.notThreeD, path: path,
                                  "is \(dims.count)D (\(dims.map(String.init).joined(separator: " x "))), expected a 3D volume")
        }
    }

    /// An uncompressed file must hold the whole voxel block after the header.
    private static func checkSize(_ header: NIfTIHeader, path: String) throws {
        guard nifti_is_gzfile(path) == 0 else { return }  // gz truncation is caught when decompressing
        let needed = Int64(header.nim.pointee.iname_offset) + header.nim.pointee.nvox * Int64(header.nim.pointee.nbyper)
        let size = nifti_get_filesize(path)
        if header.nim.pointee.nifti_type == NIFTI_FTYPE_NIFTI1_1 || header.nim.pointee.nifti_type == NIFTI_FTYPE_NIFTI2_1,
           size < needed {
            throw ProgramError(.truncated, path: path, "truncated: \(size) bytes, the header needs \(needed)")
        }
    }

    private static func convert(_ data: UnsafeMutableRawPointer, type: NIfTIDataType, count: Int) -> [Float] {
        func map<T>(_: T.Type, _ f: (T) -> Float) -> [Float] {
            let p = data.bindMemory(to: T.self, capacity: count)
            return (0..<count).map { f(p[$0]) }
        }
        switch type {
        case .uint8: return map(UInt8.self) { Float($0) }
        case .int8: return map(Int8.self) { Float($0) }
        case .int16: return map(Int16.self) { Float($0) }
        case .uint16: return map(UInt16.self) { Float($0) }
        case .int32: return map(Int32.self) { Float($0) }
        case .float32: return map(Float.self) { $0 }
        case .float64: return map(Double.self) { Float($0) }
        }
    }
}
