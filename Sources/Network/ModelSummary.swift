/// A table of the network's blocks: output shape, learnable parameters and
/// forward convolution GFLOP (2 x multiply-adds, bias excluded, as PyTorch's
/// FlopCounterMode counts) for one image of a given size.
public struct ModelSummary {
    public struct Row {
        public let name: String
        /// `C x H x W` of the block's output for one image.
        public let outputShape: TensorShape
        public let parameters: Int
        public let gflop: Double
    }

    public let rows: [Row]
    public let totalParameters: Int
    public let gflopPerImage: Double
    public let inChannels: Int, classes: Int, height: Int, width: Int

    /// The table as text.
    public var table: String {
        var lines = ["ENet: \(inChannels) input channel(s), \(classes) classes, input \(height)x\(width)",
                     pad("block", 8) + pad("output (C x H x W)", 20, right: true) + pad("params", 12, right: true)
                         + pad("GFLOP", 10, right: true)]
        for row in rows {
            let s = row.outputShape
            lines.append(pad(row.name, 8) + pad("\(s.channels) x \(s.height) x \(s.width)", 20, right: true)
                         + pad(String(row.parameters), 12, right: true) + pad(format(row.gflop), 10, right: true))
        }
        lines.append(pad("total", 8) + pad("", 20) + pad(String(totalParameters), 12, right: true)
                     + pad(format(gflopPerImage), 10, right: true))
        lines.append("learnable parameters: \(totalParameters); forward GFLOP per image: \(format(gflopPerImage))")
        return lines.joined(separator: "\n")
    }

    private func format(_ x: Double) -> String {
        let scaled = (x * 1e4).rounded() / 1e4
        var text = String(scaled)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < 4 { text += String(repeating: "0", count: 4 - decimals) }
        }
        return text
    }

    private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}

extension ENet {
    /// The summary for one `height x width` image (both multiples of 8).
    public func summary(height: Int, width: Int) throws -> ModelSummary {
        let shape = TensorShape(1, inChannels, height, width)
        try validate(shape)
        // Shape inference only; the prepared buffers (if any) are left alone.
        let prepared = graph.preparedShape
        try graph.inferShapes(shape)
        defer { if let prepared { try? graph.inferShapes(prepared) } }
        var rows: [ModelSummary.Row] = []
        for (name, node) in blocks {
            let prefix = name + "."
            let parameters = store.tensors.filter { $0.role == .parameter && $0.name.hasPrefix(prefix) }
                .reduce(0) { $0 + $1.count }
            let flops = convolutions.filter { $0.name.hasPrefix(prefix) }
                .reduce(0) { $0 + $1.geometry(for: $1.input.shape).forwardFlops }
            rows.append(.init(name: name, outputShape: node.shape, parameters: parameters, gflop: Double(flops) / 1e9))
        }
        let total = convolutions.reduce(0) { $0 + $1.geometry(for: $1.input.shape).forwardFlops }
        precondition(rows.reduce(0) { $0 + $1.parameters } == parameterCount, "every parameter belongs to a block")
        return ModelSummary(rows: rows, totalParameters: parameterCount, gflopPerImage: Double(total) / 1e9,
                            inChannels: inChannels, classes: classes, height: height, width: width)
    }
}
