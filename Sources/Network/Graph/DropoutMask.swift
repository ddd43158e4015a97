/// The mask of one dropout: drawn afresh by each forward that drops (training with
/// dropout on), kept for the backward of that forward. Memory is reserved once per shape.
final class DropoutMask {
    let p: Double
    private var values: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var capacity = 1
    /// Whether the last forward dropped.
    private var active = false

    init(p: Double) { self.p = p }

    deinit { values.deallocate() }

    func reserve(_ count: Int) {
        guard count > capacity else { return }
        values.deallocate()
        capacity = count
        values = .allocate(capacity: count)
    }

    /// A fresh mask of `count` factors (0 or 1/(1-p)) from the context's generator when
    /// this forward drops, else nil.
    func draw(count: Int, context: PassContext) -> UnsafeMutablePointer<Float>? {
        active = context.training && context.dropout && p > 0
        guard active else { return nil }
        Dropout.makeMask(values, count: count, p: p, generator: &context.generator)
        return values
    }

    /// The mask of the last forward, nil if it did not drop.
    var last: UnsafeMutablePointer<Float>? { active ? values : nil }
}
