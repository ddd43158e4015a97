/// Builds the ENet graph (the boundary-loss authors' variant),
/// declaring tensors in PyTorch state-dict order with the reference's names.
/// `reference/enet_torch.py` is the structural truth this mirrors line by line.
struct ENetBuilder {
    let graph: Graph
    let store: ParameterStore
    let backend: ConvBackend
    /// How each tensor is initialised, in declaration order.
    private(set) var initializers: [(NamedTensor, Initializer)] = []
    /// Summary rows: block name and the node that block ends with.
    private(set) var blocks: [(name: String, output: Node)] = []
    private(set) var convolutions: [ConvLayer] = []

    init(graph: Graph, store: ParameterStore, backend: ConvBackend) {
        self.graph = graph
        self.store = store
        self.backend = backend
    }

    // MARK: - Layers

    mutating func conv(_ name: String, _ x: Node, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), bias: Bool = true,
                       inChannels: Int) -> Node {
        let (store, backend) = (self.store, self.backend)
        let layer = graph.add(name) { out in
            ConvLayer(name: name, input: x, output: out, store: store, outChannels: outChannels, kernel: kernel,
                      stride: stride, padding: padding, dilation: dilation, bias: bias, backend: backend,
                      inChannels: inChannels)
        }
        let fanIn = inChannels * kernel.0 * kernel.1, fanOut = outChannels * kernel.0 * kernel.1
        initializers.append((layer.weight, .xavierNormal(fanIn: fanIn, fanOut: fanOut)))
        if let bias = layer.bias { initializers.append((bias, .uniform(bound: 1 / Double(fanIn).squareRoot()))) }
        convolutions.append(layer)
        layer.output.layout = graph.activationLayout
        return layer.output
    }

    mutating func batchNorm(_ name: String, _ x: Node, channels: Int) -> Node {
        let store = self.store
        let layer = graph.add(name) { BatchNormLayer(name: name, input: x, output: $0, channels: channels, store: store) }
        initializers.append((layer.weight, .normal(mean: 1, std: 0.02)))
        initializers.append((layer.bias, .constant(0)))
        initializers.append((layer.runningMean, .constant(0)))
        initializers.append((layer.runningVar, .constant(1)))
        return layer.output
    }

    /// Declares a PReLU slope (separately from using it, for the one block whose
    /// slope is declared before the layers it follows).
    mutating func declareSlope(_ name: String) -> NamedTensor {
        let slope = store.declare("\(name).weight", shape: [1])
        initializers.append((slope, .constant(0.25)))
        return slope
    }

    mutating func prelu(_ slope: NamedTensor, _ x: Node) -> Node {
        let store = self.store
        return graph.add(slope.name) { PReLULayer(slope: slope, input: x, output: $0, store: store) }.output
    }

    mutating func prelu(_ name: String, _ x: Node) -> Node {
        prelu(declareSlope(name), x)
    }

    /// Conv -> BatchNorm -> PReLU with the given names.
    mutating func cbr(_ names: (conv: String, bn: String, prelu: String), _ x: Node, _ outChannels: Int,
                      kernel: (Int, Int), padding: (Int, Int) = (0, 0), bias: Bool = true, inChannels: Int) -> Node {
        let c = conv(names.conv, x, outChannels, kernel: kernel, padding: padding, bias: bias, inChannels: inChannels)
        return prelu(names.prelu, batchNorm(names.bn, c, channels: outChannels))
    }

    mutating func maxPool(_ x: Node) -> MaxPoolLayer {
        graph.add("maxpool") { MaxPoolLayer(input: x, output: $0) }
    }

    mutating func unpool(_ x: Node, _ pool: MaxPoolLayer) -> Node {
        graph.add("unpool") { MaxUnpoolLayer(input: x, pool: pool, output: $0) }.output
    }

    mutating func concat(_ a: Node, _ b: Node) -> Node { graph.add("concat") { ConcatLayer(a, b, output: $0) }.output }
    mutating func add(_ a: Node, _ b: Node) -> Node { graph.add("add") { AddLayer(a, b, output: $0) }.output }

    mutating func dropout(_ branch: Branch) -> Node {
        graph.add("dropout") { DropoutLayer(input: branch.output, p: branch.dropout, output: $0) }.output
    }

    /// `a + dropout(branch)` (which `FusionPlan` fuses on blocked activations).
    mutating func addDropped(_ a: Node, _ branch: Branch) -> Node { add(a, dropout(branch)) }

    // MARK: - Blocks

    enum FirstConv { case down, threeByThree, oneByOne }
    enum Middle { case dilated(Int), asymmetric }

    /// A bottleneck branch's output before its dropout, and the dropout's probability.
    typealias Branch = (output: Node, dropout: Double)

    /// `conv0/bn0/prelu0 -> conv1 (or conv1a, conv1b)/bn1/prelu1 -> conv2/bn2/prelu2`, then dropout.
    mutating func branch(_ p: String, _ x: Node, inChannels: Int, mid: Int, outChannels: Int, dropout: Double,
                         first: FirstConv, middle: Middle) -> Branch {
        var h: Node
        switch first {
        case .down: h = conv("\(p).conv0", x, mid, kernel: (2, 2), stride: (2, 2), inChannels: inChannels)
        case .threeByThree: h = conv("\(p).conv0", x, mid, kernel: (3, 3), padding: (1, 1), inChannels: inChannels)
        case .oneByOne: h = conv("\(p).conv0", x, mid, kernel: (1, 1), inChannels: inChannels)
        }
        h = prelu("\(p).prelu0", batchNorm("\(p).bn0", h, channels: mid))
        switch middle {
        case .asymmetric:
            h = conv("\(p).conv1a", h, mid, kernel: (5, 1), padding: (2, 0), inChannels: mid)
            h = conv("\(p).conv1b", h, mid, kernel: (1, 5), padding: (0, 2), inChannels: mid)
        case .dilated(let d):
            h = conv("\(p).conv1", h, mid, kernel: (3, 3), padding: (d, d), dilation: (d, d), inChannels: mid)
        }
        h = prelu("\(p).prelu1", batchNorm("\(p).bn1", h, channels: mid))
        h = cbr(("\(p).conv2", "\(p).bn2", "\(p).prelu2"), h, outChannels, kernel: (1, 1), inChannels: mid)
        return (h, dropout)
    }

    /// `concat(conv3x3 stride 2 (C_in -> 16 - C_in), maxpool(x))`.
    mutating func initial(_ x: Node, inChannels: Int) -> Node {
        let c = conv("initial.conv", x, 16 - inChannels, kernel: (3, 3), stride: (2, 2), padding: (1, 1),
                     inChannels: inChannels)
        let out = concat(c, maxPool(x).output)
        blocks.append(("initial", out))
        return out
    }

    /// `prelu_out(pad(maxpool(x)) + branch(x))`; returns the pool for the matching unpool.
    mutating func down(_ p: String, _ x: Node, inChannels: Int, outChannels: Int, dropout: Double)
        -> (Node, MaxPoolLayer) {
        let pool = maxPool(x)
        let main = graph.add("pad") { ChannelPadLayer(input: pool.output, channels: outChannels, output: $0) }.output
        let b = branch(p, x, inChannels: inChannels, mid: inChannels / 4, outChannels: outChannels,
                       dropout: dropout, first: .down, middle: .dilated(1))
        let out = prelu("\(p).prelu_out", addDropped(main, b))
        blocks.append((p, out))
        return (out, pool)
    }

    enum Shortcut { case identity, conv3x3, cbr1x1 }

    /// `prelu_out(shortcut(x) + branch(x))`.
    mutating func bottleneck(_ p: String, _ x: Node, inChannels: Int, outChannels: Int, dropout: Double,
                             middle: Middle = .dilated(1), shortcut: Shortcut = .identity,
                             outSlope: NamedTensor? = nil) -> Node {
        let b = branch(p, x, inChannels: inChannels, mid: inChannels / 4, outChannels: outChannels,
                       dropout: dropout, first: .oneByOne, middle: middle)
        let residual: Node
        switch shortcut {
        case .identity: residual = x
        case .conv3x3:
            residual = conv("\(p).shortcut", x, outChannels, kernel: (3, 3), padding: (1, 1), inChannels: inChannels)
        case .cbr1x1:
            residual = cbr(("\(p).shortcut.conv", "\(p).shortcut.bn", "\(p).shortcut.prelu"), x, outChannels,
                           kernel: (1, 1), inChannels: inChannels)
        }
        let out = prelu("\(p).prelu_out", addDropped(residual, b))
        blocks.append((p, out))
        return out
    }

    /// The whole network; returns the logits node.
    mutating func build(inChannels: Int, classes: Int) -> Node {
        let n = 16
        let x0 = initial(graph.input, inChannels: inChannels)
        var (x1, pool1) = down("b1_0", x0, inChannels: n, outChannels: 4 * n, dropout: 0.01)
        for i in 1...4 { x1 = bottleneck("b1_\(i)", x1, inChannels: 4 * n, outChannels: 4 * n, dropout: 0.01) }
        var (x2, pool2) = down("b2_0", x1, inChannels: 4 * n, outChannels: 8 * n, dropout: 0.01)
        let stage: [(Middle, Double)] = [(.dilated(1), 0.1), (.dilated(2), 0.01), (.asymmetric, 0.1), (.dilated(4), 0.01),
                                         (.dilated(1), 0.1), (.dilated(8), 0.01), (.asymmetric, 0.1), (.dilated(16), 0.01)]
        for (i, (middle, p)) in stage.enumerated() {
            x2 = bottleneck("b2_\(i + 1)", x2, inChannels: 8 * n, outChannels: 8 * n, dropout: p, middle: middle)
        }
        for (i, (middle, p)) in stage.prefix(7).enumerated() {
            x2 = bottleneck("b3_\(i + 1)", x2, inChannels: 8 * n, outChannels: 8 * n, dropout: p, middle: middle)
        }
        x2 = bottleneck("b3_8", x2, inChannels: 8 * n, outChannels: 4 * n, dropout: 0.01, middle: .dilated(16),
                        shortcut: .conv3x3)

        // up4_0: the branch reads concat(unpooled, skip); the residual is the unpooled tensor.
        let u4 = unpool(x2, pool2)
        let v4 = branch("up4_0", concat(u4, x1), inChannels: 8 * n, mid: 2 * n, outChannels: 4 * n, dropout: 0.01,
                        first: .threeByThree, middle: .dilated(1))
        var x4 = prelu("up4_0.prelu_out", addDropped(u4, v4))
        blocks.append(("up4_0", x4))
        x4 = bottleneck("b4_1", x4, inChannels: 4 * n, outChannels: 4 * n, dropout: 0.1)
        x4 = bottleneck("b4_2", x4, inChannels: 4 * n, outChannels: n, dropout: 0.1, shortcut: .cbr1x1)

        // up5_0: its prelu_out (declared with up5_0, as in the state dict) closes over b5_1.
        let u5 = unpool(x4, pool1)
        let v5 = dropout(branch("up5_0", concat(u5, x0), inChannels: 2 * n, mid: n / 2, outChannels: n,
                                dropout: 0.01, first: .threeByThree, middle: .dilated(1)))
        let slope5 = declareSlope("up5_0.prelu_out")
        blocks.append(("up5_0", v5))
        let b51 = bottleneck("b5_1", v5, inChannels: n, outChannels: n, dropout: 0.1)
        let x5 = prelu(slope5, add(u5, b51))

        var h = graph.add("upsample") { UpsampleLayer(input: x5, output: $0) }.output
        h = cbr(("head.conv0", "head.bn0", "head.prelu0"), h, n, kernel: (3, 3), padding: (1, 1), bias: false,
                inChannels: n)
        h = cbr(("head.conv1", "head.bn1", "head.prelu1"), h, n, kernel: (3, 3), padding: (1, 1), bias: false,
                inChannels: n)
        h = conv("head.out", h, classes, kernel: (1, 1), inChannels: n)
        blocks.append(("head", h))
        return h
    }
}

/// How one tensor is initialised.
enum Initializer {
    case xavierNormal(fanIn: Int, fanOut: Int)
    case uniform(bound: Double)
    case normal(mean: Double, std: Double)
    case constant(Float)

    func fill(_ values: UnsafeMutablePointer<Float>, count: Int, generator: inout Xoshiro256) {
        switch self {
        case .xavierNormal(let fanIn, let fanOut):
            let std = (2 / Double(fanIn + fanOut)).squareRoot()
            for i in 0..<count { values[i] = Float(generator.nextNormal(mean: 0, std: std)) }
        case .uniform(let bound):
            for i in 0..<count { values[i] = Float(generator.nextUniform(-bound, bound)) }
        case .normal(let mean, let std):
            for i in 0..<count { values[i] = Float(generator.nextNormal(mean: mean, std: std)) }
        case .constant(let value):
            values.update(repeating: value, count: count)
        }
    }
}
