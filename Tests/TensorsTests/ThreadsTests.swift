import Common
import Tensors
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ThreadsTests: XCTestCase {
    /// The OpenMP functions are found at run time through libdnnl's libgomp.
    func testSetChangesTheCountOneDNNReads() {
        let original = Threads.count
        defer { Threads.set(original) }
        Threads.set(1)
        XCTAssertEqual(Threads.count, 1)
        Threads.set(3)
        XCTAssertEqual(Threads.count, 3)
    }

    /// With one thread, a oneDNN convolution uses no more CPU time than wall
    /// time: the setting reaches oneDNN's parallel regions. (The converse, two
    /// threads giving a speed-up, depends on the machine's load and is measured
    /// with `swift-dist-train bench conv --threads 2` instead.)
    func testOneThreadKeepsOneDNNOnOneCore() throws {
        let original = Threads.count
        defer { Threads.set(original) }
        Threads.set(1)
        let g = Conv2DGeometry(batch: 4, inChannels: 32, outChannels: 32, height: 32, width: 32, kernel: (3, 3),
                               padding: (1, 1))
        let conv = try DNNLConv2D(g)
        var rng = SplitMix64(seed: 1)
        let x = randomFloats(g.inputCount, &rng), w = randomFloats(g.weightCount, &rng)
        var y = [Float](repeating: 0, count: g.outputCount)
        try conv.forward(input: x, weight: w, bias: nil, output: &y) // warm-up: JIT code generation
        let (cpu0, wall0) = (cpuSeconds(), wallSeconds())
        for _ in 0..<100 { try conv.forward(input: x, weight: w, bias: nil, output: &y) }
        let (cpu, wall) = (cpuSeconds() - cpu0, wallSeconds() - wall0)
        XCTAssertLessThan(cpu / wall, 1.3, "cpu \(cpu) s in \(wall) s")
    }

    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    private func wallSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
