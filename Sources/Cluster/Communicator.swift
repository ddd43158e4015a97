internal import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// The MPI world: this process's rank, the number of ranks, and the
/// collectives data-parallel training needs.
///
/// MPI is initialised the first time `Communicator.world` is used and
/// finalised when the process exits. Run as a single process with no launcher,
/// the world has one rank and every collective is a copy.
public final class Communicator {
    /// This process's rank, `0 ..< size`.
    public let rank: Int
    /// The number of ranks in the job.
    public let size: Int
    private let comm: MPI_Comm

    /// The world communicator, initialising MPI on first use.
    public static var world: Communicator { sharedWorld }

    private static let sharedWorld: Communicator = {
        var provided: Int32 = 0
        // Errors are fatal until MPI_ERRORS_RETURN is set below; a failure here cannot be reported otherwise.
        MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided)
        let comm = cmpi_comm_world()!
        MPI_Comm_set_errhandler(comm, cmpi_errors_return())
        atexit { Communicator.finalize() }
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(comm, &rank)
        MPI_Comm_size(comm, &size)
        return Communicator(comm: comm, rank: Int(rank), size: Int(size))
    }()

    private init(comm: MPI_Comm, rank: Int, size: Int) {
        self.comm = comm
        self.rank = rank
        self.size = size
    }

    /// Whether MPI has been initialised by this process (and not yet finalised).
    public static var isInitialized: Bool {
        var initialized: Int32 = 0, finalized: Int32 = 0
        MPI_Initialized(&initialized)
        MPI_Finalized(&finalized)
        return initialized != 0 && finalized == 0
    }

    /// True on rank 0, the rank that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Finalises MPI if it was initialised and not yet finalised.
    static func finalize() {
        if isInitialized { MPI_Finalize() }
    }

    // MARK: Collectives

    /// Sums `buffer` element-wise over all ranks, in place; every rank gets the result.
    public func allreduceSum<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try check("MPI_Allreduce", MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count),
                                                 T.mpiDatatype, cmpi_sum(), comm))
    }

    /// Sums `values` element-wise over all ranks, in place.
    public func allreduceSum<T: MPIScalar>(_ values: inout [T]) throws {
        try values.withUnsafeMutableBufferPointer { try allreduceSum($0) }
    }

    /// Averages `buffer` element-wise over all ranks, in place.
    public func allreduceAverage<T: MPIScalar & BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try allreduceSum(buffer)
        let scale = 1 / T(size)
        for i in buffer.indices { buffer[i] *= scale }
    }

    /// Averages `values` element-wise over all ranks, in place.
    public func allreduceAverage<T: MPIScalar & BinaryFloatingPoint>(_ values: inout [T]) throws {
        try values.withUnsafeMutableBufferPointer { try allreduceAverage($0) }
    }

    /// Every rank's `send` (each the same count), concatenated in rank order on every rank.
    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>) throws {
        precondition(receive.count >= send.count * size, "allgather needs room for every rank's values")
        try check("MPI_Allgather", MPI_Allgather(send.baseAddress, Int32(send.count), T.mpiDatatype,
                                                 receive.baseAddress, Int32(send.count), T.mpiDatatype, comm))
    }

    /// Sums `buffer` over all ranks in place, adding in rank order ((r0 + r1) + r2) + ...
    /// on every rank, so the result does not depend on MPI's reduction algorithm and
    /// equals a sequential sum of the same values (e.g. accumulated micro-batches) bit for bit.
    /// `scratch` must hold `buffer.count * size` values.
    public func allreduceSumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Float>,
                                        scratch: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1 else { return }
        try allgather(UnsafeBufferPointer(buffer), into: scratch)
        let n = buffer.count
        for i in 0..<n { buffer[i] = scratch[i] }
        for r in 1..<size {
            let base = r * n
            for i in 0..<n { buffer[i] += scratch[base + i] }
        }
    }

    /// The element-wise maximum over all ranks, in place.
    public func allreduceMax<T: MPIScalar>(_ values: inout [T]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try check("MPI_Allreduce", MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count),
                                                     T.mpiDatatype, cmpi_max(), comm))
        }
    }

    /// Sends `root`'s buffer to every rank, in place.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        try check("MPI_Bcast", MPI_Bcast(buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, Int32(root), comm))
    }

    /// Sends `root`'s values to every rank, in place. Every rank must pass an array of the same count.
    public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// Sends `root`'s string to every rank and returns it.
    public func broadcast(_ string: String, root: Int = 0) throws -> String {
        var bytes = Array(string.utf8)
        var count = [bytes.count]
        try broadcast(&count, root: root)
        if rank != root { bytes = [UInt8](repeating: 0, count: count[0]) }
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Collects every rank's `values` (each the same count) on `root`, in rank order.
    /// Returns the concatenation on `root` and an empty array elsewhere.
    public func gather<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> [T] {
        let total = rank == root ? values.count * size : 0
        // MPIScalar types are trivial, so MPI may fill uninitialised storage.
        var result = [T](unsafeUninitializedCapacity: total) { _, count in count = total }
        try values.withUnsafeBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { receive in
                try check("MPI_Gather", MPI_Gather(send.baseAddress, Int32(send.count), T.mpiDatatype,
                                                   receive.baseAddress, Int32(send.count), T.mpiDatatype,
                                                   Int32(root), comm))
            }
        }
        return result
    }

    /// Collects every rank's string on `root`, in rank order (empty elsewhere).
    public func gather(_ string: String, root: Int = 0) throws -> [String] {
        let bytes = Array(string.utf8)
        let counts = try gather([bytes.count], root: root)
        let padded = bytes + [UInt8](repeating: 0, count: try maxOverRanks(bytes.count) - bytes.count)
        let all = try gather(padded.isEmpty ? [] : padded, root: root)
        guard rank == root else { return [] }
        let stride = padded.count
        return counts.enumerated().map { r, n in
            String(decoding: all[(r * stride)..<(r * stride + n)], as: UTF8.self)
        }
    }

    private func maxOverRanks(_ value: Int) throws -> Int {
        var v = [value]
        try allreduceMax(&v)
        return v[0]
    }

    /// Waits until every rank has reached the barrier.
    public func barrier() throws {
        try check("MPI_Barrier", MPI_Barrier(comm))
    }

    /// Ends the whole job: every rank exits with `code`. Never returns.
    public func abort(code: Int32 = 1) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }

    // MARK: Environment

    /// The MPI library's version string (e.g. "Open MPI v4.1.4, ...").
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        return String(cString: buffer).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// The name of the host this rank runs on.
    public var processorName: String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        return String(cString: buffer)
    }
}
