import PatchStore
import Training

/// One split of a patch store as a `PatchSource`.
public final class StorePatchSource: PatchSource {
    public let reader: PatchStoreReader
    public let split: Split

    public init(_ reader: PatchStoreReader, split: Split) {
        self.reader = reader
        self.split = split
    }

    public var count: Int { reader.count(split) }
    public var channels: Int { reader.channels }
    public var height: Int { reader.patchSize[0] }
    public var width: Int { reader.patchSize[1] }

    public func read(_ index: Int, image: UnsafeMutableBufferPointer<Float>, label: UnsafeMutableBufferPointer<UInt8>) throws {
        try reader.readPatch(split, index, image: image, label: label)
    }
}
