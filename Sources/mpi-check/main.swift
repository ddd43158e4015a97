// A small MPI program for the multi-rank tests: it exercises each collective
// and prints one line per check from rank 0, or fails on purpose.
//
//   mpi-check collectives     allreduce/broadcast/gather; prints "ok <name>" per check
//   mpi-check sums            every sum algorithm against a plain tree sum (Exchange.swift)
//   mpi-check fail RANK       rank RANK throws; the job must end non-zero, quickly
import Cluster
#if canImport(Glibc)
import Glibc
#endif

struct CheckFailed: Error, CustomStringConvertible { var description: String }

func expect(_ condition: Bool, _ what: String) throws {
    if !condition { throw CheckFailed(description: "check failed on rank \(Communicator.world.rank): \(what)") }
}

let arguments = CommandLine.arguments.dropFirst()
Job.run {
    let world = Communicator.world
    let r = world.rank, n = world.size
    switch arguments.first {
    case "collectives":
        // Sum and average of Float, Double, Int.
        var floats: [Float] = [Float(r), 1, Float(r * r)]
        try world.allreduceSum(&floats)
        let sumR = Float(n * (n - 1) / 2), sumR2 = Float((n - 1) * n * (2 * n - 1) / 6)
        try expect(floats == [sumR, Float(n), sumR2], "float allreduce sum \(floats)")
        var doubles: [Double] = [Double(r), 2.5]
        try world.allreduceAverage(&doubles)
        try expect(abs(doubles[0] - Double(n - 1) / 2) < 1e-12 && doubles[1] == 2.5, "double average \(doubles)")
        var ints: [Int] = [r + 1, -r]
        try world.allreduceSum(&ints)
        try expect(ints == [n * (n + 1) / 2, -n * (n - 1) / 2], "int allreduce sum \(ints)")
        if r == 0 { print("ok allreduce size=\(n)") }
        // Broadcast: rank 0's buffer everywhere.
        var buffer: [Float] = r == 0 ? [3.5, -1, 7] : [0, 0, 0]
        try world.broadcast(&buffer)
        try expect(buffer == [3.5, -1, 7], "broadcast \(buffer)")
        let text = try world.broadcast(r == 0 ? "from rank 0" : "")
        try expect(text == "from rank 0", "string broadcast \(text)")
        if r == 0 { print("ok broadcast") }
        // Gather in rank order.
        func pair(_ rank: Int) -> [Double] { [Double(rank * 10), Double(rank * 10 + 1)] }
        let gathered = try world.gather(pair(r))
        if r == 0 {
            let expected: [Double] = (0..<n).flatMap(pair)
            try expect(gathered == expected, "gather \(gathered)")
        } else {
            try expect(gathered.isEmpty, "gather off-root not empty")
        }
        let names = try world.gather(String(repeating: "x", count: r))
        if r == 0 { try expect(names == (0..<n).map { String(repeating: "x", count: $0) }, "string gather \(names)") }
        try world.barrier()
        if r == 0 { print("ok gather") }
    case "sums":
        try checkSums(world)
        if r == 0 { print("ok sums size=\(n)") }
    case "fail":
        let failing = Int(arguments.dropFirst().first ?? "") ?? 0
        try world.barrier()
        if r == failing { throw CheckFailed(description: "rank \(r) fails on purpose") }
        // The others wait in a collective that the failing rank never joins.
        var x: [Float] = [1]
        try world.allreduceSum(&x)
        sleep(60)
    default:
        throw CheckFailed(description: "usage: mpi-check collectives | sums | fail RANK")
    }
}
