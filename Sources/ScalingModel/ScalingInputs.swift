import Foundation

/// Everything the model is made from, as `scripts/scaling-model` saves it in one directory:
///
/// - `allreduce.jsonl`: `bench allreduce` lines with `transport` and `cores` added;
/// - `model-<size>.json`: `bench model --readiness` at each image size;
/// - `training.jsonl`: `scripts/bench-scaling` lines with `cores` and `steps` added;
/// - `io.json`: `bench io --json` on the store the training runs read;
///
/// and the networks to predict for (`networks.json`, α, bandwidth and sources).
public struct ScalingInputs: Sendable {
    public var measurements: [ExchangeMeasurement]
    /// By image size, ascending.
    public var profiles: [StepProfile]
    public var training: [TrainingRun]
    public var io: StoreReads?
    public var networks: [NetworkSpec]

    /// One world size of `scripts/bench-scaling`.
    public struct TrainingRun: Codable, Sendable {
        public var ranks: Int
        public var imagesPerSecond: Double
        /// Averaged over ranks: includes waiting for slower ranks.
        public var exposedMillisecondsPerStep: Double
        /// Per step on the rank that waited least (nil from builds before it was recorded).
        public var leastExposedMillisecondsPerStep: Double?
        public var exposedFraction: Double
        public var commBytesPerStep: Double?
        public var cores: Int

        enum CodingKeys: String, CodingKey {
            case ranks, cores
            case imagesPerSecond = "images_per_s", exposedMillisecondsPerStep = "exposed_comm_ms_per_step"
            case leastExposedMillisecondsPerStep = "exposed_comm_min_ms_per_step"
            case exposedFraction = "exposed_comm_fraction", commBytesPerStep = "comm_bytes_per_step"
        }
    }

    /// `bench io --json`: one rank reading the store in random order.
    public struct StoreReads: Codable, Sendable {
        public var patchesPerSecond: Double
        public var bytesPerPatch: Int
        public var fileBytesPerPatch: Double
        public var patchShape: [Int]
    }

    public init(measurements: [ExchangeMeasurement], profiles: [StepProfile], training: [TrainingRun],
                io: StoreReads?, networks: [NetworkSpec]) {
        self.measurements = measurements
        self.profiles = profiles.sorted { $0.size < $1.size }
        self.training = training.sorted { $0.ranks < $1.ranks }
        self.io = io
        self.networks = networks
    }

    /// Reads the measurements in `directory` and the networks in `networksFile`. The training
    /// runs and `io.json` are optional; the rest is not.
    public static func load(directory: String, networksFile: String) throws -> ScalingInputs {
        let folder = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ScalingModelError.invalidInput(path: directory, "not a readable directory")
        }
        let models = names.filter { $0.hasPrefix("model-") && $0.hasSuffix(".json") }.sorted()
        guard !models.isEmpty else {
            throw ScalingModelError.invalidInput(path: directory, "no model-<size>.json (bench model --readiness)")
        }
        let profiles = try models.map { try decode(StepProfile.self, folder.appendingPathComponent($0).path) }
        let training = folder.appendingPathComponent("training.jsonl").path
        let io = folder.appendingPathComponent("io.json").path
        return ScalingInputs(
            measurements: try lines(ExchangeMeasurement.self, folder.appendingPathComponent("allreduce.jsonl").path),
            profiles: profiles,
            training: FileManager.default.fileExists(atPath: training) ? try lines(TrainingRun.self, training) : [],
            io: FileManager.default.fileExists(atPath: io) ? try decode(StoreReads.self, io) : nil,
            networks: try decode([NetworkSpec].self, networksFile))
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as DecodingError {
            throw ScalingModelError.invalidInput(path: path, "not the expected JSON (\(error))")
        } catch {
            throw ScalingModelError.invalidInput(path: path, "cannot read: \(error.localizedDescription)")
        }
    }

    private static func lines<T: Decodable>(_ type: T.Type, _ path: String) throws -> [T] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScalingModelError.invalidInput(path: path, "cannot read: \(error.localizedDescription)")
        }
        return try text.split(separator: "\n").enumerated().map { index, line in
            do {
                return try JSONDecoder().decode(T.self, from: Data(line.utf8))
            } catch {
                throw ScalingModelError.invalidInput(path: path, "line \(index + 1): not the expected JSON (\(error))")
            }
        }
    }
}
