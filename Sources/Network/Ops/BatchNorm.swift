/// Batch normalisation over N, H, W per channel (PyTorch `BatchNorm2d`).
///
/// Training uses the batch statistics (biased variance to normalise) and moves
/// the running estimates: `running = (1 - momentum) * running + momentum * batch`,
/// with the unbiased variance, as PyTorch does. Inference uses the running estimates.
public enum BatchNorm {
    public static let epsilon = 1e-5
    public static let momentum = 0.1

    /// `channels` restricts the work to some channels (to split it over threads).
    ///
    /// Training forward. Saves per-channel `mean` and `invStd` (1 / sqrt(var + eps)) for backward
    /// and updates `runningMean` / `runningVar` in place.
    public static func forwardTraining(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>,
        channels: Range<Int>? = nil
    ) {
        let plane = shape.plane, count = Double(shape.batch * plane)
        for c in channels ?? 0..<shape.channels {
            var sum = 0.0
            for n in 0..<shape.batch { sum += Reductions.sum(x + (n * shape.channels + c) * plane, count: plane) }
            let mean = sum / count
            var squares = 0.0
            for n in 0..<shape.batch {
                squares += Reductions.sumOfSquaredDeviations(x + (n * shape.channels + c) * plane, count: plane,
                                                             mean: Float(mean))
            }
            let variance = squares / count
            let invStd = 1 / (variance + epsilon).squareRoot()
            savedMean[c] = Float(mean)
            savedInvStd[c] = Float(invStd)
            let unbiased = count > 1 ? squares / (count - 1) : variance
            runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * mean)
            runningVar[c] = Float((1 - momentum) * Double(runningVar[c]) + momentum * unbiased)
            normalize(x, y, shape, c, mean: mean, invStd: invStd, gamma: Double(weight[c]), beta: Double(bias[c]))
        }
    }

    /// Inference forward with the running estimates.
    public static func forwardInference(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>, channels: Range<Int>? = nil
    ) {
        for c in channels ?? 0..<shape.channels {
            let invStd = 1 / (Double(runningVar[c]) + epsilon).squareRoot()
            normalize(x, y, shape, c, mean: Double(runningMean[c]), invStd: invStd,
                      gamma: Double(weight[c]), beta: Double(bias[c]))
        }
    }

    @inline(__always)
    private static func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ shape: TensorShape,
                                  _ c: Int, mean: Double, invStd: Double, gamma: Double, beta: Double) {
        // y = x * scale + shift, folded so the inner loop is one multiply-add.
        let scale = Float(gamma * invStd), shift = Float(beta - mean * gamma * invStd)
        let plane = shape.plane
        for n in 0..<shape.batch {
            let offset = (n * shape.channels + c) * plane
            for i in 0..<plane { y[offset + i] = x[offset + i] * scale + shift }
        }
    }

    /// Backward of the training forward (statistics depend on the input):
    /// `dx = gamma * invStd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat))`, M = N*H*W.
    public static func backwardTraining(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>,
        savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>, channels: Range<Int>? = nil
    ) {
        let plane = shape.plane, count = Double(shape.batch * plane)
        for c in channels ?? 0..<shape.channels {
            let mean = savedMean[c], invStd = Double(savedInvStd[c])
            var sumDy = 0.0, sumDyCentered = 0.0
            for n in 0..<shape.batch {
                let offset = (n * shape.channels + c) * plane
                sumDy += Reductions.sum(dy + offset, count: plane)
                sumDyCentered += Reductions.dotCentered(dy + offset, x + offset, count: plane, shift: mean)
            }
            let sumDyXhat = sumDyCentered * invStd
            gradWeight[c] = Float(sumDyXhat)
            gradBias[c] = Float(sumDy)
            guard let dx else { continue }
            // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)) = a * dy + b + e * (x - mean).
            let k = Double(weight[c]) * invStd
            let a = Float(k), b = Float(-k * sumDy / count), e = Float(-k * sumDyXhat / count * invStd)
            for n in 0..<shape.batch {
                let offset = (n * shape.channels + c) * plane
                for i in offset..<(offset + plane) { dx[i] += a * dy[i] + b + e * (x[i] - mean) }
            }
        }
    }

    /// Backward of the inference forward (running statistics are constants).
    public static func backwardInference(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>
    ) {
        let plane = shape.plane
        for c in 0..<shape.channels {
            let mean = Double(runningMean[c]), invStd = 1 / (Double(runningVar[c]) + epsilon).squareRoot()
            var sumDy = 0.0, sumDyXhat = 0.0
            let k = Float(Double(weight[c]) * invStd)
            for n in 0..<shape.batch {
                let offset = (n * shape.channels + c) * plane
                for i in 0..<plane {
                    let g = Double(dy[offset + i])
                    sumDy += g
                    sumDyXhat += g * (Double(x[offset + i]) - mean) * invStd
                    dx?[offset + i] += k * dy[offset + i]
                }
            }
            gradWeight[c] = Float(sumDyXhat)
            gradBias[c] = Float(sumDy)
        }
    }
}
