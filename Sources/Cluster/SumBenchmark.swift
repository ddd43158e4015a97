internal import CMPI
import Foundation

/// `bench allreduce`: the gradient sum over ranks alone, no compute, for each way
/// this program can do it, at several sizes.
///
/// Per call: the median (and min, max) over repeats of the slowest rank's time, the
/// bytes each rank sent and received where the program sends them itself (the
/// ordered sum), and the extra memory the method allocates. What MPI's collectives
/// send is not visible to the program: Open MPI 4.1's PML monitoring would count it
/// through `MPI_T`, but its component is not selected on this Debian build even with
/// `--mca pml_monitoring_enable 1` (its `pml_monitoring_messages_size` variable does
/// not exist), so those bytes are left out with a note.
public enum SumBenchmark {
    /// What is measured.
    public enum Method: String, CaseIterable, Codable, Sendable {
        /// The exchange before the ordered sum: `MPI_Allgather` of every rank's whole
        /// buffer, then ((r0 + r1) + r2) + ... on every rank. R x P scratch.
        case allgather
        /// The rank-ordered sum of `--reduce ordered` (halving-doubling or direct slices).
        case ordered
        /// `MPI_Iallreduce`, polled: what `--reduce mpi` runs.
        case mpiIallreduce = "mpi-iallreduce"
        /// Blocking `MPI_Allreduce`: the MPI library's own best.
        case mpiAllreduce = "mpi-allreduce"
        /// No communication: one element-wise add of the buffer into itself (what each
        /// byte received costs to combine), on every rank at once. Not an exchange, so not
        /// measured unless asked for (`exchanges` is the default).
        case combine

        /// The ways to sum over ranks (every method but `combine`).
        public static let exchanges: [Method] = [.allgather, .ordered, .mpiIallreduce, .mpiAllreduce]
    }

    /// One method at one size: one JSON line.
    public struct Result: Codable, Sendable {
        public var method: Method
        /// The algorithm behind `ordered` (halving-doubling or direct-slices).
        public var algorithm: String?
        public var ranks: Int
        public var floats: Int
        public var repeats: Int
        /// Seconds per call: each repeat's slowest rank, then the median (min, max) over repeats.
        public var medianSeconds: Double
        public var minSeconds: Double
        public var maxSeconds: Double
        /// Bytes per call the busiest rank sent / received, as the program counts them; nil
        /// where the sending happens inside MPI (see `bytesNote`).
        public var bytesSentPerRank: Int?
        public var bytesReceivedPerRank: Int?
        /// 2·P·(R−1)/R·4: what a bandwidth-optimal sum sends (and receives) per rank.
        public var optimalBytesPerRank: Int
        public var bytesNote: String?
        /// Bytes the method allocates besides the buffer (MPI's internal buffers not counted).
        public var extraBytes: Int

        enum CodingKeys: String, CodingKey {
            case method, algorithm, ranks, floats, repeats
            case medianSeconds = "median_s", minSeconds = "min_s", maxSeconds = "max_s"
            case bytesSentPerRank = "bytes_sent_per_rank", bytesReceivedPerRank = "bytes_received_per_rank"
            case optimalBytesPerRank = "optimal_bytes_per_rank"
            case bytesNote = "bytes_note", extraBytes = "extra_bytes"
        }
    }

    /// Runs every method at every size on every rank (a collective); the results are the
    /// same on every rank.
    public static func run(_ world: Communicator, sizes: [Int], methods: [Method] = Method.exchanges,
                           repeats: Int, warmup: Int) throws -> [Result] {
        var results: [Result] = []
        for floats in sizes {
            for method in methods {
                results.append(try measure(method, floats: floats, world: world, repeats: repeats, warmup: warmup))
            }
        }
        return results
    }

    private static func measure(_ method: Method, floats: Int, world: Communicator, repeats: Int,
                                warmup: Int) throws -> Result {
        let ranks = world.size
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(floats, 1))
        defer { buffer.deallocate() }
        let call = try makeCall(method, UnsafeMutableBufferPointer(rebasing: buffer[0..<floats]), world: world)
        defer { call.release() }
        var times: [Double] = []
        var sent = 0, received = 0
        for i in 0..<(warmup + repeats) {
            for j in 0..<floats { buffer[j] = Float((j &* 7 &+ world.rank) % 13) - 6 }
            try world.barrier()
            let (sent0, received0) = (world.bytesSent, world.bytesReceived)
            let start = DispatchTime.now().uptimeNanoseconds
            try call.run()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            (sent, received) = (world.bytesSent - sent0, world.bytesReceived - received0)
            if i >= warmup { times.append(seconds) }
        }
        // Each repeat's slowest rank; the busiest rank's bytes.
        try world.allreduceMax(&times)
        var bytes = [sent, received]
        try world.allreduceMax(&bytes)
        times.sort()
        let counted = method == .ordered
        return Result(method: method, algorithm: counted ? ReductionMethod.ordered.algorithm(ranks: ranks).rawValue : nil,
                      ranks: ranks, floats: floats, repeats: repeats,
                      medianSeconds: times[times.count / 2], minSeconds: times.first!, maxSeconds: times.last!,
                      bytesSentPerRank: counted ? bytes[0] : nil,
                      bytesReceivedPerRank: counted ? bytes[1] : nil,
                      optimalBytesPerRank: 2 * floats * (ranks - 1) / ranks * MemoryLayout<Float>.stride,
                      bytesNote: counted ? nil : method == .combine ? "no communication"
                          : "sent inside MPI: not visible to the program"
                          + (method == .allgather ? "; each rank receives (R-1)·P·4 = "
                             + "\((ranks - 1) * floats * MemoryLayout<Float>.stride) bytes of payload" : ""),
                      extraBytes: call.extraBytes)
    }

    /// One method's call on `buffer`, with what it allocates.
    private struct Call {
        var run: () throws -> Void
        var extraBytes: Int
        var release: () -> Void
    }

    private static func makeCall(_ method: Method, _ buffer: UnsafeMutableBufferPointer<Float>,
                                 world: Communicator) throws -> Call {
        let n = buffer.count
        switch method {
        case .allgather:
            let gathered = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n * world.size, 1))
            return Call(run: {
                try check("MPI_Allgather", MPI_Allgather(buffer.baseAddress, Int32(n), cmpi_float(), gathered.baseAddress,
                                                         Int32(n), cmpi_float(), world.comm))
                for i in 0..<n { buffer[i] = gathered[i] }
                for r in 1..<world.size {
                    for i in 0..<n { buffer[i] += gathered[r * n + i] }
                }
            }, extraBytes: n * world.size * MemoryLayout<Float>.stride, release: { gathered.deallocate() })
        case .ordered, .mpiIallreduce:
            let algorithm = method == .ordered ? ReductionMethod.ordered.algorithm(ranks: world.size) : .mpiAllreduce
            let count = algorithm.scratchCount(for: n, ranks: world.size)
            let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
            return Call(run: {
                try world.wait(for: try world.startSum(buffer, scratch: scratch, tag: 0, algorithm: algorithm),
                               phase: "bench allreduce")
            }, extraBytes: count * MemoryLayout<Float>.stride, release: { scratch.deallocate() })
        case .mpiAllreduce:
            return Call(run: {
                try check("MPI_Allreduce", MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(n), cmpi_float(),
                                                         cmpi_sum(), world.comm))
            }, extraBytes: 0, release: {})
        case .combine:
            let other = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            other.initialize(repeating: 1)
            return Call(run: {
                Float.add(buffer.baseAddress!, other.baseAddress!, into: buffer.baseAddress!, count: n)
            }, extraBytes: n * MemoryLayout<Float>.stride, release: { other.deallocate() })
        }
    }
}
