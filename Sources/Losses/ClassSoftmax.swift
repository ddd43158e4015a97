import Foundation

/// Float softmax over the class axis for prediction (the losses use their own
/// Double path, which also needs the gradient).
public enum ClassSoftmax {
    /// Probabilities of `N x K x P` logits (largest logit subtracted first), written to `out`.
    public static func apply(_ logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                             images: Int, classes: Int, pixels: Int) {
        for n in 0..<images {
            let base = n * classes * pixels
            for p in 0..<pixels {
                var largest = -Float.infinity
                for k in 0..<classes { largest = max(largest, logits[base + k * pixels + p]) }
                var sum: Float = 0
                for k in 0..<classes {
                    let e = expf(logits[base + k * pixels + p] - largest)
                    out[base + k * pixels + p] = e
                    sum += e
                }
                for k in 0..<classes { out[base + k * pixels + p] /= sum }
            }
        }
    }
}
