internal import CHDF5
import Common

/// An open dataset: its shape, whole reads and writes, and hyperslabs.
public final class H5Dataset: H5Object {
    /// The dataset's path inside the file.
    public let name: String
    let file: H5File

    init(file: H5File, name: String, id: hid_t) {
        self.file = file
        self.name = name
        super.init(handle: H5Handle(id, closer: H5Dclose), filePath: file.path)
    }

    /// The current dimensions (a dimension beyond `Int.max` reads as `Int.max`; empty when unreadable).
    public var shape: [Int] {
        let space = H5Dget_space(handle.id)
        guard space >= 0 else { return [] }
        defer { H5Sclose(space) }
        return dimensions(of: space)
    }

    /// The number of elements, checked to be at most `limit` (so that reading them cannot
    /// exhaust memory or overflow the arithmetic), else an error naming the dataset.
    public func elementCount(atMost limit: Int) throws -> Int {
        let dims = shape
        guard let count = Limits.product(dims), count <= limit else {
            throw ProgramError(.tooLarge, path: file.path, "dataset '\(name)' has shape \(dims): more than \(limit) elements")
        }
        return count
    }

    /// The chunk shape, or nil for a contiguous dataset.
    public var chunkShape: [Int]? {
        let plist = H5Dget_create_plist(handle.id)
        defer { H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let rank = Int(H5Pget_chunk(plist, 32, &dims))
        return dims.prefix(max(rank, 0)).map { Int($0) }
    }

    /// The names of the filters applied to chunks ("shuffle", "deflate", ...), in order.
    public var filters: [String] {
        let plist = H5Dget_create_plist(handle.id)
        defer { H5Pclose(plist) }
        return (0..<max(0, H5Pget_nfilters(plist))).map { i -> String in
            var flags: UInt32 = 0, count = 0, config: UInt32 = 0
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            count = values.count
            let filter = H5Pget_filter2(plist, UInt32(i), &flags, &count, &values, 64, &name, &config)
            switch filter {
            case H5Z_FILTER_DEFLATE: return "deflate"
            case H5Z_FILTER_SHUFFLE: return "shuffle"
            default: return String(cString: name)
            }
        }
    }

    /// The number of chunks stored in the file (0 for a contiguous dataset).
    public var storedChunkCount: Int {
        guard chunkShape != nil else { return 0 }
        let space = H5Dget_space(handle.id)
        guard space >= 0 else { return 0 }
        defer { H5Sclose(space) }
        var chunks: hsize_t = 0
        guard H5Dget_num_chunks(handle.id, space, &chunks) >= 0 else { return 0 }
        return Int(exactly: chunks) ?? 0
    }

    /// Where the dataset's bytes lie in its file: stored chunk `chunk` (as written: filtered)
    /// of a chunked dataset, or the whole storage of a contiguous one (`chunk` ignored); nil
    /// when nothing is stored there. For tools that inspect, or tests that damage, the file.
    public func storageExtent(chunk: Int = 0) -> (offset: Int, size: Int)? {
        guard chunkShape != nil else {
            let address = H5Dget_offset(handle.id), size = H5Dget_storage_size(handle.id)
            guard address != haddr_t.max, size > 0 else { return nil }
            return (Int(address), Int(size))
        }
        guard (0..<storedChunkCount).contains(chunk) else { return nil }
        let space = H5Dget_space(handle.id)
        guard space >= 0 else { return nil }
        defer { H5Sclose(space) }
        var start = [hsize_t](repeating: 0, count: max(shape.count, 1)), mask: UInt32 = 0
        var address: haddr_t = 0, size: hsize_t = 0
        guard H5Dget_chunk_info(handle.id, space, hsize_t(chunk), &start, &mask, &address, &size) >= 0, size > 0 else {
            return nil
        }
        return (Int(address), Int(size))
    }

    /// How the elements are stored, e.g. kind "float" and size 4, or "integer" and 1.
    public var elementType: H5ElementType {
        let type = H5Dget_type(handle.id)
        defer { H5Tclose(type) }
        return H5ElementType(type)
    }

    /// Writes the whole dataset from `values` (count must equal the element count).
    public func write<T: H5Scalar>(_ values: [T]) throws {
        let count = try elementCount(atMost: .max)
        guard values.count == count else {
            throw ProgramError(.badInput, path: file.path, "'\(name)': writing \(values.count) values into \(count) elements")
        }
        try values.withUnsafeBufferPointer { try write($0) }
    }

    /// Writes the whole dataset from a buffer.
    public func write<T: H5Scalar>(_ values: UnsafeBufferPointer<T>) throws {
        guard H5Dwrite(handle.id, T.h5Type, ch5_s_all(), ch5_s_all(), ch5_p_default(), values.baseAddress) >= 0 else {
            throw H5Library.failure("cannot write dataset '\(name)'", path: file.path, kind: .writeFailed)
        }
    }

    /// The most elements a whole-dataset read takes (2^28, 1 GiB of floats): a larger shape in
    /// a file is an error, not an allocation. Callers that know the expected size check it first;
    /// large datasets (a store's images) are read by blocks.
    public static let readLimit = 1 << 28

    /// Reads the whole dataset, converted to `T`.
    public func read<T: H5Scalar>(as type: T.Type = T.self) throws -> [T] {
        let count = try elementCount(atMost: Self.readLimit)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard count == 0 || H5Dread(handle.id, T.h5Type, ch5_s_all(), ch5_s_all(), ch5_p_default(), buffer.baseAddress) >= 0 else {
                throw H5Library.failure("cannot read dataset '\(name)' as \(T.self)", path: file.path)
            }
            initialized = count
        }
    }

    /// Reads the block starting at `start` with extent `count` (one entry per dimension) into `buffer`.
    public func read<T: H5Scalar>(start: [Int], count: [Int], into buffer: UnsafeMutableBufferPointer<T>) throws {
        try withHyperslab(start: start, count: count, elements: buffer.count) { memory, fileSpace in
            H5Dread(handle.id, T.h5Type, memory, fileSpace, ch5_p_default(), buffer.baseAddress)
        }
    }

    /// Reads the block starting at `start` with extent `count`.
    public func read<T: H5Scalar>(start: [Int], count: [Int], as type: T.Type = T.self) throws -> [T] {
        guard let n = Limits.product(count), n <= Self.readLimit else {
            throw ProgramError(.tooLarge, path: file.path, "'\(name)': block \(count) is too large to read")
        }
        return try [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            try read(start: start, count: count, into: buffer)
            initialized = n
        }
    }

    /// Writes `values` into the block starting at `start` with extent `count`.
    public func write<T: H5Scalar>(_ values: UnsafeBufferPointer<T>, start: [Int], count: [Int]) throws {
        try withHyperslab(start: start, count: count, elements: values.count) { memory, fileSpace in
            H5Dwrite(handle.id, T.h5Type, memory, fileSpace, ch5_p_default(), values.baseAddress)
        }
    }

    /// Writes `values` into the block starting at `start` with extent `count`.
    public func write<T: H5Scalar>(_ values: [T], start: [Int], count: [Int]) throws {
        try values.withUnsafeBufferPointer { try write($0, start: start, count: count) }
    }

    private func withHyperslab(start: [Int], count: [Int], elements: Int,
                               _ transfer: (hid_t, hid_t) -> herr_t) throws {
        let dims = shape
        guard start.count == dims.count, count.count == dims.count,
              zip(zip(start, count), dims).allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 <= $1 && $0.1 <= $1 - $0.0 }) else {
            throw ProgramError(.badInput, path: file.path, "'\(name)': block \(start) + \(count) is outside shape \(dims)")
        }
        guard Limits.product(count) == elements else {
            throw ProgramError(.badInput, path: file.path, "'\(name)': block of \(count) elements, buffer of \(elements)")
        }
        if elements == 0 { return }
        let fileSpace = H5Dget_space(handle.id)
        guard fileSpace >= 0 else { throw H5Library.failure("cannot read the shape of '\(name)'", path: file.path) }
        defer { H5Sclose(fileSpace) }
        let memory = H5Screate_simple(Int32(count.count), count.map { hsize_t($0) }, nil)
        defer { H5Sclose(memory) }
        guard memory >= 0,
              H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.map { hsize_t($0) }, nil, count.map { hsize_t($0) }, nil) >= 0,
              transfer(memory, fileSpace) >= 0 else {
            throw H5Library.failure("cannot transfer block \(start) + \(count) of '\(name)'", path: file.path)
        }
    }
}
