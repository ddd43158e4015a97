import Cluster
import Foundation

/// The step's gradient sum over ranks, in buckets that go out while backward runs.
///
/// A bucket is a contiguous range of the flat gradient buffer. Buckets are cut from
/// the end of the buffer (the head's parameters, whose backward runs first) toward
/// the start, `bucketFloats` values each (the one at the start shorter). Bucket b goes
/// out as soon as the model reports `gradients[b.lowerBound...]` final, which it does
/// after each layer's backward (`TrainableModel.backward`); every sum in flight is
/// advanced at each report, on the training thread (MPI is initialised
/// `MPI_THREAD_FUNNELED`). `finish` starts what is left and waits for the rest under
/// the watchdog. Every element's sum is the same tree over ranks whatever the
/// buckets, so the bucket size changes when values travel, never the bits.
final class GradientExchange {
    /// The buckets, in the order they go out.
    let buckets: [Range<Int>]
    private let world: Communicator
    private let algorithm: SumAlgorithm
    /// Every bucket's scratch at once: their sums may all be in flight together.
    private let scratch: UnsafeMutableBufferPointer<Float>
    private let scratchOffsets: [Int]
    private var gradients: UnsafeMutableBufferPointer<Float>?
    private var started = 0
    private var inFlight: [(name: String, sum: PendingSum)] = []
    /// Seconds spent in the exchange on the training thread this step: posting, testing,
    /// adding received values and waiting. None of it overlaps compute, so it is the
    /// communication time the step could not hide.
    private(set) var exposedSeconds = 0.0

    /// Tag blocks (`SumAlgorithm.tagsPerSum` tags each) below this are other sums'.
    static let firstTagBlock = 3

    /// Buckets of at most `bucketFloats` values over `count` gradients, from the end.
    static func buckets(count: Int, bucketFloats: Int) -> [Range<Int>] {
        precondition(bucketFloats > 0, "empty buckets")
        return stride(from: count, to: 0, by: -bucketFloats).map { max(0, $0 - bucketFloats)..<$0 }
    }

    /// - Throws: `TrainingError.invalidSetting` when the buckets need more message tags than MPI offers.
    init(count: Int, bucketFloats: Int, world: Communicator, method: ReductionMethod) throws {
        buckets = Self.buckets(count: count, bucketFloats: bucketFloats)
        self.world = world
        algorithm = method.algorithm(ranks: world.size)
        let tagBlocks = world.largestTag / SumAlgorithm.tagsPerSum
        guard Self.firstTagBlock + buckets.count <= tagBlocks else {
            throw TrainingError.invalidSetting("--bucket-size makes \(buckets.count) buckets; this MPI's tags allow "
                                               + "\(tagBlocks - Self.firstTagBlock): choose a larger bucket size")
        }
        var offsets: [Int] = [], total = 0
        for bucket in buckets {
            offsets.append(total)
            total += algorithm.scratchCount(for: bucket.count, ranks: world.size)
        }
        scratchOffsets = offsets
        scratch = .allocate(capacity: max(total, 1))
        scratchBytes = total * MemoryLayout<Float>.stride
    }

    deinit { scratch.deallocate() }

    /// Bytes of scratch memory the exchange holds: the gradient buffer's size whatever
    /// the rank count (none for `MPI_Iallreduce`).
    let scratchBytes: Int

    /// Starts a step whose sums land in `gradients` (in place). `alongside` are other
    /// sums (the step's agreement) advanced and waited for with the buckets.
    func begin(_ gradients: UnsafeMutableBufferPointer<Float>, alongside: [(name: String, sum: PendingSum)]) {
        precondition(inFlight.isEmpty && self.gradients == nil, "begin before the last step finished")
        self.gradients = gradients
        started = 0
        inFlight = alongside
        exposedSeconds = 0
    }

    /// `gradients[offset...]` are final: starts every bucket now complete and advances
    /// every sum in flight.
    func gradientsFinal(from offset: Int) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { exposedSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        while started < buckets.count, buckets[started].lowerBound >= offset { try startBucket() }
        try advance()
    }

    /// Starts the buckets not yet out and waits until every sum is complete.
    func finish() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { exposedSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        while started < buckets.count { try startBucket() }
        try world.wait(for: self, phase: "the step's gradient exchange")
        gradients = nil
    }

    private func startBucket() throws {
        let bucket = buckets[started], gradients = gradients!
        let need = algorithm.scratchCount(for: bucket.count, ranks: world.size)
        let sum = try world.startSum(UnsafeMutableBufferPointer(rebasing: gradients[bucket]),
                                     scratch: UnsafeMutableBufferPointer(rebasing: scratch[scratchOffsets[started]...]
                                         .prefix(need)),
                                     tag: (Self.firstTagBlock + started) * SumAlgorithm.tagsPerSum, algorithm: algorithm)
        inFlight.append(("bucket \(started + 1) of \(buckets.count)", sum))
        started += 1
    }

    /// Advances every sum in flight once; forgets the complete ones.
    private func advance() throws {
        var i = 0
        while i < inFlight.count {
            if try inFlight[i].sum.progress() { inFlight.remove(at: i) } else { i += 1 }
        }
    }
}

extension GradientExchange: PendingSum {
    /// Advances every sum; complete when all are.
    func progress() throws -> Bool {
        try advance()
        return inFlight.isEmpty
    }

    var stage: String { inFlight.first.map { "\($0.name): \($0.sum.stage)" } ?? "done" }

    /// The ranks any sum in flight still waits for (nil if none of them can say).
    var awaitedRanks: [Int]? {
        let known = inFlight.compactMap { $0.sum.awaitedRanks }
        return known.isEmpty ? nil : Array(Set(known.joined())).sorted()
    }
}
