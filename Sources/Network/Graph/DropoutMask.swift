/// The mask of one dropout: drawn afresh by each forward that drops (training with
/// dropout on), kept for the backward of that forward. Memory is reserved once per shape.
final class DropoutMask {
    let p: Double
    private let values = GrowingBuffer()
    /// Whether the last forward dropped.
    private var active = false

    init(p: Double) { self.p = p }

    func reserve(_ count: Int) { values.reserve(count) }

    /// A fresh mask of `count` factors (0 or 1/(1-p)) from the context's generator when
    /// this forward drops, else nil.
    func draw(count: Int, context: PassContext) -> UnsafeMutablePointer<Float>? {
        active = context.training && context.dropout && p > 0
        guard active else { return nil }
        Dropout.makeMask(values.pointer, count: count, p: p, generator: &context.generator)
        return values.pointer
    }

    /// The mask of the last forward, nil if it did not drop.
    var last: UnsafeMutablePointer<Float>? { active ? values.pointer : nil }
}
