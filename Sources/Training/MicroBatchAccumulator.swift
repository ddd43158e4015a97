import Cluster

/// Adds one rank's micro-batch gradients of a step in `ReductionTree` order, as the
/// subtree of the step's tree that this rank's micro-batches form.
///
/// A binary counter of partial sums: pushing a micro-batch adds it to the partial sum
/// of the same size on top (older + newer) and carries the result up, so at most
/// log2(A) + 1 gradient-sized buffers are kept, not A. The last micro-batch is not
/// pushed: its gradients are completed range by range, in place, while its backward
/// pass is still writing the rest (`completeLast`), so each bucket of the exchange
/// can go out as soon as its range is final.
final class MicroBatchAccumulator {
    let count: Int
    /// Partial sums, oldest first; `level` l covers 2^l micro-batches.
    private var stack: [(level: Int, values: UnsafeMutableBufferPointer<Float>)] = []
    private var spare: [UnsafeMutableBufferPointer<Float>] = []

    /// For gradients of `count` values.
    init(count: Int) {
        self.count = count
    }

    deinit {
        for buffer in spare + stack.map(\.values) { buffer.deallocate() }
    }

    /// Adds a micro-batch's gradients (every micro-batch of the step but the last).
    func push(_ gradients: UnsafeBufferPointer<Float>) {
        precondition(gradients.count == count, "gradients of another size")
        let carry = spare.popLast() ?? .allocate(capacity: count)
        _ = carry.initialize(from: gradients)
        var level = 0
        var values = carry
        while let top = stack.last, top.level == level {
            Float.add(top.values.baseAddress!, values.baseAddress!, into: top.values.baseAddress!, count: count)
            spare.append(values)
            values = top.values
            stack.removeLast()
            level += 1
        }
        stack.append((level, values))
    }

    /// Completes the subtree over `range` with the last micro-batch's `gradients`, in
    /// place: newest partial sum first, each added as the older (left) operand.
    func completeLast(_ gradients: UnsafeMutableBufferPointer<Float>, range: Range<Int>) {
        guard !range.isEmpty else { return }
        let target = gradients.baseAddress! + range.lowerBound
        for entry in stack.reversed() {
            Float.add(entry.values.baseAddress! + range.lowerBound, target, into: target, count: range.count)
        }
    }

    /// Forgets the step's partial sums (their buffers are kept for the next step).
    func reset() {
        spare += stack.map(\.values)
        stack.removeAll()
    }
}
