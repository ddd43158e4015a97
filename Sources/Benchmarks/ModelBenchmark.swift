import Common
import ENetTraining
import Foundation
import Losses
import Network
import ScalingModel
import Tensors

/// `bench model`: the training step this program runs (forward, softmax + loss,
/// backward, Adam) and inference, on random data, timed like
/// `enet_torch.py --bench` (warm-up, then the median of timed steps).
public enum ModelBenchmark {
    public struct Report: Codable {
        public var impl = "swift-dist-train"
        public var threads: Int
        public var batch: Int
        public var size: Int
        public var inChannels: Int
        public var classes: Int
        public var loss: String
        public var params: Int
        /// BatchNorm running statistics (floats averaged over ranks each epoch).
        public var runningStatistics: Int
        public var steps: Int
        public var trainImagesPerSecond: Double
        public var inferImagesPerSecond: Double
        /// Training FLOP (3 x forward) per second, in GFLOP/s.
        public var trainGflops: Double
        public var peakRSSMiB: Double
        /// Median seconds of a training step's backward pass (part of the step).
        public var backwardSeconds: Double
        /// When each part of the gradient buffer is final during backward (with `readiness`).
        public var gradientReadiness: BackwardTimeline?

        enum CodingKeys: String, CodingKey {
            case impl, threads, batch, size, classes, loss, params, steps
            case inChannels = "in_ch"
            case runningStatistics = "running_statistics"
            case trainImagesPerSecond = "train_img_s"
            case inferImagesPerSecond = "infer_img_s"
            case trainGflops = "train_gflop_s"
            case peakRSSMiB = "peak_rss_mib"
            case backwardSeconds = "backward_s"
            case gradientReadiness = "gradient_readiness"
        }
    }

    /// - Parameter readiness: also report when each part of the gradient buffer is final
    ///   during backward (`BackwardTimeline`), what the gradient exchange can overlap.
    public static func run(size: Int, batch: Int, classes: Int, inChannels: Int = 1, threads: Int,
                           loss kind: LossKind = .dice, steps: Int = 15, warmup: Int = 3, seed: UInt64 = 0,
                           readiness: Bool = false) throws -> Report {
        Threads.set(threads)
        let network = ENet(inChannels: inChannels, classes: classes, seed: seed, backend: .oneDNN)
        network.layerThreads = threads
        let model = ENetReplica(network)
        let optimizer = Adam(count: network.parameterCount, learningRate: 5e-4)
        let loss = try Loss(kind)
        var generator = SplitMix64(seed: seed &+ 1)
        let pixels = batch * size * size
        let input: [Float] = (0..<(pixels * inChannels)).map { _ in Float(2 * generator.uniform() - 1) }
        let labels: [UInt8] = (0..<pixels).map { _ in UInt8(generator.next() % UInt64(classes)) }
        var gradient = [Float](repeating: 0, count: batch * classes * size * size)
        let shape = LossShape(images: batch, classes: classes, height: size, width: size)

        var recorder = BackwardRecorder()
        var passes: [(backwardSeconds: Double, points: [BackwardTimeline.Point])] = []
        func trainStep() throws {
            let logits = try input.withUnsafeBufferPointer {
                try model.forward($0, batch: batch, height: size, width: size, training: true, dropoutSeed: 1)
            }
            _ = try labels.withUnsafeBufferPointer { l in
                try gradient.withUnsafeMutableBufferPointer { try loss.evaluate(logits: logits, labels: l, shape: shape, logitGradient: $0) }
            }
            recorder.begin()
            try gradient.withUnsafeBufferPointer { try model.backward($0) { recorder.record(offset: $0) } }
            recorder.end()
            passes.append((recorder.seconds, recorder.points))
            optimizer.apply(gradients: UnsafeBufferPointer(model.gradients), to: model.parameters)
        }
        var probabilities = [Float](repeating: 0, count: batch * classes * size * size)
        func inferStep() throws {
            let logits = try input.withUnsafeBufferPointer {
                try model.forward($0, batch: batch, height: size, width: size, training: false, dropoutSeed: 0)
            }
            // Like the reference's inference step: softmax over the classes, nothing else.
            probabilities.withUnsafeMutableBufferPointer {
                ClassSoftmax.apply(logits, into: $0, images: batch, classes: classes, pixels: size * size)
            }
        }
        let train = try median(of: steps, warmup: warmup, trainStep)
        let timeline = BackwardTimeline(medianOf: Array(passes.suffix(steps)))
        let infer = try median(of: steps, warmup: warmup, inferStep)
        let forwardGflop = try network.summary(height: size, width: size).gflopPerImage
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Report(threads: threads, batch: batch, size: size, inChannels: inChannels, classes: classes, loss: kind.rawValue,
                      params: network.parameterCount, runningStatistics: network.store.bufferCount, steps: steps,
                      trainImagesPerSecond: Double(batch) / train, inferImagesPerSecond: Double(batch) / infer,
                      trainGflops: 3 * forwardGflop * Double(batch) / train,
                      peakRSSMiB: Double(usage.ru_maxrss) / 1024, backwardSeconds: timeline.backwardSeconds,
                      gradientReadiness: readiness ? timeline : nil)
    }

    /// Median seconds of `steps` timed calls after `warmup` untimed ones.
    static func median(of steps: Int, warmup: Int, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
