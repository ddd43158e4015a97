import Cluster
import Common
import Losses
import Network
import PatchStore
import Tensors

/// The paper's claim, measured: each loss and its gradients on a whole volume (all its pixels
/// as one image) against the same assembled from the volume's patches, dealt out across ranks.
///
/// Every rank runs the same fixed network in inference mode (BatchNorm running statistics, no
/// dropout), so a patch's logits do not depend on which other patches share its batch, and the
/// parameter gradient of a loss over the volume is the sum of per-patch backward passes with
/// that loss's logit-gradient slices. Patch j of a volume goes to rank j mod R.
///
/// Normalisations are chosen so that a loss that decomposes does so exactly: Mime is a plain
/// sum (normalizer 1) for the whole and the pieces; CE divides by the volume's pixel count in
/// both; the Dice family's `patch` pieces are averaged over the volume's patches, as a batch
/// of them is trained.
public final class Decomposition {
    /// One way of assembling a loss from the pieces.
    struct Variant {
        var kind: LossKind
        var scope: String
    }

    /// The losses and scopes compared, in table order.
    static let variants: [Variant] = [
        Variant(kind: .ce, scope: "sum"), Variant(kind: .mime, scope: "sum"),
        Variant(kind: .dice, scope: "patch"), Variant(kind: .dice, scope: "global"),
        Variant(kind: .vnet, scope: "patch"), Variant(kind: .vnet, scope: "global"),
        Variant(kind: .gdl, scope: "patch"), Variant(kind: .gdl, scope: "global"),
    ]

    let settings: DecomposeSettings
    let world: Communicator
    let reader: PatchStoreReader
    let split: Split
    let network: ENet
    let mimeWeights: MimeWeights
    /// Patch rows and columns, classes K, input channels C.
    let height: Int, width: Int, classes: Int, channels: Int

    /// Opens the store and builds the network; throws with a message naming the file on a
    /// missing store, an unknown split or a checkpoint for another architecture.
    public init(_ settings: DecomposeSettings, world: Communicator) throws {
        guard let split = Split(rawValue: settings.split) else {
            throw DecomposeError.invalidSetting("--split must be train, val or test, not '\(settings.split)'")
        }
        guard settings.volumes >= 0 else {
            throw DecomposeError.invalidSetting("--volumes must be >= 0 (0: all), got \(settings.volumes)")
        }
        guard settings.eps >= 0, settings.eps.isFinite else {
            throw DecomposeError.invalidSetting("--eps must be a finite number >= 0, got \(settings.eps)")
        }
        guard settings.threads >= 1 else {
            throw DecomposeError.invalidSetting("--threads must be >= 1, got \(settings.threads)")
        }
        self.settings = settings
        self.world = world
        self.split = split
        reader = try PatchStoreReader(path: settings.store)
        height = reader.patchSize[0]
        width = reader.patchSize[1]
        classes = reader.numClasses
        channels = reader.channels
        // The training reading of Mime's weights (docs/losses.md); only the sum normalisation differs.
        mimeWeights = try MimeWeights(counts: try reader.classVoxelCounts(.train).map(Double.init),
                                      patches: reader.count(.train), pixelsPerPatch: height * width,
                                      classNames: reader.classNames)
        Threads.set(settings.threads)
        network = ENet(inChannels: channels, classes: classes, seed: settings.seed, backend: .oneDNN)
        network.layerThreads = settings.threads
        if let path = settings.checkpoint {
            let architecture = try ENet.architecture(ofWeights: path)
            guard architecture == (channels, classes) else {
                throw DecomposeError.checkpointMismatch(path: path, inChannels: architecture.inChannels,
                                                        classes: architecture.classes,
                                                        storeChannels: channels, storeClasses: classes)
            }
            try network.loadWeights(from: path)
        }
        try network.validate(TensorShape(1, channels, height, width))
    }

    /// Compares every loss on the first `settings.volumes` volumes of the split (collective:
    /// every rank must call it). Every rank returns the same report.
    public func run() throws -> DecompositionReport {
        var volumes = try reader.volumes(split)
        if settings.volumes > 0 { volumes = Array(volumes.prefix(settings.volumes)) }
        guard !volumes.isEmpty else { throw DecomposeError.noVolumes(store: settings.store, split: settings.split) }
        let results = try volumes.map(compare)
        return DecompositionReport(settings: settings, ranks: world.size, classNames: reader.classNames,
                                   patchSize: reader.patchSize, volumes: results)
    }

    // MARK: One volume

    /// This rank's share of a volume: its patches' logits (batch layout) and labels.
    struct Share {
        var patches: [Int]
        var logits: [Float]
        var labels: [UInt8]
        var count: Int { patches.count }
    }

    func compare(_ volume: VolumeRecord) throws -> VolumeComparison {
        let p = volume.numPatches, pixels = height * width
        // Every rank needs every label (for the whole-volume loss) and the images of its own patches.
        var labels = [UInt8](repeating: 0, count: p * pixels)
        var image = [Float](repeating: 0, count: channels * pixels)
        let mine = Array(stride(from: world.rank, to: p, by: world.size))
        var images = [Float](repeating: 0, count: mine.count * channels * pixels)
        for j in 0..<p {
            try image.withUnsafeMutableBufferPointer { i in
                try labels.withUnsafeMutableBufferPointer { l in
                    try reader.readPatch(split, volume.firstPatch + j, image: i,
                                         label: UnsafeMutableBufferPointer(rebasing: l[(j * pixels)..<((j + 1) * pixels)]))
                }
            }
            if let slot = mine.firstIndex(of: j) {
                images.replaceSubrange((slot * channels * pixels)..<((slot + 1) * channels * pixels), with: image)
            }
        }
        if let index = labels.firstIndex(where: { Int($0) >= classes }) {
            throw ProgramError(.labelOutOfRange, path: settings.store,
                                  "volume \(volume.id): label \(labels[index]) in a store of \(classes) classes")
        }
        var share = Share(patches: mine, logits: [], labels: mine.flatMap { labels[($0 * pixels)..<(($0 + 1) * pixels)] })
        if share.count > 0 {
            // Eval mode (patches independent of their batch), but keep what backward reads.
            share.logits = try network.forward(images, shape: TensorShape(share.count, channels, height, width),
                                               training: false, retainActivations: true)
        }
        let whole = try wholeVolumeLogits(share, patches: p)
        let empty = Self.emptyClasses(labels: labels, patches: p, pixels: pixels, classes: classes)

        var rows: [ComparisonRow] = []
        for variant in Self.variants {
            rows.append(try compare(variant, share: share, patches: p, whole: whole, labels: labels))
        }
        return VolumeComparison(id: volume.id, patches: p, patchesWithEmptyClass: empty.patches,
                                emptyPatchesPerClass: empty.perClass, classesAbsentFromVolume: empty.absent, rows: rows)
    }

    /// All the volume's logits as one image: the patches stacked vertically, K x (P·H) x W.
    /// Gathered by a sum over ranks of buffers holding each rank's patches (x + 0 is exact).
    func wholeVolumeLogits(_ share: Share, patches p: Int) throws -> [Float] {
        let pixels = height * width
        var batch = [Float](repeating: 0, count: p * classes * pixels)
        for (slot, j) in share.patches.enumerated() {
            batch.replaceSubrange((j * classes * pixels)..<((j + 1) * classes * pixels),
                                  with: share.logits[(slot * classes * pixels)..<((slot + 1) * classes * pixels)])
        }
        try world.allreduceSum(&batch)
        var stacked = [Float](repeating: 0, count: batch.count)
        for j in 0..<p {
            for k in 0..<classes {
                let from = (j * classes + k) * pixels, to = (k * p + j) * pixels
                stacked.replaceSubrange(to..<(to + pixels), with: batch[from..<(from + pixels)])
            }
        }
        return stacked
    }

    /// Loss, logit gradient and parameter gradient of one variant, whole against pieces.
    func compare(_ variant: Variant, share: Share, patches p: Int, whole stacked: [Float],
                 labels: [UInt8]) throws -> ComparisonRow {
        let pixels = height * width
        // Whole: one image of P·H x W (labels of the stacked patches are already in that order).
        let wholeLoss = try Loss(variant.kind, options: LossOptions(eps: settings.eps, mimeWeights: mimeWeights,
                                                                     mimeNormalizer: 1))
        var stackedGradient = [Float]()
        let wholeResult = try wholeLoss.evaluate(logits: stacked, labels: labels,
                                                 shape: LossShape(images: 1, classes: classes, height: p * height, width: width),
                                                 logitGradient: &stackedGradient)
        // This rank's slices of the whole gradient, in batch layout.
        var wholeGradient = [Float](repeating: 0, count: share.count * classes * pixels)
        for (slot, j) in share.patches.enumerated() {
            for k in 0..<classes {
                let from = (k * p + j) * pixels, to = (slot * classes + k) * pixels
                wholeGradient.replaceSubrange(to..<(to + pixels), with: stackedGradient[from..<(from + pixels)])
            }
        }

        // Pieces: this rank's patches as a batch.
        let shape = LossShape(images: share.count, classes: classes, height: height, width: width)
        var options = LossOptions(eps: settings.eps, mimeWeights: mimeWeights, mimeNormalizer: 1,
                                  ceNormalizer: Double(p * pixels))
        var scale = 1.0
        switch variant.scope {
        case "patch":
            options.diceScope = .patch
            scale = Double(share.count) / Double(p)  // the batch's mean over its patches -> the volume's mean
        case "global":
            options.diceScope = .global
            options.reduceStatistics = { [world] in try world.allreduceSum(&$0) }
        default:
            break
        }
        var gradient = [Float]()
        let result = try Loss(variant.kind, options: options).evaluate(logits: share.logits, labels: share.labels,
                                                                       shape: shape, logitGradient: &gradient)
        if scale != 1 { for i in gradient.indices { gradient[i] *= Float(scale) } }

        var logitComparison = VectorComparison()
        logitComparison.add(reference: wholeGradient, candidate: gradient)
        // The global scope's loss and loss terms are already the volume's, identical on every rank.
        let isGlobal = variant.scope == "global"
        let localValue = isGlobal ? (world.isRoot ? result.value : 0) : result.value * scale
        let localTerms = isGlobal && !world.isRoot ? 0 : result.nonFiniteTermCount
        var sums = [localValue, Double(localTerms + result.nonFiniteGradientCount)] + logitComparison.sums
        try world.allreduceSum(&sums)
        let piecesValue = sums[0]
        logitComparison = VectorComparison(sums: sums[2...])

        var parameterComparison = VectorComparison()
        parameterComparison.add(reference: try parameterGradient(wholeGradient, share: share),
                                candidate: try parameterGradient(gradient, share: share))
        return ComparisonRow(loss: variant.kind.rawValue, scope: variant.scope, wholeValue: wholeResult.value,
                             piecesValue: piecesValue,
                             valueError: piecesValue == wholeResult.value ? 0 : abs(piecesValue - wholeResult.value) / abs(wholeResult.value),
                             logitGradientError: logitComparison.relativeError,
                             logitGradientCosine: logitComparison.cosine,
                             parameterGradientError: parameterComparison.relativeError,
                             parameterGradientCosine: parameterComparison.cosine,
                             wholeLogitGradientNorm: logitComparison.referenceNorm,
                             wholeParameterGradientNorm: parameterComparison.referenceNorm,
                             nonFinite: Int(sums[1]),
                             wholeNonFinite: wholeResult.nonFiniteTermCount + wholeResult.nonFiniteGradientCount)
    }

    /// Σ over the volume's patches (all ranks) of the parameter gradient of backward(logit gradient).
    /// Uses the activations of this rank's last forward (its share of the volume).
    func parameterGradient(_ logitGradient: [Float], share: Share) throws -> [Float] {
        var sum = [Float](repeating: 0, count: network.parameterCount)
        if share.count > 0 {
            try network.backward(gradLogits: logitGradient)
            sum = Array(UnsafeBufferPointer(start: network.store.gradients, count: network.parameterCount))
        }
        try world.allreduceSum(&sum)
        return sum
    }

    /// Patches with some class absent from the label, per class, and the classes absent from all.
    static func emptyClasses(labels: [UInt8], patches p: Int, pixels: Int, classes: Int)
        -> (patches: Int, perClass: [Int], absent: [Int]) {
        var perClass = [Int](repeating: 0, count: classes), inVolume = [Bool](repeating: false, count: classes)
        var patchesWithEmpty = 0
        for j in 0..<p {
            var present = [Bool](repeating: false, count: classes)
            for label in labels[(j * pixels)..<((j + 1) * pixels)] { present[Int(label)] = true }
            for k in 0..<classes where !present[k] { perClass[k] += 1 }
            if present.contains(false) { patchesWithEmpty += 1 }
            for k in 0..<classes where present[k] { inVolume[k] = true }
        }
        return (patchesWithEmpty, perClass, (0..<classes).filter { !inVolume[$0] })
    }
}
