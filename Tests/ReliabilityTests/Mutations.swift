import Common
import Foundation
import HDF5

/// Seeded mutations of the files the program reads: NIfTI header fields, byte flips, gzip
/// streams, HDF5 attributes, dataset values and shapes, and chunk bytes. Each returns a
/// one-line description, so a failing mutant can be reproduced by hand.
enum Mutate {
    /// A header field: byte offset and encoding.
    struct Field {
        enum Encoding { case int16, int32, int64, float32, float64, bytes(Int) }
        var name: String
        var offset: Int
        var encoding: Encoding
    }

    /// The NIfTI-1 header fields a reader uses (offsets from nifti1.h).
    static let nifti1Fields: [Field] = [
        Field(name: "sizeof_hdr", offset: 0, encoding: .int32), Field(name: "dim_info", offset: 39, encoding: .bytes(1)),
    ] + (0..<8).map { Field(name: "dim[\($0)]", offset: 40 + 2 * $0, encoding: .int16) } + [
        Field(name: "datatype", offset: 70, encoding: .int16), Field(name: "bitpix", offset: 72, encoding: .int16),
        Field(name: "slice_start", offset: 74, encoding: .int16),
    ] + (0..<4).map { Field(name: "pixdim[\($0)]", offset: 76 + 4 * $0, encoding: .float32) } + [
        Field(name: "vox_offset", offset: 108, encoding: .float32), Field(name: "scl_slope", offset: 112, encoding: .float32),
        Field(name: "scl_inter", offset: 116, encoding: .float32), Field(name: "slice_end", offset: 120, encoding: .int16),
        Field(name: "xyzt_units", offset: 123, encoding: .bytes(1)), Field(name: "qform_code", offset: 252, encoding: .int16),
        Field(name: "sform_code", offset: 254, encoding: .int16), Field(name: "quatern_b", offset: 256, encoding: .float32),
        Field(name: "quatern_d", offset: 264, encoding: .float32), Field(name: "qoffset_x", offset: 268, encoding: .float32),
        Field(name: "srow_x[0]", offset: 280, encoding: .float32), Field(name: "srow_z[3]", offset: 324, encoding: .float32),
        Field(name: "magic", offset: 344, encoding: .bytes(4)), Field(name: "extension", offset: 348, encoding: .bytes(4)),
    ]

    /// The NIfTI-2 header fields a reader uses (offsets from nifti2.h).
    static let nifti2Fields: [Field] = [
        Field(name: "sizeof_hdr", offset: 0, encoding: .int32), Field(name: "magic", offset: 4, encoding: .bytes(8)),
        Field(name: "datatype", offset: 12, encoding: .int16), Field(name: "bitpix", offset: 14, encoding: .int16),
    ] + (0..<8).map { Field(name: "dim[\($0)]", offset: 16 + 8 * $0, encoding: .int64) }
      + (0..<4).map { Field(name: "pixdim[\($0)]", offset: 104 + 8 * $0, encoding: .float64) } + [
        Field(name: "vox_offset", offset: 168, encoding: .int64), Field(name: "scl_slope", offset: 176, encoding: .float64),
        Field(name: "scl_inter", offset: 184, encoding: .float64), Field(name: "slice_start", offset: 224, encoding: .int64),
        Field(name: "slice_end", offset: 232, encoding: .int64), Field(name: "qform_code", offset: 344, encoding: .int32),
        Field(name: "sform_code", offset: 348, encoding: .int32), Field(name: "quatern_b", offset: 352, encoding: .float64),
        Field(name: "srow_x[0]", offset: 400, encoding: .float64), Field(name: "xyzt_units", offset: 500, encoding: .int32),
        Field(name: "dim_info", offset: 524, encoding: .bytes(1)), Field(name: "extension", offset: 540, encoding: .bytes(4)),
    ]

    static let interestingIntegers: [Int64] = [0, -1, 1, 2, 3, 4, 7, 8, 16, 255, 256, 348, 540, 32767, -32768, 65535,
                                               1 << 31 - 1, -(1 << 31), 1 << 32, 1_000_000_000, .max, .min]
    static let interestingReals: [Double] = [0, -0.0, 1, -1, 0.5, 1e-30, 1e30, 3.4e38, 1e300, .nan, .infinity, -.infinity,
                                             352, 544, 1e9, -1e9]

    /// Sets `field` of `bytes` to an interesting or random value.
    static func field(_ field: Field, of bytes: inout Data, _ rng: inout SplitMix64) -> String {
        func put<T>(_ value: T) {
            withUnsafeBytes(of: value) { raw in
                guard field.offset + raw.count <= bytes.count else { return }
                bytes.replaceSubrange(field.offset..<(field.offset + raw.count), with: raw)
            }
        }
        let integer = rng.int(below: 4) == 0 ? Int64(bitPattern: rng.next())
            : interestingIntegers[rng.int(below: interestingIntegers.count)]
        let real = rng.int(below: 4) == 0 ? Double(bitPattern: rng.next()) : interestingReals[rng.int(below: interestingReals.count)]
        switch field.encoding {
        case .int16: put(Int16(truncatingIfNeeded: integer)); return "\(field.name) = \(Int16(truncatingIfNeeded: integer))"
        case .int32: put(Int32(truncatingIfNeeded: integer)); return "\(field.name) = \(Int32(truncatingIfNeeded: integer))"
        case .int64: put(integer); return "\(field.name) = \(integer)"
        case .float32: put(Float(real)); return "\(field.name) = \(Float(real))"
        case .float64: put(real); return "\(field.name) = \(real)"
        case .bytes(let n):
            let values = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            put(values[0])
            for (i, v) in values.enumerated() where field.offset + i < bytes.count { bytes[field.offset + i] = v }
            return "\(field.name) = \(values)"
        }
    }

    /// Flips up to 8 random bytes in `range` of `bytes`.
    static func flip(_ bytes: inout Data, in range: Range<Int>, _ rng: inout SplitMix64) -> String {
        let range = range.clamped(to: 0..<bytes.count)  // after a truncation there may be fewer
        guard !range.isEmpty else { return "no bytes to flip" }
        let flips = (0...rng.int(below: 8)).map { _ in range.lowerBound + rng.int(below: range.count) }
        for i in flips { bytes[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
        return "flipped bytes at \(flips.sorted())"
    }

    /// Truncates `bytes` or appends garbage.
    static func resize(_ bytes: inout Data, _ rng: inout SplitMix64) -> String {
        if rng.int(below: 2) == 0 {
            let keep = rng.int(below: max(bytes.count, 1))
            bytes = bytes.prefix(keep)
            return "truncated to \(keep) bytes"
        }
        let extra = 1 + rng.int(below: 4096)
        bytes.append(contentsOf: (0..<extra).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        return "appended \(extra) random bytes"
    }

    /// Changes the structure of a gzip stream: header flags with bogus optional fields, the
    /// CRC or length in the trailer, a second member, or bytes of the deflate data.
    static func gzip(_ bytes: inout Data, _ rng: inout SplitMix64) -> String {
        switch rng.int(below: 6) {
        case 0:
            let flags = UInt8(truncatingIfNeeded: rng.next() & 0x1F)
            bytes[3] = flags
            return "header flags = \(flags)"
        case 1:
            let at = bytes.count - 8 + rng.int(below: 8)
            bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            return "trailer byte \(at) changed"
        case 2:
            bytes.append(bytes)
            return "member repeated"
        case 3:
            bytes[2] = UInt8(truncatingIfNeeded: rng.next())
            return "compression method = \(bytes[2])"
        case 4: return flip(&bytes, in: 10..<(bytes.count - 8), &rng)
        default: return resize(&bytes, &rng)
        }
    }

    // MARK: HDF5

    /// Sets attribute `name` of `object` to an interesting integer, a short or long string list,
    /// or an array of another length.
    static func attribute(_ name: String, of object: H5Object, _ rng: inout SplitMix64) throws -> String {
        let value = interestingIntegers[rng.int(below: interestingIntegers.count)]
        switch rng.int(below: 5) {
        case 0: try object.setAttribute(name, value); return "attribute \(name) = \(value)"
        case 1: try object.setAttribute(name, [value, value, value]); return "attribute \(name) = [\(value) x3]"
        case 2: try object.setAttribute(name, [String]()); return "attribute \(name) = []"
        case 3: try object.setAttribute(name, (0..<300).map { "c\($0)" }); return "attribute \(name) = 300 strings"
        default: try object.setAttribute(name, "x"); return "attribute \(name) = \"x\""
        }
    }

    /// Writes an interesting value into one random element of `dataset` (numeric ones).
    static func value(of dataset: H5Dataset, _ rng: inout SplitMix64) throws -> String {
        let shape = dataset.shape
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else { return "\(dataset.name): empty, unchanged" }
        let start = shape.map { rng.int(below: $0) }, count = shape.map { _ in 1 }
        if dataset.elementType.kind == "float" {
            let v = interestingReals[rng.int(below: interestingReals.count)]
            try dataset.write([v], start: start, count: count)
            return "\(dataset.name)\(start) = \(v)"
        }
        let v = interestingIntegers[rng.int(below: interestingIntegers.count)]
        // HDF5 converts (and clamps) to the stored integer type.
        try dataset.write([v], start: start, count: count)
        return "\(dataset.name)\(start) = \(v) (clamped to the stored type)"
    }

    /// Replaces dataset `name` by one of the same element type and another shape.
    static func shape(of name: String, in file: H5File, _ rng: inout SplitMix64) throws -> String {
        let old = try file.dataset(name).shape
        let isFloat = try file.dataset(name).elementType.kind == "float"
        var shape = old
        switch rng.int(below: 5) {
        case 0: shape = Array(old.dropLast())
        case 1: shape = old + [2]
        case 2 where !old.isEmpty: shape[rng.int(below: old.count)] += rng.int(below: 2) == 0 ? 1 : -1
        case 3 where !old.isEmpty: shape[rng.int(below: old.count)] = 0
        default: if !old.isEmpty { shape[0] = 1 << 40 }
        }
        shape = shape.map { max($0, 0) }
        do { try file.removeLink(name) } catch { return "\(name): cannot delete" }
        if isFloat {
            _ = try file.createDataset(name, of: Float.self, shape: shape)
        } else {
            _ = try file.createDataset(name, of: Int32.self, shape: shape)
        }
        return "\(name) reshaped \(old) -> \(shape)"
    }

    /// Where the bytes of dataset `name` are stored in the file: a random chunk of a chunked
    /// dataset, or the whole of a contiguous one (nil when nothing is stored).
    static func storage(of name: String, in file: H5File, _ rng: inout SplitMix64) throws -> (Int, Int, String)? {
        let dataset = try file.dataset(name)
        guard dataset.chunkShape != nil else {
            guard let (address, size) = dataset.storageExtent() else { return nil }
            return (address, size, "\(name) (\(size) bytes at \(address))")
        }
        let chunks = dataset.storedChunkCount
        guard chunks > 0 else { return nil }
        let index = rng.int(below: chunks)
        guard let (address, size) = dataset.storageExtent(chunk: index) else { return nil }
        return (address, size, "\(name) chunk \(index) (\(size) bytes at \(address))")
    }
}
