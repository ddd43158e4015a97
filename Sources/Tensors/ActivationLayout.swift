/// How an activation tensor (`N x C x H x W` float32) is laid out in memory.
///
/// `nChw16c` is oneDNN's blocked layout: channels in blocks of 16, the block's
/// 16 values of one pixel side by side, `C` rounded up to a multiple of 16 with
/// the padding lanes kept zero. oneDNN's fastest AVX-512 convolutions read and
/// write it, so a network that keeps its activations in it between layers needs
/// no reorders except at its edges.
public enum ActivationLayout: String, Sendable, CaseIterable {
    /// Plain row-major `N x C x H x W` (PyTorch's default).
    case nchw
    /// `N x ceil(C/16) x H x W x 16`.
    case nChw16c

    /// Channels per block (1 for `nchw`).
    public var block: Int { self == .nchw ? 1 : 16 }

    /// Channels once rounded up to whole blocks.
    public func paddedChannels(_ channels: Int) -> Int {
        (channels + block - 1) / block * block
    }

    /// Floats a tensor of this shape takes in this layout (padding included).
    public func storageCount(batch: Int, channels: Int, height: Int, width: Int) -> Int {
        batch * paddedChannels(channels) * height * width
    }

    /// The position of element `(n, c, p)`, with `p = y * W + x` and `plane = H * W`.
    @inline(__always)
    public func offset(n: Int, c: Int, p: Int, channels: Int, plane: Int) -> Int {
        switch self {
        case .nchw: return (n * channels + c) * plane + p
        case .nChw16c: return ((n * ((channels + 15) >> 4) + (c >> 4)) * plane + p) << 4 | (c & 15)
        }
    }
}

internal import CDNNL

extension ActivationLayout {
    /// oneDNN's format tag for this layout.
    var tag: dnnl_format_tag_t { self == .nchw ? dnnl_nchw : dnnl_nChw16c }
}
