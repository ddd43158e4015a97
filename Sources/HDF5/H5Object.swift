internal import CHDF5
import Common

/// Something that carries attributes: a file (its root group), a group, a dataset.
public class H5Object {
    /// Owns the HDF5 identifier attributes are read from and written to.
    let handle: H5Handle
    /// The file's path, for error messages.
    public let filePath: String

    init(handle: H5Handle, filePath: String) {
        self.handle = handle
        self.filePath = filePath
    }

    var objectId: hid_t { handle.id }

    /// Whether the attribute `name` exists.
    public func hasAttribute(_ name: String) -> Bool {
        H5Aexists(objectId, name) > 0
    }

    /// Names of all attributes, in name order.
    public var attributeNames: [String] {
        var info = H5O_info_t()
        guard H5Oget_info2(objectId, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { return [] }
        return (0..<info.num_attrs).compactMap { i in
            let length = H5Aget_name_by_idx(objectId, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, ch5_p_default())
            guard length >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: length + 1)
            H5Aget_name_by_idx(objectId, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, length + 1, ch5_p_default())
            return String(cString: buffer)
        }
    }

    /// Sets a numeric array attribute (replacing any existing one).
    public func setAttribute<T: H5Scalar>(_ name: String, _ values: [T]) throws {
        try replaceAttribute(name, type: T.h5Type, count: values.count) { attribute in
            values.withUnsafeBufferPointer { H5Awrite(attribute, T.h5Type, $0.baseAddress) }
        }
    }

    /// Sets a scalar numeric attribute (stored as a one-element array).
    public func setAttribute<T: H5Scalar>(_ name: String, _ value: T) throws {
        try setAttribute(name, [value])
    }

    /// Sets a string attribute (variable-length UTF-8, as h5py writes `str`).
    public func setAttribute(_ name: String, _ value: String) throws {
        try setAttribute(name, strings: [value], scalar: true)
    }

    /// Sets a string-array attribute.
    public func setAttribute(_ name: String, _ values: [String]) throws {
        try setAttribute(name, strings: values, scalar: false)
    }

    private func setAttribute(_ name: String, strings: [String], scalar: Bool) throws {
        let type = makeStringType()
        defer { H5Tclose(type) }
        try withCStrings(strings) { pointers in
            try replaceAttribute(name, type: type, count: scalar ? nil : strings.count) { attribute in
                H5Awrite(attribute, type, pointers)
            }
        }
    }

    /// Reads a numeric attribute, converted to `T`.
    public func attribute<T: H5Scalar>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        try withAttribute(name) { attribute, count in
            let stored = H5Aget_type(attribute)
            defer { H5Tclose(stored) }
            let kind = H5Tget_class(stored)
            guard kind == H5T_INTEGER || kind == H5T_FLOAT else {
                throw ProgramError(.schemaViolation, path: filePath, "attribute '\(name)' is not numeric")
            }
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                guard H5Aread(attribute, T.h5Type, buffer.baseAddress) >= 0 else {
                    throw H5Library.failure("cannot read attribute '\(name)'", path: filePath)
                }
                initialized = count
            }
        }
    }

    /// Reads a string or string-array attribute.
    public func stringAttribute(_ name: String) throws -> [String] {
        try withAttribute(name) { attribute, count in
            let stored = H5Aget_type(attribute)
            defer { H5Tclose(stored) }
            guard H5Tget_class(stored) == H5T_STRING else {
                throw ProgramError(.schemaViolation, path: filePath, "attribute '\(name)' is not a string")
            }
            if H5Tis_variable_str(stored) > 0 {
                let type = makeStringType()
                defer { H5Tclose(type) }
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                guard H5Aread(attribute, type, &pointers) >= 0 else {
                    throw H5Library.failure("cannot read attribute '\(name)'", path: filePath)
                }
                defer { pointers.forEach { H5free_memory($0) } }
                return pointers.map { $0.map { String(cString: $0) } ?? "" }
            }
            // Fixed-length strings (as some tools write them).
            let size = H5Tget_size(stored)
            guard (1...(1 << 16)).contains(size) else {
                throw ProgramError(.schemaViolation, path: filePath, "attribute '\(name)' has strings of \(size) bytes")
            }
            var bytes = [CChar](repeating: 0, count: size * count + 1)
            guard H5Aread(attribute, stored, &bytes) >= 0 else {
                throw H5Library.failure("cannot read attribute '\(name)'", path: filePath)
            }
            return (0..<count).map { i in
                let slice = bytes[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }
                return String(decoding: slice.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// How the attribute `name` is stored (the validator checks it against the schema).
    public func attributeType(_ name: String) throws -> H5ElementType {
        try withAttribute(name) { attribute, _ in
            let stored = H5Aget_type(attribute)
            defer { H5Tclose(stored) }
            return H5ElementType(stored)
        }
    }

    /// The attribute's dimensions (empty for a scalar) and its number of values.
    public func attributeShape(_ name: String) throws -> (dimensions: [Int], count: Int) {
        try withAttribute(name) { attribute, count in
            let space = H5Aget_space(attribute)
            defer { H5Sclose(space) }
            return (dimensions(of: space), count)
        }
    }

    private func withAttribute<R>(_ name: String, _ body: (hid_t, Int) throws -> R) throws -> R {
        guard hasAttribute(name) else { throw ProgramError(.schemaViolation, path: filePath, "missing attribute '\(name)'") }
        let attribute = H5Aopen(objectId, name, ch5_p_default())
        guard attribute >= 0 else { throw H5Library.failure("cannot open attribute '\(name)'", path: filePath) }
        defer { H5Aclose(attribute) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        let count = Int(H5Sget_simple_extent_npoints(space))
        // Attributes here are short: a count outside this is a damaged file, not an allocation to try.
        guard (0...(1 << 20)).contains(count) else {
            throw ProgramError(.schemaViolation, path: filePath, "attribute '\(name)' has \(count) values")
        }
        return try body(attribute, count)
    }

    /// Removes the attribute `name` (nothing happens when it does not exist).
    public func removeAttribute(_ name: String) throws {
        guard hasAttribute(name) else { return }
        guard H5Adelete(objectId, name) >= 0 else {
            throw H5Library.failure("cannot remove attribute '\(name)'", path: filePath, kind: .writeFailed)
        }
    }

    private func replaceAttribute(_ name: String, type: hid_t, count: Int?, write: (hid_t) -> herr_t) throws {
        if hasAttribute(name) { H5Adelete(objectId, name) }
        let space = count.map { n in H5Screate_simple(1, [hsize_t(n)], nil) } ?? H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(objectId, name, type, space, ch5_p_default(), ch5_p_default())
        guard attribute >= 0 else { throw H5Library.failure("cannot create attribute '\(name)'", path: filePath, kind: .writeFailed) }
        defer { H5Aclose(attribute) }
        guard write(attribute) >= 0 else { throw H5Library.failure("cannot write attribute '\(name)'", path: filePath, kind: .writeFailed) }
    }
}
