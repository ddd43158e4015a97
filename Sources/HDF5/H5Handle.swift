internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Owns one HDF5 identifier and closes it exactly once: on `close()` or when
/// the last reference goes away, whichever comes first.
final class H5Handle {
    private var stored: hid_t
    private let closer: (hid_t) -> herr_t

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.stored = id
        self.closer = closer
    }

    /// The identifier, for a call into HDF5 on the calling thread (whose own error printing
    /// is silenced first: every call goes through here).
    var id: hid_t {
        ch5_silence_errors()
        return stored
    }

    /// Closes the identifier; returns whether HDF5 reported success.
    @discardableResult
    func close() -> Bool {
        defer { stored = -1 }
        return stored < 0 || closer(stored) >= 0
    }

    deinit { close() }
}

/// Runs `body` with a temporary HDF5 id that is closed afterwards.
func withH5<R>(_ id: hid_t, close: (hid_t) -> herr_t, _ body: (hid_t) throws -> R) rethrows -> R {
    defer { if id >= 0 { _ = close(id) } }
    return try body(id)
}

/// The dimensions of a dataspace (empty for a scalar or an unreadable space; a dimension
/// beyond `Int.max` reads as `Int.max`, so a damaged file cannot trap the conversion).
func dimensions(of space: hid_t) -> [Int] {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank > 0 else { return [] }
    var dims = [hsize_t](repeating: 0, count: rank)
    H5Sget_simple_extent_dims(space, &dims, nil)
    return dims.map { Int(exactly: $0) ?? .max }
}

/// A UTF-8, variable-length string type (what h5py reads as `str`).
func makeStringType() -> hid_t {
    let type = H5Tcopy(ch5_t_c_s1())
    H5Tset_size(type, ch5_variable())
    H5Tset_cset(type, H5T_CSET_UTF8)
    return type
}

/// Calls `body` with C strings for `strings`, valid only inside `body`.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let owned = strings.map { strdup($0) }
    defer { owned.forEach { free($0) } }
    return try body(owned.map { UnsafePointer<CChar>($0) })
}
