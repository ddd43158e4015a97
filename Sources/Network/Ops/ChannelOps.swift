/// Channel-wise copies: zero padding of channels, concatenation, element-wise addition.
public enum ChannelOps {
    /// `y = [x, 0...]`: `x` is `shape`, `y` has `outChannels >= shape.channels` channels.
    public static func padForward(input x: UnsafePointer<Float>, shape: TensorShape, outChannels: Int,
                                  output y: UnsafeMutablePointer<Float>) {
        let inBlock = shape.channels * shape.plane, outBlock = outChannels * shape.plane
        for n in 0..<shape.batch {
            (y + n * outBlock).update(from: x + n * inBlock, count: inBlock)
            (y + n * outBlock + inBlock).update(repeating: 0, count: outBlock - inBlock)
        }
    }

    /// `dx += dy[:, :C]`.
    public static func padBackward(gradOutput dy: UnsafePointer<Float>, shape: TensorShape, outChannels: Int,
                                   gradInput dx: UnsafeMutablePointer<Float>) {
        let inBlock = shape.channels * shape.plane, outBlock = outChannels * shape.plane
        for n in 0..<shape.batch {
            addInPlace(dx + n * inBlock, dy + n * outBlock, count: inBlock)
        }
    }

    /// `y = concat([a, b], dim 1)`; `a` has `aChannels`, `b` has `bChannels`, both `batch x plane`.
    public static func concatForward(_ a: UnsafePointer<Float>, aChannels: Int, _ b: UnsafePointer<Float>, bChannels: Int,
                                     batch: Int, plane: Int, output y: UnsafeMutablePointer<Float>) {
        let aBlock = aChannels * plane, bBlock = bChannels * plane
        for n in 0..<batch {
            (y + n * (aBlock + bBlock)).update(from: a + n * aBlock, count: aBlock)
            (y + n * (aBlock + bBlock) + aBlock).update(from: b + n * bBlock, count: bBlock)
        }
    }

    /// `da += dy[:, :Ca]`, `db += dy[:, Ca:]`; either may be nil (no gradient wanted).
    public static func concatBackward(gradOutput dy: UnsafePointer<Float>, aChannels: Int, bChannels: Int,
                                      batch: Int, plane: Int,
                                      gradA: UnsafeMutablePointer<Float>?, gradB: UnsafeMutablePointer<Float>?) {
        let aBlock = aChannels * plane, bBlock = bChannels * plane
        for n in 0..<batch {
            let block = dy + n * (aBlock + bBlock)
            if let gradA { addInPlace(gradA + n * aBlock, block, count: aBlock) }
            if let gradB { addInPlace(gradB + n * bBlock, block + aBlock, count: bBlock) }
        }
    }

    /// `y = a + b`.
    public static func addForward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                                  output y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = a[i] + b[i] }
    }

    /// `da += dy`, `db += dy`.
    public static func addBackward(gradOutput dy: UnsafePointer<Float>, count: Int,
                                   gradA: UnsafeMutablePointer<Float>?, gradB: UnsafeMutablePointer<Float>?) {
        if let gradA { addInPlace(gradA, dy, count: count) }
        if let gradB { addInPlace(gradB, dy, count: count) }
    }

    /// `target += source`.
    @inline(__always)
    public static func addInPlace(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { target[i] += source[i] }
    }
}
