import Common
import Foundation
import PatchStore

/// The built-in synthetic datasets.
public enum SynthDataset: String, CaseIterable, Sendable {
    case acdc, wmh
}

/// What `synth` wrote.
public struct SynthSummary: Sendable {
    public var subjects: Int
    public var files: [String]
}

/// Generates a synthetic dataset in the layout of the real download.
public enum Synth {
    /// Writes `count` patients/subjects (default 12 for ACDC, 10 for WMH) under `directory`.
    ///
    /// - Parameters:
    ///   - width: in-plane size before per-subject variation (defaults 96 for ACDC, 128 for WMH).
    ///   - slices: slices per volume before variation (defaults 8 for ACDC, 12 for WMH).
    public static func generate(_ dataset: SynthDataset, to directory: String, count: Int? = nil, seed: UInt64 = 0,
                                width: Int? = nil, slices: Int? = nil) throws -> SynthSummary {
        let n = count ?? (dataset == .acdc ? 12 : 10)
        let w = width ?? (dataset == .acdc ? 96 : 128), s = slices ?? (dataset == .acdc ? 8 : 12)
        // Checked before the directory is made: nothing is left behind by a refused request.
        try Check.outputDirectory(directory)
        try Check.range(n, Limits.patients, flag: "--patients")
        try Check.range(w, Limits.synthWidth, flag: "--width")
        try Check.range(s, Limits.synthSlices, flag: "--slices")
        // Volumes vary by up to 8 pixels and one slice per subject.
        guard let voxels = Limits.product([w + 8, w + 8, s + 1]), voxels <= Limits.voxels else {
            throw ProgramError.invalidValue("--width \(w) and --slices \(s) make volumes of more than \(Limits.voxels) voxels")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ProgramError(.writeFailed, path: directory, "cannot create directory: \(error.localizedDescription)")
        }
        var files: [String] = []
        for i in 0..<n {
            var rng = SplitMix64(seed: seed, stream: i)
            switch dataset {
            case .acdc: files += try SynthACDC.writePatient(i + 1, width: w, slices: s, rng: &rng, under: directory)
            case .wmh: files += try SynthWMH.writeSubject(i, width: w, slices: s, rng: &rng, under: directory)
            }
        }
        return SynthSummary(subjects: n, files: files)
    }
}

/// Image-formation effects shared by the generators.
enum Acquisition {
    /// A smooth multiplicative intensity inhomogeneity (bias field) around 1.
    struct BiasField {
        var gx, gy, gz, amplitude, fx, fy, phase: Double
        init(rng: inout SplitMix64, strength: Double) {
            gx = rng.uniform(-1, 1) * strength
            gy = rng.uniform(-1, 1) * strength
            gz = rng.uniform(-1, 1) * strength * 0.5
            amplitude = rng.uniform(0.3, 1) * strength * 0.5
            fx = rng.uniform(0.5, 1.5)
            fy = rng.uniform(0.5, 1.5)
            phase = rng.uniform(0, 2 * .pi)
        }
        /// The factor at normalised coordinates u, v, w in [0, 1].
        func at(_ u: Double, _ v: Double, _ w: Double) -> Double {
            1 + gx * (u - 0.5) + gy * (v - 0.5) + gz * (w - 0.5) + amplitude * sin(2 * .pi * (fx * u + fy * v) + phase)
        }
    }

    /// Applies a 3x3 in-plane box blur (partial-volume effect), the bias field and
    /// Rician noise (magnitude of a complex signal with Gaussian noise of `sigma`).
    static func finish(_ clean: [Double], shape: [Int], bias: BiasField, sigma: Double, rng: inout SplitMix64) -> [Float] {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var out = [Float](repeating: 0, count: clean.count)
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    var sum = 0.0, n = 0.0
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let xx = x + dx, yy = y + dy
                            guard xx >= 0, xx < nx, yy >= 0, yy < ny else { continue }
                            sum += clean[xx + nx * (yy + ny * z)]
                            n += 1
                        }
                    }
                    let signal = sum / n * bias.at(Double(x) / Double(nx), Double(y) / Double(ny), Double(z) / Double(max(nz - 1, 1)))
                    let re = signal + sigma * rng.normal(), im = sigma * rng.normal()
                    out[x + nx * (y + ny * z)] = Float((re * re + im * im).squareRoot())
                }
            }
        }
        return out
    }
}
