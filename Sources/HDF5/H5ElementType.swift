internal import CHDF5

/// How the elements of a dataset or an attribute are stored.
public struct H5ElementType: Equatable, Sendable {
    /// "float", "integer", "string" or "other".
    public var kind: String
    /// Bytes per element (a variable-length string's is its pointer's).
    public var size: Int
    /// Whether an integer is signed (true for floats, false for strings).
    public var signed: Bool

    public init(kind: String, size: Int, signed: Bool) {
        self.kind = kind
        self.size = size
        self.signed = signed
    }

    /// The description of the HDF5 datatype `type`.
    init(_ type: hid_t) {
        size = Int(H5Tget_size(type))
        switch H5Tget_class(type) {
        case H5T_FLOAT: (kind, signed) = ("float", true)
        case H5T_INTEGER: (kind, signed) = ("integer", H5Tget_sign(type) == H5T_SGN_2)
        case H5T_STRING: (kind, signed) = ("string", false)
        default: (kind, signed) = ("other", false)
        }
    }
}
