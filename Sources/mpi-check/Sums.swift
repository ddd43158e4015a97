import Cluster

/// Every sum algorithm on this world against a plain tree sum of every rank's
/// values (each rank can make every rank's values): the rank-ordered algorithms
/// bit for bit, `MPI_Iallreduce` within float rounding. Sizes include 0, 1, fewer
/// values than ranks and odd lengths; three sums run in flight at once, as the
/// trainer's buckets do.
func checkSums(_ world: Communicator) throws {
    let n = world.size
    var algorithms: [SumAlgorithm] = [.directSlices, .mpiAllreduce]
    if n & (n - 1) == 0 { algorithms.insert(.halvingDoubling, at: 0) }
    for count in [0, 1, max(n - 1, 1), n, n + 1, 7, 1000, 4099] {
        for algorithm in algorithms {
            try checkSum(Float.self, count: count, algorithm: algorithm, world)
            try checkSum(Double.self, count: count, algorithm: algorithm, world)
        }
    }
}

/// Values of rank `rank` at `index`: signs and magnitudes over 2^-12 ... 2^12, so that
/// any other order of additions shows in the last bits.
func value<T: BinaryFloatingPoint>(rank: Int, index: Int) -> T {
    var h = UInt64(rank &* 1_000_003 &+ index &* 7919 &+ 17)
    h = (h ^ (h >> 31)) &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 29
    let mantissa = 1 + T(h & 0xFFFF) / 65536
    let exponent = Int((h >> 16) % 25) - 12
    return (h >> 40) & 1 == 0 ? mantissa * T(1 << (exponent + 12)) / 4096 : -mantissa * T(1 << (exponent + 12)) / 4096
}

/// The plain definition: level by level, (0 + 1), (2 + 3), ..., an odd last carried.
func referenceTreeSum<T: BinaryFloatingPoint>(_ leaves: [[T]]) -> [T] {
    var level = leaves
    while level.count > 1 {
        level = stride(from: 0, to: level.count, by: 2).map { i in
            i + 1 < level.count ? zip(level[i], level[i + 1]).map { $0 + $1 } : level[i]
        }
    }
    return level[0]
}

func checkSum<T: ReducibleScalar>(_ type: T.Type, count: Int, algorithm: SumAlgorithm, _ world: Communicator) throws {
    let n = world.size
    let reference: [T] = referenceTreeSum((0..<n).map { rank in (0..<count).map { value(rank: rank, index: $0) } })
    var values: [T] = (0..<count).map { value(rank: world.rank, index: $0) }
    // Three sums in flight at once over three parts of the buffer, progressed in turn.
    let parts = [0..<(count / 3), (count / 3)..<(2 * count / 3), (2 * count / 3)..<count]
    var scratch = [T](repeating: .nan, count: parts.map { algorithm.scratchCount(for: $0.count, ranks: n) }.reduce(0, +))
    try values.withUnsafeMutableBufferPointer { buffer in
        try scratch.withUnsafeMutableBufferPointer { scratch in
            var offset = 0
            var pending: [PendingSum] = []
            for (i, part) in parts.enumerated() {
                let need = algorithm.scratchCount(for: part.count, ranks: n)
                pending.append(try world.startSum(UnsafeMutableBufferPointer(rebasing: buffer[part]),
                                                  scratch: UnsafeMutableBufferPointer(rebasing: scratch[offset..<(offset + need)]),
                                                  tag: i * SumAlgorithm.tagsPerSum, algorithm: algorithm))
                offset += need
            }
            while !pending.isEmpty {
                pending = try pending.filter { try !$0.progress() }
            }
        }
    }
    let what = "\(algorithm.rawValue) sum of \(count) \(T.self) on \(n) ranks"
    if algorithm == .mpiAllreduce {
        let worst = zip(values, reference).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
        try expect(worst <= 16 * T.ulpOfOne * T(n), "\(what): off by \(worst) relative")
    } else {
        let first = values.indices.first { i in values[i] != reference[i] || values[i].sign != reference[i].sign }
        try expect(first == nil, "\(what): value \(first ?? 0) is \(first.map { values[$0] } ?? 0), the tree gives \(first.map { reference[$0] } ?? 0)")
    }
}
