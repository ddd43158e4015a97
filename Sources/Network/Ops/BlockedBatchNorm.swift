/// `BatchNorm` on blocked `nChw16c` tensors: the same arithmetic as the plain
/// version (statistics over N, H, W per channel; see `BatchNorm.swift`), with
/// the 16 channels of a block in the 16 lanes of one vector. Padding lanes get
/// weight and bias 0, so they stay zero in the output and in `dx`.
///
/// With a `slope` the BatchNorm is fused with the PReLU that follows it: forward
/// writes `prelu(bn(x))`, backward takes the PReLU output's gradient and recomputes
/// `bn(x)` where it needs it, so the BatchNorm output is neither written nor read.
///
/// Sums add one vector per pixel in Float over runs of 256 pixels, runs in Double
/// (as `Reductions`). `blocks` restricts the work to some channel blocks (threads).
enum BlockedBatchNorm {
    private static let run = 256

    /// `prelu(v)` per lane (`slope` nil: `v`).
    @inline(__always)
    private static func activate(_ v: Lanes, _ slope: Float?) -> Lanes {
        guard let slope else { return v }
        return v.replacing(with: v * slope, where: v .<= 0)
    }

    /// Three per-lane sums in one pass over one block (see `laneSums`).
    @inline(__always)
    private static func laneSums3(_ shape: TensorShape, _ block: Int, _ f: (Int) -> (Lanes, Lanes, Lanes))
        -> (SIMD16<Double>, SIMD16<Double>, SIMD16<Double>) {
        let blocks = (shape.channels + 15) / 16, plane = shape.plane
        var (t0, t1, t2) = (SIMD16<Double>(), SIMD16<Double>(), SIMD16<Double>())
        for n in 0..<shape.batch {
            let base = (n * blocks + block) * plane * 16
            var p = 0
            while p < plane {
                let end = min(p + run, plane)
                var (a0, a1, a2) = (Lanes(), Lanes(), Lanes())
                for q in p..<end {
                    let (v0, v1, v2) = f(base + q * 16)
                    a0 += v0
                    a1 += v1
                    a2 += v2
                }
                t0.add(a0)
                t1.add(a1)
                t2.add(a2)
                p = end
            }
        }
        return (t0, t1, t2)
    }

    /// The PReLU output gradient `dy` through the PReLU at `z`: `dz`, and `dy * min(z, 0)`.
    @inline(__always)
    private static func throughPReLU(_ dy: Lanes, _ z: Lanes, _ slope: Float) -> (dz: Lanes, slopeTerm: Lanes) {
        let negative = z .<= 0
        return (dy.replacing(with: dy * slope, where: negative), (dy * z).replacing(with: 0, where: .!negative))
    }

    /// `sum over n, p of f(x[n, block, p])`, per lane.
    @inline(__always)
    private static func laneSums(_ shape: TensorShape, _ block: Int, _ f: (Int) -> Lanes) -> SIMD16<Double> {
        let blocks = (shape.channels + 15) / 16, plane = shape.plane
        var total = SIMD16<Double>()
        for n in 0..<shape.batch {
            let base = (n * blocks + block) * plane * 16
            var p = 0
            while p < plane {
                let end = min(p + run, plane)
                var acc = Lanes()
                for q in p..<end { acc += f(base + q * 16) }
                total.add(acc)
                p = end
            }
        }
        return total
    }

    /// `body(offset)` for every pixel of one block.
    @inline(__always)
    private static func forEachPixel(_ shape: TensorShape, _ block: Int, _ body: (Int) -> Void) {
        let blocks = (shape.channels + 15) / 16, plane = shape.plane
        for n in 0..<shape.batch {
            let base = (n * blocks + block) * plane * 16
            for q in 0..<plane { body(base + q * 16) }
        }
    }

    static func forwardTraining(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>, blocks: Range<Int>,
        slope: Float? = nil
    ) {
        let count = Double(shape.batch * shape.plane), momentum = BatchNorm.momentum
        for block in blocks {
            let first = block * 16, lanes = min(16, shape.channels - first)
            let mean = laneSums(shape, block) { Lanes(at: x + $0) } / count
            var m = Lanes()
            for lane in 0..<16 { m[lane] = Float(mean[lane]) }
            let squares = laneSums(shape, block) { let d = Lanes(at: x + $0) - m; return d * d }
            var scale = Lanes(), shift = Lanes()
            for lane in 0..<lanes {
                let c = first + lane, variance = squares[lane] / count
                let invStd = 1 / (variance + BatchNorm.epsilon).squareRoot()
                savedMean[c] = Float(mean[lane])
                savedInvStd[c] = Float(invStd)
                let unbiased = count > 1 ? squares[lane] / (count - 1) : variance
                runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * mean[lane])
                runningVar[c] = Float((1 - momentum) * Double(runningVar[c]) + momentum * unbiased)
                let gamma = Double(weight[c])
                scale[lane] = Float(gamma * invStd)
                shift[lane] = Float(Double(bias[c]) - mean[lane] * gamma * invStd)
            }
            forEachPixel(shape, block) { activate(Lanes(at: x + $0) * scale + shift, slope).store(at: y + $0) }
        }
    }

    static func forwardInference(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>, blocks: Range<Int>, slope: Float? = nil
    ) {
        for block in blocks {
            let (scale, shift) = inferenceTransform(block, channels: shape.channels, weight: weight, bias: bias,
                                                    runningMean: runningMean, runningVar: runningVar)
            forEachPixel(shape, block) { activate(Lanes(at: x + $0) * scale + shift, slope).store(at: y + $0) }
        }
    }

    /// `y = (x - mean) * invStd * weight + bias` with given per-channel statistics.
    static func normalize(input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                          invStd: UnsafePointer<Float>) {
        for block in 0..<((shape.channels + 15) / 16) {
            var scale = Lanes(), shift = Lanes()
            for lane in 0..<min(16, shape.channels - block * 16) {
                let c = block * 16 + lane
                scale[lane] = weight[c] * invStd[c]
                shift[lane] = bias[c] - mean[c] * scale[lane]
            }
            forEachPixel(shape, block) { (Lanes(at: x + $0) * scale + shift).store(at: y + $0) }
        }
    }

    /// `scale`, `shift` of the inference transform `x * scale + shift` for one block (0 in padding lanes).
    private static func inferenceTransform(_ block: Int, channels: Int, weight: UnsafePointer<Float>,
                                           bias: UnsafePointer<Float>, runningMean: UnsafePointer<Float>,
                                           runningVar: UnsafePointer<Float>) -> (Lanes, Lanes) {
        let first = block * 16
        var scale = Lanes(), shift = Lanes()
        for lane in 0..<min(16, channels - first) {
            let c = first + lane
            let invStd = 1 / (Double(runningVar[c]) + BatchNorm.epsilon).squareRoot(), gamma = Double(weight[c])
            scale[lane] = Float(gamma * invStd)
            shift[lane] = Float(Double(bias[c]) - Double(runningMean[c]) * gamma * invStd)
        }
        return (scale, shift)
    }

    /// A fused PReLU in backward: its slope, and where to write each block's
    /// `sum(dy * min(z, 0))` (indexed by block; the caller adds them in order).
    typealias FusedPReLU = (slope: Float, gradSlope: UnsafeMutablePointer<Double>)

    /// `dz` (the gradient reaching the BatchNorm output) at pixel offset `i`: `dy`, or
    /// `dy` through the fused PReLU at `z = x * scale + shift`.
    @inline(__always)
    private static func gradientAtOutput(_ i: Int, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                         _ scale: Lanes, _ shift: Lanes, _ prelu: FusedPReLU?) -> (Lanes, Lanes) {
        let g = Lanes(at: dy + i)
        guard let prelu else { return (g, Lanes()) }
        return throughPReLU(g, Lanes(at: x + i) * scale + shift, prelu.slope)
    }

    /// Backward of the training forward; see `BatchNorm.backwardTraining`. With `prelu`,
    /// `dy` is the gradient of the fused PReLU's output.
    static func backwardTraining(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>, blocks: Range<Int>,
        prelu: FusedPReLU? = nil
    ) {
        let count = Double(shape.batch * shape.plane)
        for block in blocks {
            let first = block * 16, lanes = min(16, shape.channels - first)
            let mean = Lanes(savedMean, first: first, count: shape.channels)
            var scale = Lanes(), shift = Lanes()
            for lane in 0..<lanes {
                let c = first + lane
                scale[lane] = weight[c] * savedInvStd[c]
                shift[lane] = bias[c] - mean[lane] * scale[lane]
            }
            let (sumDz, sumDzCentered, slopeSum) = laneSums3(shape, block) { i in
                let (dz, slopeTerm) = gradientAtOutput(i, x, dy, scale, shift, prelu)
                return (dz, dz * (Lanes(at: x + i) - mean), slopeTerm)
            }
            prelu?.gradSlope[block] = slopeSum.sum()
            var a = Lanes(), b = Lanes(), e = Lanes()
            for lane in 0..<lanes {
                let c = first + lane, invStd = Double(savedInvStd[c])
                let sumDzXhat = sumDzCentered[lane] * invStd
                gradWeight[c] = Float(sumDzXhat)
                gradBias[c] = Float(sumDz[lane])
                let k = Double(weight[c]) * invStd
                a[lane] = Float(k)
                b[lane] = Float(-k * sumDz[lane] / count)
                e[lane] = Float(-k * sumDzXhat / count * invStd)
            }
            guard let dx else { continue }
            forEachPixel(shape, block) { i in
                let dz = gradientAtOutput(i, x, dy, scale, shift, prelu).0
                (Lanes(at: dx + i) + a * dz + b + e * (Lanes(at: x + i) - mean)).store(at: dx + i)
            }
        }
    }

    /// Backward of the inference forward; see `BatchNorm.backwardInference` (and
    /// `backwardTraining` for `prelu`).
    static func backwardInference(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>, blocks: Range<Int>,
        prelu: FusedPReLU? = nil
    ) {
        for block in blocks {
            let first = block * 16, lanes = min(16, shape.channels - first)
            let mean = Lanes(runningMean, first: first, count: shape.channels)
            let (scale, shift) = inferenceTransform(block, channels: shape.channels, weight: weight, bias: bias,
                                                    runningMean: runningMean, runningVar: runningVar)
            var invStd = Lanes()
            for lane in 0..<lanes {
                invStd[lane] = Float(1 / (Double(runningVar[first + lane]) + BatchNorm.epsilon).squareRoot())
            }
            let (sumDz, sumDzXhat, slopeSum) = laneSums3(shape, block) { i in
                let (dz, slopeTerm) = gradientAtOutput(i, x, dy, scale, shift, prelu)
                return (dz, dz * (Lanes(at: x + i) - mean) * invStd, slopeTerm)
            }
            prelu?.gradSlope[block] = slopeSum.sum()
            for lane in 0..<lanes {
                gradWeight[first + lane] = Float(sumDzXhat[lane])
                gradBias[first + lane] = Float(sumDz[lane])
            }
            guard let dx else { continue }
            forEachPixel(shape, block) { i in
                let dz = gradientAtOutput(i, x, dy, scale, shift, prelu).0
                (Lanes(at: dx + i) + scale * dz).store(at: dx + i)
            }
        }
    }
}
