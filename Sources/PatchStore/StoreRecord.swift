import Common

/// What a training run records about its patch store, in `config.json` and in every
/// checkpoint: which file it was (path, checksum, schema version) and the preprocessing
/// that made it, which `predict` repeats on new scans.
public struct StoreRecord: Codable, Equatable, Sendable {
    public var path: String
    public var schemaVersion: Int
    public var checksum: String
    public var kind: String
    public var classNames: [String]
    public var channelNames: [String]
    public var patchSize: [Int]
    public var sliceSize: Int
    public var normalisation: String
    public var trainPatches: Int

    /// The record of the store `reader` has open (reads the whole file once for its checksum).
    public init(_ reader: PatchStoreReader) throws {
        path = reader.path
        schemaVersion = StoreSpec.currentVersion
        checksum = try FileChecksum.fnv1a64(reader.path)
        kind = reader.kind
        classNames = reader.classNames
        channelNames = reader.channelNames
        patchSize = reader.patchSize
        sliceSize = reader.sliceSize
        normalisation = reader.normalisation
        trainPatches = reader.count(.train)
    }
}
