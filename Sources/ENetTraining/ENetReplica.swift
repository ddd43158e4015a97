import Network
import Training

/// The ENet as the trainer sees it: flat buffers, forward, backward.
public final class ENetReplica: TrainableModel {
    public let network: ENet

    public init(_ network: ENet) {
        self.network = network
    }

    public var inChannels: Int { network.inChannels }
    public var classes: Int { network.classes }

    public var parameters: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: network.store.parameters, count: network.store.parameterCount)
    }

    public var gradients: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: network.store.gradients, count: network.store.parameterCount)
    }

    public var statistics: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: network.store.buffers, count: network.store.bufferCount)
    }

    public func forward(_ input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                        training: Bool, dropoutSeed: UInt64) throws -> UnsafeBufferPointer<Float> {
        if training { network.reseedDropout(dropoutSeed) }
        return try network.forward(input.baseAddress!, shape: TensorShape(batch, inChannels, height, width),
                                   training: training)
    }

    public func backward(_ gradLogits: UnsafeBufferPointer<Float>,
                         gradientsFinal: (_ offset: Int) throws -> Void) throws {
        try network.backward(gradLogits: gradLogits.baseAddress!, gradientsFinal: gradientsFinal)
    }
}

extension Adam: Optimizer {
    public var rate: Double {
        get { Double(learningRate) }
        set { learningRate = Float(newValue) }
    }

    public func apply(gradients: UnsafeBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>) {
        update(parameters: parameters.baseAddress!, gradients: gradients.baseAddress!)
    }
}
