internal import CNIfTI
import Common
import Foundation

/// Writes 3D volumes as NIfTI-1 files (.nii or .nii.gz, by the name's extension).
public enum NIfTIWriter {
    /// Geometry for a new file written without a template header.
    public struct Geometry: Sendable {
        public var shape: [Int]
        public var spacing: [Double]
        /// World position of voxel (0, 0, 0), mm.
        public var origin: [Double]

        public init(shape: [Int], spacing: [Double], origin: [Double] = [0, 0, 0]) {
            self.shape = shape
            self.spacing = spacing
            self.origin = origin
        }
    }

    /// Writes `voxels` (x fastest) with a fresh header: qform and sform both the
    /// diagonal spacing matrix translated to `origin`, units mm.
    ///
    /// - Parameters:
    ///   - slope, inter: when `slope != 0`, the file stores `(v - inter) / slope` and
    ///     sets `scl_slope`/`scl_inter` so readers recover `v`.
    public static func write(_ voxels: [Float], geometry: Geometry, as type: NIfTIDataType,
                             slope: Double = 0, inter: Double = 0, to path: String) throws {
        let shape = geometry.shape
        guard shape.count == 3, voxels.count == shape.reduce(1, *) else {
            throw ProgramError(.badInput, path: path, "\(voxels.count) voxels do not fill shape \(shape)")
        }
        let dims: [Int64] = [3, Int64(shape[0]), Int64(shape[1]), Int64(shape[2]), 1, 1, 1, 1]
        guard let nim = nifti_make_new_nim(dims, type.rawValue, 0) else {
            throw ProgramError(.writeFailed, path: path, "nifticlib could not make a header")
        }
        let s = geometry.spacing, o = geometry.origin
        nim.pointee.dx = s[0]; nim.pointee.dy = s[1]; nim.pointee.dz = s[2]
        withUnsafeMutableBytes(of: &nim.pointee.pixdim) { raw in
            let p = raw.bindMemory(to: Double.self)
            p[1] = s[0]; p[2] = s[1]; p[3] = s[2]
        }
        nim.pointee.xyz_units = NIFTI_UNITS_MM
        nim.pointee.qform_code = NIFTI_XFORM_SCANNER_ANAT
        nim.pointee.sform_code = NIFTI_XFORM_SCANNER_ANAT
        nim.pointee.quatern_b = 0; nim.pointee.quatern_c = 0; nim.pointee.quatern_d = 0
        nim.pointee.qfac = 1
        nim.pointee.qoffset_x = o[0]; nim.pointee.qoffset_y = o[1]; nim.pointee.qoffset_z = o[2]
        nim.pointee.qto_xyz = nifti_quatern_to_dmat44(0, 0, 0, o[0], o[1], o[2], s[0], s[1], s[2], 1)
        nim.pointee.sto_xyz = nim.pointee.qto_xyz
        nim.pointee.qto_ijk = nifti_dmat44_inverse(nim.pointee.qto_xyz)
        nim.pointee.sto_ijk = nim.pointee.qto_ijk
        try write(voxels, header: nim, as: type, slope: slope, inter: inter, to: path)
    }

    /// Writes `voxels` in the space of `template` (same shape and transforms),
    /// e.g. a predicted label map for an input volume.
    public static func write(_ voxels: [Float], like template: NIfTIHeader, as type: NIfTIDataType,
                             slope: Double = 0, inter: Double = 0, to path: String) throws {
        let dims = template.dims
        let shape = [dims[0], dims.count > 1 ? dims[1] : 1, dims.count > 2 ? dims[2] : 1]
        guard voxels.count == shape.reduce(1, *) else {
            throw ProgramError(.badInput, path: path, "\(voxels.count) voxels do not fill the template's shape \(shape)")
        }
        guard let nim = nifti_copy_nim_info(template.nim) else {
            throw ProgramError(.writeFailed, path: path, "nifticlib could not copy the template header")
        }
        try write(voxels, header: nim, as: type, slope: slope, inter: inter, to: path)
    }

    /// Fills the header's data and writes the file: the bytes (a NIfTI-1 header, no extensions,
    /// the voxels; gzip-compressed for `.nii.gz`) are made in memory, then written atomically
    /// with every call checked (`AtomicFile`), since nifticlib's own writer reports no error.
    private static func write(_ voxels: [Float], header nim: UnsafeMutablePointer<nifti_image>, as type: NIfTIDataType,
                              slope: Double, inter: Double, to path: String) throws {
        defer { nifti_image_free(nim) }
        nifti_set_debug_level(0)
        let compressed = path.hasSuffix(".nii.gz")
        guard compressed || path.hasSuffix(".nii") else {
            throw ProgramError(.badInput, path: path, "output name must end in .nii or .nii.gz")
        }
        var nbyper: Int32 = 0, swapsize: Int32 = 0
        nifti_datatype_sizes(type.rawValue, &nbyper, &swapsize)
        nim.pointee.datatype = type.rawValue
        nim.pointee.nbyper = nbyper
        nim.pointee.swapsize = swapsize
        nim.pointee.scl_slope = slope
        nim.pointee.scl_inter = slope != 0 ? inter : 0
        nim.pointee.nifti_type = NIFTI_FTYPE_NIFTI1_1
        free(nim.pointee.data)
        nim.pointee.data = nil
        var header = nifti_1_header()
        guard nifti_convert_nim2n1hdr(nim, &header) == 0 else {
            throw ProgramError(.writeFailed, path: path, "nifticlib could not make a NIfTI-1 header")
        }
        header.sizeof_hdr = 348
        header.vox_offset = 352
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array("n+1\0".utf8)) }
        var bytes = withUnsafeBytes(of: &header) { Data($0.prefix(348)) }
        bytes.append(contentsOf: [0, 0, 0, 0])  // no extensions
        let count = voxels.count, stored: (Float) -> Double = slope != 0 ? { (Double($0) - inter) / slope } : { Double($0) }
        var data = Data(count: count * Int(nbyper))
        data.withUnsafeMutableBytes { fill($0.baseAddress!, type: type, count: count) { stored(voxels[$0]) } }
        bytes.append(data)
        try AtomicFile.write(path, data: compressed ? try gzip(bytes, path: path) : bytes)
    }

    /// `bytes` as one gzip member.
    private static func gzip(_ bytes: Data, path: String) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = bytes.withUnsafeBytes { cnifti_gzip($0.baseAddress, $0.count, 6, &output, &size) }
        guard status == 0, let output else { throw ProgramError(.writeFailed, path: path, "cannot compress (out of memory?)") }
        defer { free(output) }
        return Data(bytes: output, count: size)
    }

    private static func fill(_ data: UnsafeMutableRawPointer, type: NIfTIDataType, count: Int, _ value: (Int) -> Double) {
        func put<T>(_: T.Type, _ make: (Double) -> T) {
            let p = data.bindMemory(to: T.self, capacity: count)
            for i in 0..<count { p[i] = make(value(i)) }
        }
        let range = type.range
        let integer: (Double) -> Double = { min(max($0.rounded(), range.lowerBound), range.upperBound) }
        switch type {
        case .uint8: put(UInt8.self) { UInt8(integer($0)) }
        case .int8: put(Int8.self) { Int8(integer($0)) }
        case .int16: put(Int16.self) { Int16(integer($0)) }
        case .uint16: put(UInt16.self) { UInt16(integer($0)) }
        case .int32: put(Int32.self) { Int32(integer($0)) }
        case .float32: put(Float.self) { Float($0) }
        case .float64: put(Double.self) { $0 }
        }
    }
}
