/// The 16 channels of one pixel in a `nChw16c` tensor, as one vector (unaligned
/// loads and stores: the slot allocator does not promise 64-byte alignment).
typealias Lanes = SIMD16<Float>

extension Lanes {
    @inline(__always)
    init(at p: UnsafePointer<Float>) { self = UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

    @inline(__always)
    func store(at p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Lanes.self) }

    /// `values[first + lane]` for the lanes below `count`, 0 in the others (padding lanes).
    @inline(__always)
    init(_ values: UnsafePointer<Float>, first: Int, count: Int) {
        self.init()
        for lane in 0..<Swift.min(16, count - first) { self[lane] = values[first + lane] }
    }

    /// 1 in the lanes below `count`, 0 in the others.
    @inline(__always)
    static func mask(count: Int) -> Lanes {
        var m = Lanes()
        for lane in 0..<Swift.min(16, count) { m[lane] = 1 }
        return m
    }
}

extension SIMD16<Double> {
    /// Adds the Float lanes of `v` in Double.
    @inline(__always)
    mutating func add(_ v: Lanes) {
        for lane in 0..<16 { self[lane] += Double(v[lane]) }
    }
}

extension TensorShape {
    /// `N x ceil(C/16)`: the number of `H x W x 16` blocks in a `nChw16c` tensor.
    var blockPlanes: Int { batch * ((channels + 15) / 16) }
}
