/// The one order in which this program adds copies of a vector (the micro-batch
/// gradients of a step, the ranks' gradients, the ranks' losses): *pairwise with
/// carry* over leaves `0 ..< n`.
///
/// Level 1 adds (0 + 1), (2 + 3), ... (the left operand is the lower index); an odd
/// last node is carried up unchanged; the levels repeat until one node is left. Node
/// `i` of level `l` covers leaves `i·2^l ..< min((i+1)·2^l, n)`, so every aligned,
/// complete block of 2^k leaves is a subtree of its own. That is what makes the sum
/// independent of how the leaves are spread over ranks: with `G = R·A` leaves and `A`
/// a power of two, each rank adds its `A` leaves as its own subtree and the exchange
/// adds the `R` rank results with the same tree over ranks, which is the tree over
/// all `G` leaves, bit for bit.
public enum ReductionTree {
    /// Adds `leaves` (each `count` values) in tree order, in place: the sum ends in
    /// `leaves[0]`; the other leaves hold intermediate sums.
    public static func combine<T: ReducibleScalar>(_ leaves: [UnsafeMutablePointer<T>], count: Int) {
        var distance = 1
        while distance < leaves.count {
            for left in stride(from: 0, to: leaves.count - distance, by: 2 * distance) {
                T.add(leaves[left], leaves[left + distance], into: leaves[left], count: count)
            }
            distance *= 2
        }
    }

    /// The tree sum of single values (one per leaf), e.g. the micro-batches' losses.
    public static func sum<T: ReducibleScalar>(_ values: [T]) -> T {
        guard !values.isEmpty else { return 0 }
        var values = values
        values.withUnsafeMutableBufferPointer { buffer in
            combine((0..<buffer.count).map { buffer.baseAddress! + $0 }, count: 1)
        }
        return values[0]
    }
}

/// Floating-point element types the reductions add: MPI can carry them, and their
/// element-wise sum is a concrete (vectorised) loop rather than generic code.
public protocol ReducibleScalar: MPIScalar, BinaryFloatingPoint {
    /// `result[i] = lower[i] + higher[i]` for `i < count`; `result` may be either operand.
    static func add(_ lower: UnsafePointer<Self>, _ higher: UnsafePointer<Self>, into result: UnsafeMutablePointer<Self>,
                    count: Int)
}

extension Float: ReducibleScalar {
    public static func add(_ lower: UnsafePointer<Float>, _ higher: UnsafePointer<Float>,
                           into result: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { result[i] = lower[i] + higher[i] }
    }
}

extension Double: ReducibleScalar {
    public static func add(_ lower: UnsafePointer<Double>, _ higher: UnsafePointer<Double>,
                           into result: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { result[i] = lower[i] + higher[i] }
    }
}
