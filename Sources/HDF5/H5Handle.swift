internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Owns one HDF5 identifier and closes it exactly once: on `close()` or when
/// the last reference goes away, whichever comes first.
final class H5Handle {
    private(set) var id: hid_t
    private let closer: (hid_t) -> herr_t

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    func close() {
        if id >= 0 { _ = closer(id) }
        id = -1
    }

    deinit { close() }
}

/// Runs `body` with a temporary HDF5 id that is closed afterwards.
func withH5<R>(_ id: hid_t, close: (hid_t) -> herr_t, _ body: (hid_t) throws -> R) rethrows -> R {
    defer { if id >= 0 { _ = close(id) } }
    return try body(id)
}

/// The dimensions of a dataspace (empty for a scalar).
func dimensions(of space: hid_t) -> [Int] {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    var dims = [hsize_t](repeating: 0, count: max(rank, 0))
    H5Sget_simple_extent_dims(space, &dims, nil)
    return dims.map { Int($0) }
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
