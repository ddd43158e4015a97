import Common
import Tensors

func randomFloats(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
}

/// max |a - b| / max |b|: the error relative to the reference's scale.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, scale = 0.0
    for i in a.indices {
        diff = max(diff, abs(Double(a[i]) - Double(b[i])))
        scale = max(scale, abs(Double(b[i])))
    }
    return scale == 0 ? diff : diff / scale
}

/// Forward and backward results of one kernel on one set of inputs.
struct ConvResults {
    var output: [Float]
    var gradInput: [Float]?
    var gradWeight: [Float]
    var gradBias: [Float]?
}

/// Runs `kernel` forward and backward on the given buffers.
func runBoth(_ kernel: Conv2DKernel, input: [Float], weight: [Float], bias: [Float]?, gradOutput: [Float],
         inputGradient: Bool) throws -> ConvResults {
    let g = kernel.geometry
    var output = [Float](repeating: .nan, count: g.outputCount)
    // NaN-filled gradients: a kernel that accumulates instead of overwriting is caught.
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    var gradWeight = [Float](repeating: .nan, count: g.weightCount)
    var gradBias = [Float](repeating: .nan, count: g.outChannels)
    try output.withUnsafeMutableBufferPointer { out in
        if let bias {
            try kernel.forward(input: input, weight: weight, bias: bias, output: out.baseAddress!)
        } else {
            try kernel.forward(input: input, weight: weight, bias: nil, output: out.baseAddress!)
        }
    }
    try gradInput.withUnsafeMutableBufferPointer { gi in
        try gradWeight.withUnsafeMutableBufferPointer { gw in
            try gradBias.withUnsafeMutableBufferPointer { gb in
                try kernel.backward(input: input, weight: weight, gradOutput: gradOutput,
                                    gradInput: inputGradient ? gi.baseAddress! : nil, gradWeight: gw.baseAddress!,
                                    gradBias: bias == nil ? nil : gb.baseAddress!)
            }
        }
    }
    return ConvResults(output: output, gradInput: inputGradient ? gradInput : nil, gradWeight: gradWeight,
                       gradBias: bias == nil ? nil : gradBias)
}
