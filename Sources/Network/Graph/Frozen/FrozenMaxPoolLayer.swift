import Tensors

/// A max-pool that takes the positions its pool chose in one earlier forward instead of
/// the maxima, so an argmax cannot switch (a jump through max-unpool) under a small
/// perturbation: for finite-difference checks (`Graph.freezePiecewiseChoices`). The
/// matching unpool reads the same indices. Forward only.
final class FrozenMaxPoolLayer: Layer {
    let pool: MaxPoolLayer

    init(_ pool: MaxPoolLayer) { self.pool = pool }

    var inputs: [Node] { [pool.input] }
    var output: Node { pool.output }
    var backwardReadsInputs: Bool { false }
    func outputShape() throws -> TensorShape { output.shape }

    func forward(_ context: PassContext) throws {
        let (x, shape, y) = (pool.input.value!, pool.input.shape, output.value!)
        if pool.input.layout == .nChw16c {
            BlockedPooling.maxPoolGather(input: x, shape: shape, indices: pool.indices, output: y)
        } else {
            MaxPool2x2.gather(input: x, shape: shape, indices: pool.indices, output: y)
        }
    }

    func backward(_ context: PassContext) throws {
        throw NetworkError.usage("a frozen max-pool is for finite differences: it has no backward")
    }
}
