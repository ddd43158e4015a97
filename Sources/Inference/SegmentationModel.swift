import Common
import Foundation
import Losses
import Network

/// A trained ENet in inference mode (BatchNorm running statistics, no dropout) that
/// turns batches of C x H x W images into per-pixel class probabilities.
public final class SegmentationModel {
    /// The checkpoint (or plain weights file) it was loaded from.
    public let path: String
    let network: ENet

    /// Loads the weights of `path` (architecture read from the tensor shapes), oneDNN convolutions.
    public init(checkpoint path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ProgramError(.missingFile, path: path, "no such checkpoint") }
        self.path = path
        network = try ENet(weights: path, backend: .oneDNN)
    }

    public var inChannels: Int { network.inChannels }
    public var classes: Int { network.classes }

    /// Throws unless the model takes `channels` input channels and predicts `classes` classes.
    public func check(channels: Int, classes: Int, of data: String) throws {
        guard inChannels == channels, self.classes == classes else {
            throw ProgramError(.checkpoint, path: path, "the model takes \(inChannels) channel(s) and predicts \(self.classes) classes, "
                               + "but \(data) has \(channels) channel(s) and \(classes) classes")
        }
    }

    /// Softmax probabilities (n, K, h, w) for `n` images (n, C, h, w), eval mode.
    public func probabilities(_ images: UnsafeBufferPointer<Float>, count n: Int, height h: Int, width w: Int) throws -> [Float] {
        precondition(images.count >= n * inChannels * h * w)
        let logits = try network.forward(images.baseAddress!, shape: TensorShape(n, inChannels, h, w), training: false)
        var probabilities = [Float](repeating: 0, count: n * classes * h * w)
        probabilities.withUnsafeMutableBufferPointer {
            ClassSoftmax.apply(logits, into: $0, images: n, classes: classes, pixels: h * w)
        }
        return probabilities
    }

    /// `probabilities` for an array.
    public func probabilities(_ images: [Float], count n: Int, height h: Int, width w: Int) throws -> [Float] {
        try images.withUnsafeBufferPointer { try probabilities($0, count: n, height: h, width: w) }
    }

    /// Argmax over classes per pixel of (n, K, pixels) scores (lowest class on ties).
    public static func argmax(_ scores: [Float], images n: Int, classes k: Int, pixels: Int) -> [UInt8] {
        var labels = [UInt8](repeating: 0, count: n * pixels)
        for image in 0..<n {
            let base = image * k * pixels
            for p in 0..<pixels {
                var best = 0
                for c in 1..<k where scores[base + c * pixels + p] > scores[base + best * pixels + p] { best = c }
                labels[image * pixels + p] = UInt8(best)
            }
        }
        return labels
    }
}
