import Tensors

/// A run of channels of one tensor in either layout: the part of a
/// concatenation or a channel padding that one input contributes.
struct ChannelSlice {
    var base: UnsafeMutablePointer<Float>
    var layout: ActivationLayout
    /// Channels of the whole tensor.
    var channels: Int
    /// The slice's first channel.
    var first: Int
}

/// Copies (or adds) channel runs between tensors of any two layouts, for
/// `ConcatLayer` and `ChannelPadLayer` on blocked activations. Between two blocked
/// tensors whose runs start on a block boundary whole blocks move as vectors (lanes
/// past the run masked off when adding, so padding lanes stay zero); otherwise
/// channel by channel with each layout's stride.
enum ChannelTransfer {
    /// `target[:, t.first + k] (=|+=) source[:, s.first + k]` for `k < count`.
    static func run(count: Int, batch: Int, plane: Int, from s: ChannelSlice, to t: ChannelSlice, accumulate: Bool) {
        if s.layout == .nChw16c && t.layout == .nChw16c && s.first % 16 == 0 && t.first % 16 == 0 {
            let (sBlocks, tBlocks) = ((s.channels + 15) / 16, (t.channels + 15) / 16)
            for n in 0..<batch {
                for k in 0..<((count + 15) / 16) {
                    let from = s.base + (n * sBlocks + s.first / 16 + k) * plane * 16
                    let to = t.base + (n * tBlocks + t.first / 16 + k) * plane * 16
                    let lanes = min(16, count - 16 * k)
                    if accumulate {
                        let mask = Lanes.mask(count: lanes)
                        for q in 0..<plane { (Lanes(at: to + q * 16) + Lanes(at: from + q * 16) * mask).store(at: to + q * 16) }
                    } else if lanes == 16 {
                        to.update(from: from, count: plane * 16)
                    } else {
                        let keep = Lanes.mask(count: lanes) .== 0
                        for q in 0..<plane {
                            var v = Lanes(at: from + q * 16)
                            v.replace(with: Lanes(at: to + q * 16), where: keep)
                            v.store(at: to + q * 16)
                        }
                    }
                }
            }
            return
        }
        let (sStride, tStride) = (s.layout.block, t.layout.block)
        for n in 0..<batch {
            for k in 0..<count {
                let from = s.base + s.layout.offset(n: n, c: s.first + k, p: 0, channels: s.channels, plane: plane)
                let to = t.base + t.layout.offset(n: n, c: t.first + k, p: 0, channels: t.channels, plane: plane)
                if accumulate {
                    for q in 0..<plane { to[q * tStride] += from[q * sStride] }
                } else {
                    for q in 0..<plane { to[q * tStride] = from[q * sStride] }
                }
            }
        }
    }
}
