import Tensors
/// Times `DNNLConv2D` on every distinct convolution of the ENet: what the
/// convolutions of one training step (forward + backward) cost.
public enum ConvBenchmark {
    /// The time of one distinct convolution, per call (median over the timed steps).
    public struct Layer: Codable {
        public var name: String
        public var geometry: String
        /// How many ENet layers share this geometry.
        public var count: Int
        public var layout: String
        public var implementations: [String: String]
        public var forwardMs: Double
        public var backwardMs: Double
        /// The same forward + backward without the reorders at the plain edges.
        public var primitivesOnlyMs: Double
        public var reorders: Int
        /// Bytes of reordered tensors the kernel places in the shared workspace.
        public var workspaceBytes: Int
        /// Forward + backward GFLOP (backward data only where the input gradient is needed).
        public var gflop: Double
    }

    /// One run's totals over a training step (every layer times its count).
    public struct Report: Codable {
        public var bench = "conv"
        public var implementation = "DNNLConv2D"
        public var size: Int
        public var batch: Int
        public var threads: Int
        public var steps: Int
        /// The layouts offered to each kernel and how it chose (`LayoutChoice`).
        public var layouts: [String]
        public var choice: String
        public var convolutions: Int
        public var distinct: Int
        public var forwardMs: Double
        public var backwardMs: Double
        /// Forward + backward of every convolution in one training step.
        public var stepMs: Double
        /// `stepMs` less the reorders between plain NCHW and oneDNN's layouts.
        public var primitivesOnlyMs: Double
        public var reorderMs: Double
        public var gflopPerStep: Double
        public var gflops: Double
        /// The shared workspace (the largest kernel's), and what one buffer set per
        /// ENet layer would take without sharing, in MB.
        public var workspaceMB: Double
        public var unsharedWorkspaceMB: Double
        /// What architecture.md quotes for comparison: all primitives (not only convolutions)
        /// of one step, summed in isolation, ~790 ms at 1 thread and ~425 ms at 2; convolutions 74 %.
        public var referenceAllPrimitivesMs: Double?
        public var referenceConvolutionsMs: Double?
        public var layers: [Layer]?
    }

    /// Runs the benchmark. Sets the thread count first: oneDNN sizes its kernels'
    /// work split when primitives are created.
    /// - Parameters:
    ///   - layouts: the activation layouts `DNNLConv2D` may choose from (all by default).
    ///   - choice: how it chooses (`.fastest` times each layout when the kernel is created).
    public static func run(size: Int, batch: Int, threads: Int, steps: Int = 5, warmup: Int = 2,
                           inChannels: Int = 1, classes: Int = 4,
                           layouts: [ConvLayout] = ConvLayout.allCases,
                           choice: LayoutChoice = .heuristic) throws -> Report {
        Threads.set(threads)
        var layers: [Layer] = []
        for (layer, count) in ENetConvolutions.distinct(size: size, batch: batch, inChannels: inChannels,
                                                        classes: classes) {
            layers.append(try time(layer, count: count, steps: steps, warmup: warmup, layouts: layouts, choice: choice))
        }
        let forward = layers.reduce(0) { $0 + $1.forwardMs * Double($1.count) }
        let backward = layers.reduce(0) { $0 + $1.backwardMs * Double($1.count) }
        let primitives = layers.reduce(0) { $0 + $1.primitivesOnlyMs * Double($1.count) }
        let gflop = layers.reduce(0) { $0 + $1.gflop * Double($1.count) }
        let reference: [Int: Double] = [1: 790, 2: 425]
        let step = forward + backward
        return Report(size: size, batch: batch, threads: Threads.count, steps: steps,
                      layouts: layouts.map(\.rawValue), choice: "\(choice)",
                      convolutions: layers.reduce(0) { $0 + $1.count }, distinct: layers.count,
                      forwardMs: rounded(forward), backwardMs: rounded(backward), stepMs: rounded(step),
                      primitivesOnlyMs: rounded(primitives), reorderMs: rounded(step - primitives),
                      gflopPerStep: rounded(gflop), gflops: rounded(gflop / (step / 1000)),
                      workspaceMB: rounded(Double(layers.map(\.workspaceBytes).max() ?? 0) / 1e6),
                      unsharedWorkspaceMB: rounded(Double(layers.reduce(0) { $0 + $1.workspaceBytes * $1.count }) / 1e6),
                      referenceAllPrimitivesMs: size == 256 && batch == 8 ? reference[threads] : nil,
                      referenceConvolutionsMs: size == 256 && batch == 8 ? reference[threads].map { rounded($0 * 0.74) } : nil,
                      layers: layers)
    }

    private static func time(_ layer: ENetConvolution, count: Int, steps: Int, warmup: Int,
                             layouts: [ConvLayout], choice: LayoutChoice) throws -> Layer {
        let g = layer.geometry
        let kernel = try DNNLConv2D(g, bias: layer.bias, inputGradient: layer.inputGradient, layouts: layouts,
                                    choice: choice)
        // Cheap deterministic values (SystemRandomNumberGenerator is a syscall per draw).
        var state: UInt32 = 12345
        func buffer(_ n: Int, random: Bool = true) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            for i in 0..<n {
                state = state &* 1_664_525 &+ 1_013_904_223
                p[i] = random ? Float(Int32(bitPattern: state)) / Float(Int32.max) : 0
            }
            return p
        }
        let x = buffer(g.inputCount), w = buffer(g.weightCount), b = buffer(g.outChannels)
        let dy = buffer(g.outputCount), y = buffer(g.outputCount, random: false)
        let dx = buffer(g.inputCount, random: false), dw = buffer(g.weightCount, random: false)
        let db = buffer(g.outChannels, random: false)
        defer { [x, w, b, dy, y, dx, dw, db].forEach { $0.deallocate() } }

        let clock = ContinuousClock()
        var forward: [Double] = [], backward: [Double] = [], primitives: [Double] = []
        for step in 0..<(warmup + steps) {
            let t0 = clock.now
            try kernel.forward(input: x, weight: w, bias: layer.bias ? UnsafePointer(b) : nil, output: y)
            let t1 = clock.now
            try kernel.backward(input: x, weight: w, gradOutput: dy, gradInput: layer.inputGradient ? dx : nil,
                                gradWeight: dw, gradBias: layer.bias ? db : nil)
            let t2 = clock.now
            try kernel.rerunPrimitivesOnly()
            let t3 = clock.now
            if step >= warmup {
                forward.append(milliseconds(t1 - t0))
                backward.append(milliseconds(t2 - t1))
                primitives.append(milliseconds(t3 - t2))
            }
        }
        let passes = layer.inputGradient ? 3.0 : 2.0
        return Layer(name: layer.name, geometry: g.description, count: count, layout: kernel.layout.rawValue,
                     implementations: kernel.implementations, forwardMs: rounded(median(forward)),
                     backwardMs: rounded(median(backward)), primitivesOnlyMs: rounded(median(primitives)),
                     reorders: kernel.reordersPerStep, workspaceBytes: kernel.workspaceBytes, gflop: rounded(Double(g.forwardFlops) * passes / 1e9))
    }

    private static func milliseconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
