import ArgumentParser
import Cluster
import Foundation
import Network

/// `bench allreduce`: the gradient sum over ranks alone (run it under mpirun).
struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the gradient sum over ranks alone, for each method and size; one JSON line per method and size.",
        discussion: """
        Run under mpirun, e.g. mpirun -n 8 --oversubscribe swift-dist-train bench allreduce
        (add --mca btl tcp,self for TCP). Bytes are counted where the program sends them
        (the ordered sum); MPI's collectives send inside MPI. Methods: allgather (the exchange before the ordered sum: allgather
        + sum in rank order), ordered (--reduce ordered), mpi-iallreduce (--reduce mpi),
        mpi-allreduce (blocking MPI_Allreduce); combine (no communication: one add of the
        buffer, what combining costs per byte; only when asked for).
        """)

    @Option(help: "Values per rank at multiple 1 (default: the ENet's gradient, 4 classes, 1 channel).")
    var floats: Int?
    @Option(help: "Comma-separated multiples of --floats to measure.")
    var multiples = "1,4,16"
    @Option(help: "Comma-separated methods (allgather, ordered, mpi-iallreduce, mpi-allreduce, combine).")
    var methods = SumBenchmark.Method.exchanges.map(\.rawValue).joined(separator: ",")
    @Option(help: "Timed calls per method and size (the median is reported).")
    var repeats = 20
    @Option(help: "Untimed calls first.")
    var warmup = 3

    func validate() throws {
        guard repeats > 0, warmup >= 0 else { throw ValidationError("--repeats must be positive and --warmup >= 0") }
        if let floats, floats <= 0 { throw ValidationError("--floats must be positive") }
        _ = try parsedMultiples()
        _ = try parsedMethods()
    }

    func parsedMultiples() throws -> [Int] {
        let values = multiples.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--multiples must be positive integers separated by commas, got '\(multiples)'")
        }
        return values.map { $0! }
    }

    func parsedMethods() throws -> [SumBenchmark.Method] {
        try methods.split(separator: ",").map { name in
            guard let method = SumBenchmark.Method(rawValue: String(name)) else {
                throw ValidationError("unknown method '\(name)' in --methods")
            }
            return method
        }
    }

    func run() throws {
        Job.run {
            let world = Communicator.world
            let base = floats ?? ENet(inChannels: 1, classes: 4).parameterCount
            let results = try SumBenchmark.run(world, sizes: try parsedMultiples().map { $0 * base },
                                               methods: try parsedMethods(), repeats: repeats, warmup: warmup)
            guard world.isRoot else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for result in results { print(String(decoding: try encoder.encode(result), as: UTF8.self)) }
        }
    }
}
