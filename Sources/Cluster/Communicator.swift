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
    let comm: MPI_Comm

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
    //
    // Every collective is posted non-blocking and polled under `watchdog`, so a rank
    // that never joins ends the job with a report instead of hanging it.

    /// Ends the job with a report when this rank waits too long for the others
    /// (no limit until the program sets one).
    public let watchdog = StallWatchdog()

    /// Sums `buffer` element-wise over all ranks, in place; every rank gets the result.
    /// The order of the additions is MPI's (see `startSum` for an ordered sum).
    public func allreduceSum<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try collective("MPI_Iallreduce") {
            MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, cmpi_sum(), comm, $0)
        }
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

    /// The element-wise maximum over all ranks, in place.
    public func allreduceMax<T: MPIScalar>(_ values: inout [T]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try collective("MPI_Iallreduce") {
                MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, cmpi_max(),
                               comm, $0)
            }
        }
    }

    /// Sends `root`'s buffer to every rank, in place.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        try collective("MPI_Ibcast") {
            MPI_Ibcast(buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, Int32(root), comm, $0)
        }
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
                try collective("MPI_Igather") {
                    MPI_Igather(send.baseAddress, Int32(send.count), T.mpiDatatype, receive.baseAddress,
                                Int32(send.count), T.mpiDatatype, Int32(root), comm, $0)
                }
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
        try collective("MPI_Ibarrier") { MPI_Ibarrier(comm, $0) }
    }

    /// Posts one non-blocking collective and polls it to completion under the watchdog.
    /// (MPI does not say which ranks a collective still waits for.)
    private func collective(_ function: String, _ post: (UnsafeMutablePointer<MPI_Request?>) -> Int32) throws {
        var requests = RequestList()
        try requests.post(function, post)
        try watchdog.wait(in: function, awaitedRanks: { nil }) { try requests.test() }
    }

    // MARK: Point to point

    /// Bytes this rank has posted to other ranks through `postSend`, and expects from them
    /// through `postReceive` (the exchanges' traffic, counted by the program, not by MPI).
    public private(set) var bytesSent = 0
    public private(set) var bytesReceived = 0

    /// Posts a non-blocking send of `buffer` to `peer`.
    func postSend<T: MPIScalar>(_ buffer: UnsafeBufferPointer<T>, to peer: Int, tag: Int,
                                into requests: inout RequestList) throws {
        try requests.post("MPI_Isend") {
            MPI_Isend(buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, Int32(peer), Int32(tag), comm, $0)
        }
        bytesSent += buffer.count * MemoryLayout<T>.stride
    }

    /// Posts a non-blocking receive into `buffer` from `peer`.
    func postReceive<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, from peer: Int, tag: Int,
                                   into requests: inout RequestList) throws {
        try requests.post("MPI_Irecv", awaiting: peer) {
            MPI_Irecv(buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, Int32(peer), Int32(tag), comm, $0)
        }
        bytesReceived += buffer.count * MemoryLayout<T>.stride
    }

    /// Posts a non-blocking `MPI_Iallreduce` (sum, in place) of `buffer`.
    func postAllreduceSum<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, into requests: inout RequestList) throws {
        try requests.post("MPI_Iallreduce") {
            MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, cmpi_sum(), comm, $0)
        }
    }

    /// The largest message tag MPI accepts here (`MPI_TAG_UB`, at least 32767).
    public var largestTag: Int { Int(cmpi_tag_upper_bound(comm)) }

    /// Ends the whole job: every rank exits with `code`. Never returns.
    public func abort(code: Int32 = 1) -> Never {
        MPI_Abort(comm, code)
        // Not exit(): its atexit MPI_Finalize would wait for ranks that may be stuck.
        _exit(code)
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
