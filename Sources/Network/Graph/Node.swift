/// One activation of the network: its value and gradient, plain NCHW floats,
/// allocated once per input shape and reused by every step.
final class Node {
    let name: String
    /// Set by shape inference; `allocate()` then makes room for it.
    var shape = TensorShape(0, 0, 0, 0)
    private(set) var value: UnsafeMutablePointer<Float>
    private(set) var grad: UnsafeMutablePointer<Float>
    private var capacity = 0
    /// Layers that read this node; a node read once can have its gradient overwritten.
    var consumers = 0
    /// Whether backward computes this node's gradient (false for the network input by default).
    var needsGradient = true

    init(_ name: String) {
        self.name = name
        value = .allocate(capacity: 1)
        grad = .allocate(capacity: 1)
    }

    deinit {
        value.deallocate()
        grad.deallocate()
    }

    /// Makes room for `shape`; reallocates only when it needs more.
    func allocate() {
        guard shape.count > capacity else { return }
        value.deallocate()
        grad.deallocate()
        capacity = shape.count
        value = .allocate(capacity: capacity)
        value.initialize(repeating: 0, count: capacity)
        grad = .allocate(capacity: capacity)
        grad.initialize(repeating: 0, count: capacity)
    }

    /// The gradient to add into, or nil when backward does not need it.
    var gradIfNeeded: UnsafeMutablePointer<Float>? { needsGradient ? grad : nil }

    func zeroGradient() { grad.update(repeating: 0, count: shape.count) }
}

/// What forward and backward passes share: the mode, the dropout generator and
/// a scratch buffer for convolutions whose input gradient must be accumulated.
final class PassContext {
    var training = false
    var dropout = false
    var generator: Xoshiro256
    private(set) var scratch: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var scratchCapacity = 1

    init(dropoutSeed: UInt64) { generator = Xoshiro256(seed: dropoutSeed) }

    deinit { scratch.deallocate() }

    func reserveScratch(_ count: Int) {
        guard count > scratchCapacity else { return }
        scratch.deallocate()
        scratchCapacity = count
        scratch = .allocate(capacity: count)
    }
}
