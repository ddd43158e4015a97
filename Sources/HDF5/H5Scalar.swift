internal import CHDF5

/// Element types stored in datasets and attributes.
public protocol H5Scalar {
    /// The native HDF5 type values of this Swift type are read and written as.
    static var h5Native: H5NativeType { get }
}

/// The native HDF5 types this wrapper reads and writes.
public enum H5NativeType: Sendable {
    case float32, float64, uint8, int32, int64
}

extension H5Scalar {
    /// The HDF5 type id of `h5Native`.
    static var h5Type: hid_t {
        switch h5Native {
        case .float32: return ch5_t_float()
        case .float64: return ch5_t_double()
        case .uint8: return ch5_t_uint8()
        case .int32: return ch5_t_int32()
        case .int64: return ch5_t_int64()
        }
    }
}

extension Float: H5Scalar { public static var h5Native: H5NativeType { .float32 } }
extension Double: H5Scalar { public static var h5Native: H5NativeType { .float64 } }
extension UInt8: H5Scalar { public static var h5Native: H5NativeType { .uint8 } }
extension Int32: H5Scalar { public static var h5Native: H5NativeType { .int32 } }
extension Int64: H5Scalar { public static var h5Native: H5NativeType { .int64 } }
extension Int: H5Scalar { public static var h5Native: H5NativeType { .int64 } }
