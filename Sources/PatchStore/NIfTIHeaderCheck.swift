internal import CNIfTI
import Common
import Foundation

/// The header fields that size what a reader allocates, read and checked before nifticlib
/// sees the file: nifticlib trusts them (a NIfTI-2 header with dims of 1e9 overflows its
/// voxel count and crashes it; dims of 32767^3 ask for terabytes).
///
/// NIfTI-1 (348-byte header, 16-bit dims, float vox_offset) and NIfTI-2 (540 bytes, 64-bit
/// dims and vox_offset), either byte order, plain or gzip-compressed (read through znzlib).
struct NIfTIHeaderCheck {
    /// 1 or 2.
    let version: Int
    /// dim[1...dim[0]].
    let dims: [Int]
    let voxels: Int

    /// Reads and checks the header of `path` (or of the `.hdr` that goes with an `.img`).
    static func check(_ path: String) throws -> NIfTIHeaderCheck {
        let headerFile = nifti_findhdrname(path).map { pointer -> String in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path
        guard let opened = znzopen(headerFile, "rb", nifti_is_gzfile(headerFile)) else {
            throw ProgramError(.missingFile, path: path, "cannot open the header")
        }
        var file: znzFile? = opened
        defer { Xznzclose(&file) }
        var bytes = [UInt8](repeating: 0, count: 540)
        // zlib's error comes back as a negative count (a damaged gzip stream).
        let read = znzread(&bytes, 1, bytes.count, opened)
        guard read >= 0 else { throw ProgramError(.notNIfTI, path: path, "cannot decompress the header (not gzip, or damaged)") }
        return try parse(Array(bytes.prefix(read)), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> NIfTIHeaderCheck {
        func notNIfTI(_ why: String) -> ProgramError {
            ProgramError(.notNIfTI, path: path, "not a NIfTI file, or truncated (\(why))")
        }
        guard bytes.count >= 4 else { throw notNIfTI("\(bytes.count) bytes") }
        let size = Self.integer(bytes, at: 0, width: 4, swapped: false)
        let swapped = size != 348 && size != 540
        let headerSize = swapped ? Self.integer(bytes, at: 0, width: 4, swapped: true) : size
        guard headerSize == 348 || headerSize == 540 else { throw notNIfTI("header size field is \(size)") }
        guard bytes.count >= headerSize else { throw notNIfTI("\(bytes.count) of the \(headerSize) header bytes") }
        let version = headerSize == 348 ? 1 : 2
        func integer(_ offset: Int, _ width: Int) -> Int { Self.integer(bytes, at: offset, width: width, swapped: swapped) }
        let rank = version == 1 ? integer(40, 2) : integer(16, 8)
        guard (1...7).contains(rank) else { throw notNIfTI("dim[0] = \(rank), not 1...7") }
        let dims = (1...rank).map { version == 1 ? integer(40 + 2 * $0, 2) : integer(16 + 8 * $0, 8) }
        if let bad = dims.firstIndex(where: { $0 < 1 }) {
            throw ProgramError(.badInput, path: path, "dimension \(bad + 1) of the header is \(dims[bad]); every dimension must be at least 1")
        }
        let shape = dims.map(String.init).joined(separator: " x ")
        guard let voxels = Limits.product(dims), voxels <= Limits.voxels else {
            throw ProgramError(.tooLarge, path: path, "\(shape) voxels: more than the \(Limits.voxels) a volume may have")
        }
        let datatype = Int32(truncatingIfNeeded: version == 1 ? integer(70, 2) : integer(12, 2))
        guard NIfTIDataType(rawValue: datatype) != nil else {
            throw ProgramError(.unsupportedType, path: path, "unsupported voxel datatype \(datatype) "
                               + "(supported: \(NIfTIDataType.allCases.map { "\($0)" }.joined(separator: ", ")))")
        }
        let offset: Double = version == 1 ? Double(Self.float32(bytes, at: 108, swapped: swapped)) : Double(integer(168, 8))
        guard offset.isFinite, offset >= 0, offset <= Double(headerSize + 4 + Limits.niftiExtensionBytes) else {
            throw ProgramError(.badInput, path: path, "vox_offset \(offset) is not where voxels can start "
                               + "(0...\(headerSize + 4 + Limits.niftiExtensionBytes))")
        }
        return NIfTIHeaderCheck(version: version, dims: dims, voxels: voxels)
    }

    /// A little-endian (or, `swapped`, big-endian) signed integer of `width` bytes.
    private static func integer(_ bytes: [UInt8], at offset: Int, width: Int, swapped: Bool) -> Int {
        var value: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(bytes[offset + (swapped ? width - 1 - i : i)])
            value |= byte << (8 * UInt64(i))
        }
        let shift = UInt64(64 - 8 * width)
        return Int(Int64(bitPattern: value << shift) >> Int64(shift))
    }

    private static func float32(_ bytes: [UInt8], at offset: Int, swapped: Bool) -> Float {
        Float(bitPattern: UInt32(truncatingIfNeeded: integer(bytes, at: offset, width: 4, swapped: swapped)))
    }
}
