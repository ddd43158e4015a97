import Foundation

/// Adam over one flat parameter buffer and its flat gradient buffer, as
/// PyTorch's `torch.optim.Adam` computes it (bias-corrected moments; weight
/// decay is L2 added to the gradient, not AdamW).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public var weightDecay: Float
    /// Updates done so far.
    public private(set) var step = 0
    public let count: Int
    private let m: UnsafeMutablePointer<Float>
    private let v: UnsafeMutablePointer<Float>

    /// Defaults follow the paper's code: beta1 0.9, beta2 0.99, eps 1e-8.
    public init(count: Int, learningRate: Float = 5e-4, beta1: Float = 0.9, beta2: Float = 0.99,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.count = count
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = .allocate(capacity: max(count, 1))
        m.initialize(repeating: 0, count: max(count, 1))
        v = .allocate(capacity: max(count, 1))
        v.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// One update of `parameters` from `gradients` (both `count` floats).
    public func update(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>) {
        step += 1
        let correction1 = 1 - pow(Double(beta1), Double(step))
        let correction2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        for i in 0..<count {
            let grad = decay == 0 ? g[i] : g[i] + decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad * grad
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
        }
    }

    /// The first and second moment estimates (`count` floats each), for checkpoints.
    public var moments: (m: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>) {
        (UnsafeMutableBufferPointer(start: m, count: count), UnsafeMutableBufferPointer(start: v, count: count))
    }

    /// Restores the update count after the moments were loaded into `moments`.
    public func restore(step: Int) {
        self.step = step
    }
}
