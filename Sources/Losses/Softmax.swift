#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax over the classes of every pixel, and its backward through the Jacobian.
enum Softmax {
    /// s = softmax(z) per pixel, numerically stable (the maximum logit is subtracted first).
    /// When `logSumExp` is given it receives log Σ_k exp(z_k) per pixel (N·H·W values), so that
    /// log s_k = z_k − logSumExp without taking the log of an underflowed probability.
    static func forward(logits z: UnsafeBufferPointer<Double>, shape: LossShape,
                                                probabilities s: UnsafeMutableBufferPointer<Double>,
                                                logSumExp: UnsafeMutableBufferPointer<Double>?) {
        let hw = shape.pixelsPerImage, kCount = shape.classes
        for n in 0..<shape.images {
            let base = n * kCount * hw
            for p in 0..<hw {
                var m = -Double.infinity
                for k in 0..<kCount { m = max(m, z[base + k * hw + p]) }
                // An all -inf or NaN pixel gives NaN below; the caller counts it.
                var sum = 0.0
                for k in 0..<kCount {
                    let e = exp(z[base + k * hw + p] - m)
                    s[base + k * hw + p] = e
                    sum += e
                }
                let inverse = 1 / sum
                for k in 0..<kCount { s[base + k * hw + p] *= inverse }
                logSumExp?[n * hw + p] = m + log(sum)
            }
        }
    }

    /// dL/dz_k = s_k (g_k − Σ_j s_j g_j) per pixel, given g = dL/ds. Adds `ceScale·(s − y)`, the
    /// cross-entropy's logit gradient, directly (through the Jacobian it would need 1/s_y).
    /// Writes `gradient` and returns the non-finite entry count per class.
    static func backward(probabilities s: UnsafeBufferPointer<Double>, probabilityGradient g: UnsafeBufferPointer<Double>?,
                         labels: UnsafeBufferPointer<UInt8>, ceScale: Double,
                         shape: LossShape, gradient out: UnsafeMutableBufferPointer<Double>) -> [Int] {
        let hw = shape.pixelsPerImage, kCount = shape.classes
        var nonFinite = [Int](repeating: 0, count: kCount)
        for n in 0..<shape.images {
            let base = n * kCount * hw
            for p in 0..<hw {
                var dot = 0.0
                if let g {
                    for k in 0..<kCount { dot += s[base + k * hw + p] * g[base + k * hw + p] }
                }
                let label = Int(labels[n * hw + p])
                for k in 0..<kCount {
                    let i = base + k * hw + p
                    var value = 0.0
                    if let g { value = s[i] * (g[i] - dot) }
                    if ceScale != 0 { value += ceScale * (s[i] - (k == label ? 1 : 0)) }
                    out[i] = value
                    if !value.isFinite { nonFinite[k] += 1 }
                }
            }
        }
        return nonFinite
    }
}
