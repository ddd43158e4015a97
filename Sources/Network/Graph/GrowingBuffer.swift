/// Float memory that grows to the largest size asked for and is then reused
/// (scratch space, dropout masks): allocated once per input shape, not per pass.
final class GrowingBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var capacity = 1

    deinit { pointer.deallocate() }

    /// Makes room for at least `count` floats (the contents are not kept).
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        capacity = count
        pointer = .allocate(capacity: count)
    }
}
