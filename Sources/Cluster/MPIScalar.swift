internal import CMPI

/// Element types that MPI collectives can carry.
public protocol MPIScalar {
    /// The MPI element type values of this Swift type travel as.
    static var mpiElement: MPIElement { get }
}

/// The MPI element types the collectives use.
public enum MPIElement: Sendable {
    case float, double, int64, uint8
}

extension MPIScalar {
    /// The matching MPI datatype handle.
    static var mpiDatatype: MPI_Datatype {
        switch mpiElement {
        case .float: return cmpi_float()
        case .double: return cmpi_double()
        case .int64: return cmpi_int64()
        case .uint8: return cmpi_uint8()
        }
    }
}

extension Float: MPIScalar { public static var mpiElement: MPIElement { .float } }
extension Double: MPIScalar { public static var mpiElement: MPIElement { .double } }
extension Int: MPIScalar { public static var mpiElement: MPIElement { .int64 } }
extension Int64: MPIScalar { public static var mpiElement: MPIElement { .int64 } }
extension UInt8: MPIScalar { public static var mpiElement: MPIElement { .uint8 } }
