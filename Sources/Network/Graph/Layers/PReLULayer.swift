import Tensors

/// PReLU with one slope.
final class PReLULayer: Layer {
    let input: Node, output: Node
    let slope: NamedTensor
    unowned let store: ParameterStore
    /// Per-chunk sums of the slope gradient, added in chunk order.
    private var partial: [Float] = []

    init(slope: NamedTensor, input: Node, output: Node, store: ParameterStore) {
        self.slope = slope
        self.input = input
        self.output = output
        self.store = store
    }

    var backwardReadsInputs: Bool { true }
    var parameterGradients: [NamedTensor] { [slope] }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    func prepare(_ context: PassContext) throws {
        partial = [Float](repeating: 0, count: Parallel.chunks(input.storageCount))
    }

    func forward(_ context: PassContext) throws {
        let (x, y, a) = (input.value!, output.value!, store.values(slope).pointee)
        Parallel.forEachChunk(input.storageCount, threads: context.threads) { _, start, length in
            PReLU.forward(input: x + start, output: y + start, count: length, slope: a)
        }
    }

    func backward(_ context: PassContext) throws {
        let (x, dy, dx, a) = (input.value!, output.grad!, input.gradIfNeeded, store.values(slope).pointee)
        partial.withUnsafeMutableBufferPointer { sums in
            let sums = sums.baseAddress!
            Parallel.forEachChunk(input.storageCount, threads: context.threads) { k, start, length in
                PReLU.backward(input: x + start, gradOutput: dy + start, gradInput: dx.map { $0 + start },
                               count: length, slope: a, gradSlope: sums + k)
            }
        }
        store.gradient(slope).pointee = Float(partial.reduce(0.0) { $0 + Double($1) })
    }
}
