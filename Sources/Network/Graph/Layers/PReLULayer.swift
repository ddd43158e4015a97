import Tensors

/// PReLU with one slope.
final class PReLULayer: Layer {
    let input: Node, output: Node
    let slope: NamedTensor
    unowned let store: ParameterStore

    init(slope: NamedTensor, input: Node, output: Node, store: ParameterStore) {
        self.slope = slope
        self.input = input
        self.output = output
        self.store = store
    }

    /// Fused into the BatchNorm, its input is never written: backward recomputes it.
    var backwardReadsInputs: Bool { !fusedIntoBatchNorm }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    /// Set by the preceding convolution when it did this layer's work (fused inference).
    var skipsForward = false
    /// Whether the preceding BatchNorm does this layer's forward and backward (see
    /// `BatchNormLayer.activation`); then only finite-difference checks, with frozen
    /// sides, run this layer's forward.
    var fusedIntoBatchNorm: Bool { fusingBatchNorm != nil }
    weak var fusingBatchNorm: BatchNormLayer?
    /// Fused, the BatchNorm reads this output's gradient: its memory lives until then.
    var consumedGradients: [Node] { fusedIntoBatchNorm ? [] : [output] }

    /// The sides (`x > 0`) of the last forward, once frozen.
    private var frozenPositive: [Bool] = []

    /// Records the current sides, for `PassContext.piecewiseChoicesFrozen`.
    func freezeSides() {
        if let batchNorm = fusingBatchNorm {
            frozenPositive = batchNorm.outputSkippedByFusion().map { $0 > 0 }
        } else {
            frozenPositive = (0..<input.storageCount).map { input.value[$0] > 0 }
        }
    }

    /// Per-chunk sums of the slope gradient, added in chunk order.
    private var partial: [Float] = []

    func prepare(_ context: PassContext) throws {
        partial = [Float](repeating: 0, count: Parallel.chunks(input.storageCount))
    }

    func forward(_ context: PassContext) throws {
        if skipsForward || (fusedIntoBatchNorm && !context.piecewiseChoicesFrozen) { return }
        if context.piecewiseChoicesFrozen {
            PReLU.forward(input: input.value, output: output.value, count: input.storageCount,
                          slope: store.values(slope).pointee, positive: frozenPositive)
            return
        }
        let (x, y, a) = (input.value!, output.value!, store.values(slope).pointee)
        Parallel.forEachChunk(input.storageCount, threads: context.threads) { _, start, length in
            PReLU.forward(input: x + start, output: y + start, count: length, slope: a)
        }
    }

    func backward(_ context: PassContext) throws {
        if fusedIntoBatchNorm { return }
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
