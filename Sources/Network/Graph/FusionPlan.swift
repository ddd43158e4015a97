import Tensors

/// Which layers a pass runs: the graph as built, the unfused reference, with matched
/// sequences of layers replaced by fused layers, in one pass over the layers in order.
///
/// | sequence (adjacent layers)  | fused layer               | made when                                          |
/// |-----------------------------|---------------------------|----------------------------------------------------|
/// | conv -> BatchNorm -> PReLU  | `ConvBatchNormPReLULayer` | `.inference`, and the kernel fuses at this shape    |
/// | BatchNorm -> PReLU          | `BatchNormPReLULayer`     | blocked activations                                |
/// | dropout -> add              | `DropoutAddLayer`         | blocked activations, the dropout is the add's `b`  |
///
/// The first row is tried first. Each node inside a match has the next layer of the
/// match as its only reader, so nothing else needs the values a fused layer does not
/// write. Plans are made per input shape (the first row asks the prepared kernel) and
/// per purpose; the layers themselves never change one another. This is the place to
/// choose a precision per step (bf16), should the fast path get one.
struct FusionPlan: CustomStringConvertible {
    /// What the passes that run a plan are for.
    enum Purpose: Hashable {
        /// A backward may follow, or BatchNorm uses batch statistics.
        case training
        /// Forward only, BatchNorm on running statistics, nothing kept for a backward.
        case inference
    }

    /// The fusions a plan may make.
    struct Fusions: OptionSet, Hashable {
        let rawValue: Int
        static let convBatchNormPReLU = Fusions(rawValue: 1)
        static let batchNormPReLU = Fusions(rawValue: 2)
        static let dropoutAdd = Fusions(rawValue: 4)
        static let all: Fusions = [.convBatchNormPReLU, .batchNormPReLU, .dropoutAdd]
        static let none: Fusions = []
    }

    /// One step: a layer as built (`replaces` empty), or a layer standing in for `replaces`.
    struct Step {
        let layer: Layer
        let replaces: [Layer]
    }

    let steps: [Step]

    /// The layers a pass runs, in order.
    var layers: [Layer] { steps.map(\.layer) }

    /// Per step, the parameters whose gradients its backward writes: a layer as built
    /// writes its own, a fused or frozen layer those of the layers it replaces.
    var parameterGradients: [[NamedTensor]] {
        steps.map { $0.replaces.isEmpty ? $0.layer.parameterGradients : $0.replaces.flatMap(\.parameterGradients) }
    }

    init(steps: [Step]) {
        self.steps = steps
    }

    /// Matches the fusions in `fusions` over `built` for `purpose`. Convolutions must be
    /// prepared for the shape (whether their kernel fuses depends on it).
    init(_ built: [Layer], purpose: Purpose, fusions: Fusions = .all) {
        var steps: [Step] = []
        var i = 0
        func layer<T: Layer>(_ offset: Int, _ type: T.Type) -> T? {
            i + offset < built.count ? built[i + offset] as? T : nil
        }
        while i < built.count {
            if purpose == .inference, fusions.contains(.convBatchNormPReLU),
               let conv = layer(0, ConvLayer.self), let bn = layer(1, BatchNormLayer.self),
               let prelu = layer(2, PReLULayer.self), FusionPlan.chain(conv, bn, prelu),
               conv.fusedInferenceKernel != nil {
                steps.append(Step(layer: ConvBatchNormPReLULayer(conv, bn, prelu), replaces: [conv, bn, prelu]))
                i += 3
            } else if fusions.contains(.batchNormPReLU), let bn = layer(0, BatchNormLayer.self),
                      let prelu = layer(1, PReLULayer.self), FusionPlan.chain(bn, prelu),
                      bn.input.layout == .nChw16c {
                steps.append(Step(layer: BatchNormPReLULayer(bn, prelu), replaces: [bn, prelu]))
                i += 2
            } else if fusions.contains(.dropoutAdd), let dropout = layer(0, DropoutLayer.self),
                      let add = layer(1, AddLayer.self), add.b === dropout.output, dropout.output.consumers == 1,
                      dropout.input.layout == .nChw16c {
                let fused = DropoutAddLayer(add.a, dropout.input, p: dropout.p, output: add.output)
                steps.append(Step(layer: fused, replaces: [dropout, add]))
                i += 2
            } else {
                steps.append(Step(layer: built[i], replaces: []))
                i += 1
            }
        }
        self.steps = steps
    }

    /// Whether each layer reads the previous one's output, which nothing else reads.
    private static func chain(_ layers: Layer...) -> Bool {
        zip(layers, layers.dropFirst()).allSatisfy { previous, next in
            next.inputs.count == 1 && next.inputs[0] === previous.output && previous.output.consumers == 1
        }
    }

    /// One line per fused step: the fused layer's type and the nodes of the layers it replaces.
    var description: String {
        steps.filter { !$0.replaces.isEmpty }.map { step in
            "\(type(of: step.layer)): " + step.replaces.map(\.output.name).joined(separator: " -> ")
        }.joined(separator: "\n")
    }
}
