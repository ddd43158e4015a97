import Foundation

/// The sizes and counts this program accepts, from flags and from files (README, *Limits*).
/// Each is checked before anything is allocated, so a hostile value is an error, not a trap.
public enum Limits {
    /// Patches per rank per micro-batch (`--batch`), and per forward pass in evaluate/predict.
    public static let batch = 1...1024
    /// Micro-batches per step (`--accumulate`).
    public static let accumulate = 1...1024
    /// OpenMP threads per rank (`--threads`).
    public static let threads = 1...1024
    /// Epochs (`--epochs`).
    public static let epochs = 1...1_000_000
    /// Slice and patch sides in pixels (`--size`, `--patch`, a store's patch_size): multiples of 8 (the ENet pools three times).
    public static let side = 8...4096
    /// Parallel volumes in preprocess (`--workers`).
    public static let workers = 1...256
    /// Synthetic patients or subjects, their in-plane width and slices (`synth`).
    public static let patients = 1...10_000
    public static let synthWidth = 32...1024
    public static let synthSlices = 3...512
    /// Classes K (background included) and input channels C of a model or a store.
    public static let classes = 2...256
    public static let channels = 1...15
    /// Voxels in one volume (NIfTI input, or a store's volume): 2^28, 1 GiB as float32.
    public static let voxels = 1 << 28
    /// Patches in one split of a store (and rows of any table read whole).
    public static let patches = 1 << 28
    /// Bytes between a NIfTI header and its voxels (extensions): 64 MiB.
    public static let niftiExtensionBytes = 64 << 20

    /// `values` multiplied, or nil when the product overflows or a factor is negative.
    public static func product(_ values: [Int]) -> Int? {
        var result = 1
        for value in values {
            guard value >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            result = next
        }
        return result
    }
}

/// Checks of flag values; each failure is `ProgramError.invalidValue` (exit 64) naming the flag.
public enum Check {
    /// `value` must lie in `range`.
    public static func range(_ value: Int, _ range: ClosedRange<Int>, flag: String) throws {
        guard range.contains(value) else {
            throw ProgramError.invalidValue("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    /// `value` must lie in `Limits.side` and be a multiple of 8.
    public static func side(_ value: Int, flag: String) throws {
        try range(value, Limits.side, flag: flag)
        guard value % 8 == 0 else {
            throw ProgramError.invalidValue("\(flag) must be a multiple of 8 (the ENet pools three times), got \(value)")
        }
    }

    /// A real setting used as a 32-bit float: finite, at least `minimum` (or above it when
    /// `strictly`), and still finite (and non-zero when positive) once rounded to a Float.
    public static func float(_ value: Double, flag: String, minimum: Double = 0, strictly: Bool = false) throws {
        let bound = strictly ? "greater than \(minimum)" : "at least \(minimum)"
        guard value.isFinite else { throw ProgramError.invalidValue("\(flag) must be a finite number, got \(value)") }
        guard strictly ? value > minimum : value >= minimum else {
            throw ProgramError.invalidValue("\(flag) must be \(bound), got \(value)")
        }
        let single = Float(value)
        guard single.isFinite else {
            throw ProgramError.invalidValue("\(flag) \(value) is too large for a 32-bit float (at most \(Float.greatestFiniteMagnitude))")
        }
        guard !(strictly && minimum == 0 && single == 0) else {
            throw ProgramError.invalidValue("\(flag) \(value) is 0 as a 32-bit float (at least \(Float.leastNonzeroMagnitude))")
        }
    }

    /// One batch's input (`batch` x `channels` x `height` x `width` floats) must stay below 2^30
    /// values (4 GiB): a product that large is a typo, not a job this program runs.
    public static func batchSize(_ batch: Int, channels: Int, height: Int, width: Int, flag: String = "--batch") throws {
        guard let values = Limits.product([batch, channels, height, width]), values <= 1 << 30 else {
            throw ProgramError.invalidValue("\(flag) \(batch) of \(channels)x\(height)x\(width) patches is more than 2^30 input values")
        }
    }

    /// An output file: a name, not a directory.
    public static func outputFile(_ path: String, flag: String) throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ProgramError.invalidValue("\(flag) is empty: give a file name for the output")
        }
        var isDirectory: ObjCBool = false
        guard !(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue) else {
            throw ProgramError.invalidValue("\(flag) \(path) is a directory: give a file name for the output")
        }
    }

    /// An output directory: not empty, and not the file system's root or a system directory
    /// (a run there would scatter its files over the system).
    public static func outputDirectory(_ path: String, flag: String = "--out") throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ProgramError.invalidValue("\(flag) is empty: give a directory for the outputs")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.path
        let system = ["/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"]
        guard !system.contains(resolved) else {
            throw ProgramError.invalidValue("\(flag) '\(path)' is \(resolved), a system directory: choose a directory of your own")
        }
    }
}
