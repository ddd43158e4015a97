/// `BatchNorm` on blocked `nChw16c` tensors: the same arithmetic as the plain
/// version (statistics over N, H, W per channel; see `BatchNorm.swift`), with
/// the 16 channels of a block in the 16 lanes of one vector. Padding lanes get
/// weight and bias 0, so they stay zero in the output and in `dx`.
///
/// Sums add one vector per pixel in Float over runs of 256 pixels, runs in Double
/// (as `Reductions`). `blocks` restricts the work to some channel blocks (threads).
enum BlockedBatchNorm {
    private static let run = 256

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
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>, blocks: Range<Int>
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
            forEachPixel(shape, block) { (Lanes(at: x + $0) * scale + shift).store(at: y + $0) }
        }
    }

    static func forwardInference(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, shape: TensorShape,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>, blocks: Range<Int>
    ) {
        for block in blocks {
            let first = block * 16
            var scale = Lanes(), shift = Lanes()
            for lane in 0..<min(16, shape.channels - first) {
                let c = first + lane
                let invStd = 1 / (Double(runningVar[c]) + BatchNorm.epsilon).squareRoot(), gamma = Double(weight[c])
                scale[lane] = Float(gamma * invStd)
                shift[lane] = Float(Double(bias[c]) - Double(runningMean[c]) * gamma * invStd)
            }
            forEachPixel(shape, block) { (Lanes(at: x + $0) * scale + shift).store(at: y + $0) }
        }
    }

    /// Backward of the training forward; see `BatchNorm.backwardTraining`.
    static func backwardTraining(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>,
        savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>, blocks: Range<Int>
    ) {
        let count = Double(shape.batch * shape.plane)
        for block in blocks {
            let first = block * 16, lanes = min(16, shape.channels - first)
            let mean = Lanes(savedMean, first: first, count: shape.channels)
            let sumDy = laneSums(shape, block) { Lanes(at: dy + $0) }
            let sumDyCentered = laneSums(shape, block) { Lanes(at: dy + $0) * (Lanes(at: x + $0) - mean) }
            var a = Lanes(), b = Lanes(), e = Lanes()
            for lane in 0..<lanes {
                let c = first + lane, invStd = Double(savedInvStd[c])
                let sumDyXhat = sumDyCentered[lane] * invStd
                gradWeight[c] = Float(sumDyXhat)
                gradBias[c] = Float(sumDy[lane])
                let k = Double(weight[c]) * invStd
                a[lane] = Float(k)
                b[lane] = Float(-k * sumDy[lane] / count)
                e[lane] = Float(-k * sumDyXhat / count * invStd)
            }
            guard let dx else { continue }
            forEachPixel(shape, block) { i in
                let d = Lanes(at: dx + i) + a * Lanes(at: dy + i) + b + e * (Lanes(at: x + i) - mean)
                d.store(at: dx + i)
            }
        }
    }

    /// Backward of the inference forward; see `BatchNorm.backwardInference`.
    static func backwardInference(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>?,
        shape: TensorShape, weight: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>, blocks: Range<Int>
    ) {
        for block in blocks {
            let first = block * 16, lanes = min(16, shape.channels - first)
            let mean = Lanes(runningMean, first: first, count: shape.channels)
            var invStd = Lanes(), k = Lanes()
            for lane in 0..<lanes {
                let c = first + lane
                invStd[lane] = Float(1 / (Double(runningVar[c]) + BatchNorm.epsilon).squareRoot())
                k[lane] = weight[c] * invStd[lane]
            }
            let sumDy = laneSums(shape, block) { Lanes(at: dy + $0) }
            let sumDyXhat = laneSums(shape, block) { Lanes(at: dy + $0) * (Lanes(at: x + $0) - mean) * invStd }
            for lane in 0..<lanes {
                gradWeight[first + lane] = Float(sumDyXhat[lane])
                gradBias[first + lane] = Float(sumDy[lane])
            }
            guard let dx else { continue }
            forEachPixel(shape, block) { i in (Lanes(at: dx + i) + k * Lanes(at: dy + i)).store(at: dx + i) }
        }
    }
}
