/// The plain-loop convolution: slow, obviously right, accumulates in Double.
/// Tests compare every fast kernel against it.
public final class ReferenceConv2D: Conv2DKernel {
    public let geometry: Conv2DGeometry

    public init(_ geometry: Conv2DGeometry) {
        self.geometry = geometry
    }

    /// Calls `body(outputIndex, weightIndex, inputIndex)` for every in-bounds tap.
    @inline(__always)
    private func forEachTap(_ body: (_ outputIndex: Int, _ weightIndex: Int, _ inputIndex: Int) -> Void) {
        let g = geometry
        let oh = g.outputHeight, ow = g.outputWidth
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let outIndex = ((n * g.outChannels + o) * oh + oy) * ow + ox
                        for c in 0..<g.inChannels {
                            for ky in 0..<g.kernelHeight {
                                let iy = oy * g.strideHeight - g.padHeight + ky * g.dilationHeight
                                if iy < 0 || iy >= g.height { continue }
                                for kx in 0..<g.kernelWidth {
                                    let ix = ox * g.strideWidth - g.padWidth + kx * g.dilationWidth
                                    if ix < 0 || ix >= g.width { continue }
                                    let wIndex = ((o * g.inChannels + c) * g.kernelHeight + ky) * g.kernelWidth + kx
                                    let inIndex = ((n * g.inChannels + c) * g.height + iy) * g.width + ix
                                    body(outIndex, wIndex, inIndex)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        output: UnsafeMutablePointer<Float>) {
        let g = geometry
        var sums = [Double](repeating: 0, count: g.outputCount)
        forEachTap { out, w, inp in sums[out] += Double(weight[w]) * Double(input[inp]) }
        let plane = g.outputHeight * g.outputWidth
        for i in 0..<g.outputCount {
            let o = (i / plane) % g.outChannels
            output[i] = Float(sums[i] + (bias.map { Double($0[o]) } ?? 0))
        }
    }

    public func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                         gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>,
                         gradBias: UnsafeMutablePointer<Float>?) {
        let g = geometry
        var dInput = [Double](repeating: 0, count: gradInput == nil ? 0 : g.inputCount)
        var dWeight = [Double](repeating: 0, count: g.weightCount)
        let wantInput = gradInput != nil
        forEachTap { out, w, inp in
            let go = Double(gradOutput[out])
            dWeight[w] += go * Double(input[inp])
            if wantInput { dInput[inp] += go * Double(weight[w]) }
        }
        for i in 0..<g.weightCount { gradWeight[i] = Float(dWeight[i]) }
        if let gradInput { for i in 0..<g.inputCount { gradInput[i] = Float(dInput[i]) } }
        if let gradBias {
            let plane = g.outputHeight * g.outputWidth
            for o in 0..<g.outChannels {
                var s = 0.0
                for n in 0..<g.batch {
                    let base = (n * g.outChannels + o) * plane
                    for i in 0..<plane { s += Double(gradOutput[base + i]) }
                }
                gradBias[o] = Float(s)
            }
        }
    }
}
