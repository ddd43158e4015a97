internal import CHDF5
import Common
import Foundation

/// An open HDF5 file. Closed by `close()` or when released.
///
/// Writers either build the file in memory (`createInMemory`, then `image()` for a checked,
/// atomic write of the bytes) or stream it to disk (`create`, then `commit()`, which checks the
/// final flush and close). HDF5's own error printing is silenced; its reason is in our errors.
public final class H5File: H5Object {
    /// The file's path, used in every error message.
    public let path: String

    private init(path: String, id: hid_t) {
        self.path = path
        super.init(handle: H5Handle(id, closer: H5Fclose), filePath: path)
    }

    /// Creates (or truncates) the file at `path`.
    public static func create(_ path: String) throws -> H5File {
        H5Library.prepare()
        let id = H5Fcreate(path, ch5_f_acc_trunc(), ch5_p_default(), ch5_p_default())
        guard id >= 0 else {
            throw H5Library.failure("cannot create HDF5 file (check the directory exists and is writable)", path: path,
                                    kind: .writeFailed)
        }
        return H5File(path: path, id: id)
    }

    /// Creates a file that lives in memory only; `image()` gives its bytes. `path` names it in errors.
    public static func createInMemory(_ path: String) throws -> H5File {
        H5Library.prepare()
        let fapl = ch5_fapl_memory()
        guard fapl >= 0 else { throw H5Library.failure("cannot set up an in-memory HDF5 file", path: path) }
        defer { H5Pclose(fapl) }
        // The core driver needs a name no other open file has.
        let id = H5Fcreate("\(path).memory-\(UUID().uuidString)", ch5_f_acc_trunc(), ch5_p_default(), fapl)
        guard id >= 0 else { throw H5Library.failure("cannot create an in-memory HDF5 file", path: path) }
        return H5File(path: path, id: id)
    }

    /// The complete file as bytes (after flushing everything written so far).
    public func image() throws -> Data {
        guard H5Fflush(handle.id, H5F_SCOPE_LOCAL) >= 0 else { throw H5Library.failure("cannot flush HDF5 file", path: path) }
        let size = H5Fget_file_image(handle.id, nil, 0)
        guard size > 0 else { throw H5Library.failure("cannot get the HDF5 file image", path: path) }
        var data = Data(count: size)
        let copied = data.withUnsafeMutableBytes { H5Fget_file_image(handle.id, $0.baseAddress, size) }
        guard copied == size else { throw H5Library.failure("cannot get the HDF5 file image", path: path) }
        return data
    }

    /// Opens an existing file, read-only unless `writable`.
    public static func open(_ path: String, writable: Bool = false) throws -> H5File {
        H5Library.prepare()
        guard access(path, F_OK) == 0 else { throw ProgramError(.missingFile, path: path, "no such file") }
        guard access(path, R_OK) == 0 else { throw ProgramError(.notHDF5, path: path, "permission denied") }
        let isHDF5 = H5Fis_hdf5(path)
        guard isHDF5 > 0 else {
            throw isHDF5 == 0 ? ProgramError(.notHDF5, path: path, "not an HDF5 file")
                : H5Library.failure("cannot read file (truncated or corrupt?)", path: path, kind: .notHDF5)
        }
        let id = H5Fopen(path, writable ? ch5_f_acc_rdwr() : ch5_f_acc_rdonly(), ch5_p_default())
        guard id >= 0 else { throw H5Library.failure("cannot open HDF5 file (truncated, corrupt, or locked?)", path: path, kind: .notHDF5) }
        return H5File(path: path, id: id)
    }

    /// Flushes and closes the file, ignoring failures (for files only read); later use throws.
    public func close() {
        if handle.id >= 0 { H5Fflush(handle.id, H5F_SCOPE_LOCAL) }
        handle.close()
    }

    /// Flushes and closes a file written to disk, checking both: a write that failed late (a
    /// full disk when the last chunks or the metadata go out) is an error here.
    public func commit() throws {
        let flushed = H5Fflush(handle.id, H5F_SCOPE_LOCAL) >= 0
        let failure = flushed ? nil : H5Library.failure("cannot write HDF5 file", path: path, kind: .writeFailed)
        let closed = handle.close()
        if let failure { throw failure }
        guard closed else { throw H5Library.failure("cannot close HDF5 file", path: path, kind: .writeFailed) }
    }

    /// Whether an object (group or dataset) exists at `name` (e.g. `train/images`).
    public func exists(_ name: String) -> Bool {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            if H5Lexists(handle.id, prefix, ch5_p_default()) <= 0 { return false }
        }
        return true
    }

    /// Creates the group `name` and any missing parents.
    @discardableResult
    public func createGroup(_ name: String) throws -> H5Group {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            if H5Lexists(handle.id, prefix, ch5_p_default()) <= 0 {
                let g = H5Gcreate2(handle.id, prefix, ch5_p_default(), ch5_p_default(), ch5_p_default())
                guard g >= 0 else { throw H5Library.failure("cannot create group '\(prefix)'", path: path, kind: .writeFailed) }
                H5Gclose(g)
            }
        }
        return try group(name)
    }

    /// Opens the existing group `name`.
    public func group(_ name: String) throws -> H5Group {
        guard exists(name) else { throw ProgramError(.schemaViolation, path: path, "missing group '\(name)'") }
        let id = H5Gopen2(handle.id, name, ch5_p_default())
        guard id >= 0 else { throw H5Library.failure("'\(name)' is not a group", path: path, kind: .schemaViolation) }
        return H5Group(file: self, name: name, id: id)
    }

    /// Creates a dataset of `T` with `shape`, optionally chunked and compressed.
    ///
    /// - Parameters:
    ///   - chunk: chunk shape (same rank as `shape`); required for compression.
    ///   - deflate: gzip level 1...9, or nil for none.
    ///   - shuffle: apply the byte-shuffle filter before deflate.
    public func createDataset<T: H5Scalar>(_ name: String, of type: T.Type, shape: [Int], chunk: [Int]? = nil,
                                           deflate: Int? = nil, shuffle: Bool = false) throws -> H5Dataset {
        try createDataset(name, h5Type: T.h5Type, shape: shape, chunk: chunk, deflate: deflate, shuffle: shuffle)
    }

    /// Creates a one-dimensional dataset of variable-length UTF-8 strings holding `values`.
    public func writeStrings(_ name: String, _ values: [String]) throws {
        let type = makeStringType()
        defer { H5Tclose(type) }
        let dataset = try createDataset(name, h5Type: type, shape: [values.count], chunk: nil, deflate: nil, shuffle: false)
        try withCStrings(values) { pointers in
            guard H5Dwrite(dataset.handle.id, type, ch5_s_all(), ch5_s_all(), ch5_p_default(), pointers) >= 0 else {
                throw H5Library.failure("cannot write strings to '\(name)'", path: path, kind: .writeFailed)
            }
        }
    }

    /// Reads a one-dimensional dataset of variable-length strings.
    public func readStrings(_ name: String) throws -> [String] {
        let dataset = try self.dataset(name)
        let count = try dataset.elementCount(atMost: Limits.patches)
        let type = makeStringType()
        defer { H5Tclose(type) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Dread(dataset.handle.id, type, ch5_s_all(), ch5_s_all(), ch5_p_default(), &pointers) >= 0 else {
            throw H5Library.failure("'\(name)' is not a string dataset", path: path, kind: .schemaViolation)
        }
        defer { pointers.forEach { H5free_memory($0) } }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    private func createDataset(_ name: String, h5Type: hid_t, shape: [Int], chunk: [Int]?,
                               deflate: Int?, shuffle: Bool) throws -> H5Dataset {
        let parent = name.split(separator: "/").dropLast().joined(separator: "/")
        if !parent.isEmpty { try createGroup(parent) }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ProgramError(.badInput, path: path, "dataset '\(name)': negative dimension in \(shape)")
        }
        let dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let plist = H5Pcreate(ch5_p_dataset_create())
        defer { H5Pclose(plist) }
        if let chunk {
            guard chunk.count == shape.count else {
                throw ProgramError(.badInput, path: path, "dataset '\(name)': chunk \(chunk) and shape \(shape) differ in rank")
            }
            H5Pset_chunk(plist, Int32(chunk.count), chunk.map { hsize_t(max($0, 1)) })
            if shuffle { H5Pset_shuffle(plist) }
            if let deflate { H5Pset_deflate(plist, UInt32(deflate)) }
        }
        let id = H5Dcreate2(handle.id, name, h5Type, space, ch5_p_default(), plist, ch5_p_default())
        guard id >= 0 else { throw H5Library.failure("cannot create dataset '\(name)' \(shape)", path: path, kind: .writeFailed) }
        return H5Dataset(file: self, name: name, id: id)
    }

    /// Opens the existing dataset `name`.
    public func dataset(_ name: String) throws -> H5Dataset {
        guard exists(name) else { throw ProgramError(.schemaViolation, path: path, "missing dataset '\(name)'") }
        let id = H5Dopen2(handle.id, name, ch5_p_default())
        guard id >= 0 else { throw H5Library.failure("'\(name)' is not a dataset", path: path, kind: .schemaViolation) }
        return H5Dataset(file: self, name: name, id: id)
    }

    /// Writes `values` as a new dataset with `shape` (no chunking); a convenience for small arrays.
    public func write<T: H5Scalar>(_ name: String, _ values: [T], shape: [Int]? = nil) throws {
        let dataset = try createDataset(name, of: T.self, shape: shape ?? [values.count])
        try dataset.write(values)
    }

    /// Reads the whole dataset `name` as `T` (converting from the stored type).
    public func read<T: H5Scalar>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        try dataset(name).read(as: T.self)
    }

    /// The names of the links directly under group `name` ("/" for the root), in creation-independent name order.
    public func children(of name: String = "/") throws -> [String] {
        var names: [String] = []
        let status = withUnsafeMutablePointer(to: &names) { box in
            H5Literate_by_name(handle.id, name, H5_INDEX_NAME, H5_ITER_INC, nil, { _, linkName, _, data in
                data!.assumingMemoryBound(to: [String].self).pointee.append(String(cString: linkName!))
                return 0
            }, box, ch5_p_default())
        }
        guard status >= 0 else { throw H5Library.failure("cannot list group '\(name)'", path: path) }
        return names
    }

    /// Removes the link `name` (a dataset or group; its storage is freed once nothing links to it).
    public func removeLink(_ name: String) throws {
        guard exists(name), H5Ldelete(handle.id, name, ch5_p_default()) >= 0 else {
            throw H5Library.failure("cannot remove '\(name)'", path: path, kind: .writeFailed)
        }
    }
}

/// An open group; carries attributes.
public final class H5Group: H5Object {
    public let name: String
    let file: H5File

    init(file: H5File, name: String, id: hid_t) {
        self.file = file
        self.name = name
        super.init(handle: H5Handle(id, closer: H5Gclose), filePath: file.path)
    }
}
