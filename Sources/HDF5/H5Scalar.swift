import CHDF5

/// Element types stored in datasets and attributes, with their native HDF5 type.
public protocol H5Scalar {
    static var h5Type: hid_t { get }
}

extension Float: H5Scalar { public static var h5Type: hid_t { ch5_t_float() } }
extension Double: H5Scalar { public static var h5Type: hid_t { ch5_t_double() } }
extension UInt8: H5Scalar { public static var h5Type: hid_t { ch5_t_uint8() } }
extension Int32: H5Scalar { public static var h5Type: hid_t { ch5_t_int32() } }
extension Int64: H5Scalar { public static var h5Type: hid_t { ch5_t_int64() } }
extension Int: H5Scalar { public static var h5Type: hid_t { ch5_t_int64() } }
