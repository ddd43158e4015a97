import CMPI

/// Element types that MPI collectives can carry.
public protocol MPIScalar {
    /// The matching MPI datatype handle.
    static var mpiDatatype: MPI_Datatype { get }
}

extension Float: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_float() } }
extension Double: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_double() } }
extension Int: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension Int64: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension UInt8: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_uint8() } }
