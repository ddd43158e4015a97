/// One convolution layer of the ENet (the PyTorch reference `reference/enet_torch.py`),
/// for choosing, testing and timing kernels.
public struct ENetConvolution: Hashable {
    /// The parameter prefix, e.g. `b2_3.conv1a`.
    public var name: String
    public var geometry: Conv2DGeometry
    public var bias: Bool
    /// False only for the first layer, whose input gradient nobody needs.
    public var inputGradient: Bool
}

public enum ENetConvolutions {
    /// Every convolution of one forward pass, in order, for a `batch x inChannels x size x size`
    /// input (`size` divisible by 8) and `classes` output classes.
    public static func all(size: Int, batch: Int, inChannels: Int = 1, classes: Int = 4) -> [ENetConvolution] {
        let n = 16
        var layers: [ENetConvolution] = []
        func conv(_ name: String, _ cin: Int, _ cout: Int, at hw: Int, kernel: (Int, Int), stride: Int = 1,
                  padding: (Int, Int) = (0, 0), dilation: Int = 1, bias: Bool = true, inputGradient: Bool = true) {
            let g = Conv2DGeometry(batch: batch, inChannels: cin, outChannels: cout, height: hw, width: hw,
                                   kernel: kernel, stride: (stride, stride), padding: padding,
                                   dilation: (dilation, dilation))
            layers.append(ENetConvolution(name: name, geometry: g, bias: bias, inputGradient: inputGradient))
        }
        /// conv0 -> middle -> conv2 of a bottleneck branch working at `hw` after conv0.
        func branch(_ name: String, _ cin: Int, _ cout: Int, at hw: Int, first: String, middle: String = "3x3",
                    dilation: Int = 1) {
            let mid = cin / 4
            switch first {
            case "down": conv("\(name).conv0", cin, mid, at: hw * 2, kernel: (2, 2), stride: 2)
            case "3x3": conv("\(name).conv0", cin, mid, at: hw, kernel: (3, 3), padding: (1, 1))
            default: conv("\(name).conv0", cin, mid, at: hw, kernel: (1, 1))
            }
            if middle == "asym" {
                conv("\(name).conv1a", mid, mid, at: hw, kernel: (5, 1), padding: (2, 0))
                conv("\(name).conv1b", mid, mid, at: hw, kernel: (1, 5), padding: (0, 2))
            } else {
                conv("\(name).conv1", mid, mid, at: hw, kernel: (3, 3), padding: (dilation, dilation), dilation: dilation)
            }
            conv("\(name).conv2", mid, cout, at: hw, kernel: (1, 1))
        }
        let s1 = size / 2, s2 = size / 4, s3 = size / 8
        conv("initial.conv", inChannels, n - inChannels, at: size, kernel: (3, 3), stride: 2, padding: (1, 1),
             inputGradient: false)
        branch("b1_0", n, 4 * n, at: s2, first: "down")
        for i in 1...4 { branch("b1_\(i)", 4 * n, 4 * n, at: s2, first: "1x1") }
        branch("b2_0", 4 * n, 8 * n, at: s3, first: "down")
        let stage: [(String, Int)] = [("regular", 1), ("dilated", 2), ("asym", 1), ("dilated", 4),
                                      ("regular", 1), ("dilated", 8), ("asym", 1), ("dilated", 16)]
        for (i, (kind, d)) in stage.enumerated() {
            branch("b2_\(i + 1)", 8 * n, 8 * n, at: s3, first: "1x1", middle: kind == "asym" ? "asym" : "3x3", dilation: d)
        }
        for (i, (kind, d)) in stage.prefix(7).enumerated() {
            branch("b3_\(i + 1)", 8 * n, 8 * n, at: s3, first: "1x1", middle: kind == "asym" ? "asym" : "3x3", dilation: d)
        }
        branch("b3_8", 8 * n, 4 * n, at: s3, first: "1x1", dilation: 16)
        conv("b3_8.shortcut", 8 * n, 4 * n, at: s3, kernel: (3, 3), padding: (1, 1))
        branch("up4_0", 8 * n, 4 * n, at: s2, first: "3x3")
        branch("b4_1", 4 * n, 4 * n, at: s2, first: "1x1")
        branch("b4_2", 4 * n, n, at: s2, first: "1x1")
        conv("b4_2.shortcut.conv", 4 * n, n, at: s2, kernel: (1, 1))
        branch("up5_0", 2 * n, n, at: s1, first: "3x3")
        branch("b5_1", n, n, at: s1, first: "1x1")
        conv("head.conv0", n, n, at: size, kernel: (3, 3), padding: (1, 1), bias: false)
        conv("head.conv1", n, n, at: size, kernel: (3, 3), padding: (1, 1), bias: false)
        conv("head.out", n, classes, at: size, kernel: (1, 1))
        return layers
    }

    /// The distinct convolutions (geometry, bias, input gradient) with how many layers use each,
    /// in order of first use; `name` is the first layer's.
    public static func distinct(size: Int, batch: Int, inChannels: Int = 1,
                                classes: Int = 4) -> [(convolution: ENetConvolution, count: Int)] {
        var result: [(convolution: ENetConvolution, count: Int)] = []
        for layer in all(size: size, batch: batch, inChannels: inChannels, classes: classes) {
            if let i = result.firstIndex(where: {
                $0.convolution.geometry == layer.geometry && $0.convolution.bias == layer.bias
                    && $0.convolution.inputGradient == layer.inputGradient
            }) {
                result[i].count += 1
            } else {
                result.append((layer, 1))
            }
        }
        return result
    }
}
