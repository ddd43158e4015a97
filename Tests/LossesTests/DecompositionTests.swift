import XCTest
@testable import Losses

/// The paper's section 2: Mime's sum decomposes over any tiling of an image into patches, the
/// Dice family's ratios do not, and an empty patch makes the raw Dice divide by zero.
final class DecompositionTests: XCTestCase {
    let image = LossShape(images: 1, classes: 3, height: 8, width: 8)
    let weights = try! MimeWeights(a: [0.05, 0.5, 2], b: [0.4, 0.03, 0.02])

    /// One 8x8 image; class 2 is absent from the label in the top-left 4x4 quarter. The logits
    /// are those of a fair network: random plus a margin of 3 for the labelled class.
    func makeImage(emptyLogit: Double? = nil) -> Batch {
        var batch = Batch.random(image, seed: 31)
        let hw = image.pixelsPerImage
        for y in 0..<4 {
            for x in 0..<4 {
                let p = y * image.width + x
                if batch.labels[p] == 2 { batch.labels[p] = UInt8(p % 2) }
            }
        }
        for p in 0..<hw { batch.logits[Int(batch.labels[p]) * hw + p] += 3 }
        // A confident network: class 2's probability underflows to exactly 0 in the empty quarter.
        if let emptyLogit {
            for y in 0..<4 {
                for x in 0..<4 { batch.logits[2 * hw + y * image.width + x] = emptyLogit }
            }
        }
        return batch
    }

    /// The image cut into patches of `height` x `width`, as a batch of patches (row-major tiles),
    /// and the map from (patch logit index) to (image logit index).
    func tiles(_ batch: Batch, height: Int, width: Int) -> (Batch, [Int]) {
        let tilesY = image.height / height, tilesX = image.width / width
        let shape = LossShape(images: tilesY * tilesX, classes: image.classes, height: height, width: width)
        var logits = [Double](), labels = [UInt8](), map = [Int]()
        for ty in 0..<tilesY {
            for tx in 0..<tilesX {
                for k in 0..<image.classes {
                    for y in 0..<height {
                        for x in 0..<width {
                            let p = (ty * height + y) * image.width + tx * width + x
                            map.append(k * image.pixelsPerImage + p)
                            logits.append(batch.logits[k * image.pixelsPerImage + p])
                        }
                    }
                }
                for y in 0..<height {
                    for x in 0..<width { labels.append(batch.labels[(ty * height + y) * image.width + tx * width + x]) }
                }
            }
        }
        return (Batch(shape: shape, logits: logits, labels: labels), map)
    }

    /// A patch gradient put back in the image's layout.
    func assemble(_ gradient: [Double], _ map: [Int]) -> [Double] {
        var whole = [Double](repeating: .nan, count: image.logitCount)
        for (i, target) in map.enumerated() { whole[target] = gradient[i] }
        return whole
    }

    func testMimeDecomposesOverAnyTiling() throws {
        let batch = makeImage()
        // The same content-independent normalizer for the whole and the pieces.
        let loss = try Loss(.mime, options: LossOptions(mimeWeights: weights, mimeNormalizer: 64))
        let (whole, wholeGradient) = try evaluate(loss, batch)
        for (h, w) in [(4, 4), (2, 8), (8, 1), (1, 1)] {
            let (patches, map) = tiles(batch, height: h, width: w)
            // Patch by patch, as separate calls (as on separate ranks), summed.
            var sum = 0.0
            var gradient = [Double](repeating: 0, count: patches.shape.logitCount)
            for j in 0..<patches.shape.images {
                let (result, g) = try evaluate(loss, patches.images(j..<j + 1))
                sum += result.value
                let size = image.classes * h * w
                gradient.replaceSubrange(j * size..<(j + 1) * size, with: g)
            }
            XCTAssertEqual(sum, whole.value, accuracy: 1e-14 * abs(whole.value), "tiles \(h)x\(w)")
            XCTAssertEqual(assemble(gradient, map), wholeGradient, "tiles \(h)x\(w)")  // bit-identical per pixel
        }
    }

    func testMimeDecomposesInFloat() throws {
        let batch = makeImage()
        let loss = try Loss(.mime, options: LossOptions(mimeWeights: weights, mimeNormalizer: 64))
        var wholeGradient = [Float]()
        let whole = try loss.evaluate(logits: batch.logits.map { Float($0) }, labels: batch.labels, shape: image,
                                      logitGradient: &wholeGradient)
        let (patches, map) = tiles(batch, height: 4, width: 2)
        var patchGradient = [Float]()
        let pieces = try loss.evaluate(logits: patches.logits.map { Float($0) }, labels: patches.labels,
                                       shape: patches.shape, logitGradient: &patchGradient)
        XCTAssertEqual(pieces.value, whole.value, accuracy: 1e-6 * abs(whole.value))
        assertClose(assemble(patchGradient.map { Double($0) }, map), wholeGradient.map { Double($0) },
                    absolute: 0, relative: 1e-6, "float mime tiles")
    }

    func testDiceFamilyDoesNotDecompose() throws {
        let batch = makeImage()
        let (patches, map) = tiles(batch, height: 4, width: 4)
        for kind in [LossKind.dice, .vnet, .gdl] {
            let loss = try Loss(kind, options: LossOptions(diceScope: .patch))
            let (whole, wholeGradient) = try evaluate(loss, batch)
            // Measured: value errors 0.14 (dice), 0.31 (vnet), 0.46 (gdl); gradient relative L2
            // errors 0.28, 0.31, 0.60 -- against Mime's 1e-14 above.
            // Trained on patches: the mean of the patches' Dice, and its gradient.
            let (pieces, patchGradient) = try evaluate(loss, patches)
            XCTAssertTrue(pieces.isFinite, "\(kind)")
            let valueError = abs(pieces.value - whole.value) / abs(whole.value)
            let gradientError = relativeL2(assemble(patchGradient, map), wholeGradient)
            XCTAssertGreaterThan(valueError, 0.1, "\(kind): patch mean \(pieces.value), whole \(whole.value)")
            XCTAssertGreaterThan(gradientError, 0.2, "\(kind)")
        }
    }

    func testRawDiceOfAnEmptyPatchIsNonFiniteAndCounted() throws {
        let batch = makeImage(emptyLogit: -1000)
        let (patches, _) = tiles(batch, height: 4, width: 4)
        let emptyPatch = patches.images(0..<1)
        for kind in [LossKind.dice, .vnet, .gdl, .diceCE, .gdlCE] {
            let (raw, gradient) = try evaluate(try Loss(kind, options: LossOptions(eps: 0)), emptyPatch)
            XCTAssertFalse(raw.isFinite, "\(kind)")
            XCTAssertFalse(raw.value.isFinite, "\(kind)")
            XCTAssertGreaterThan(raw.terms[0].nonFiniteTerms[2], 0, "\(kind): class 2 is the empty one")
            XCTAssertEqual(raw.terms[0].nonFiniteTerms[0], 0, "\(kind): class 0 is fine")
            XCTAssertGreaterThan(raw.nonFiniteGradient[2], 0, "\(kind)")
            XCTAssertEqual(raw.nonFiniteGradientCount, gradient.filter { !$0.isFinite }.count, "\(kind)")

            // The default eps turns 0/0 into eps/eps = 1: a perfect score for the empty class.
            let (smoothed, smoothGradient) = try evaluate(try Loss(kind), emptyPatch)
            XCTAssertTrue(smoothed.isFinite, "\(kind)")
            XCTAssertTrue(smoothGradient.allSatisfy(\.isFinite), "\(kind)")
        }
        // GDL divides by zero even without underflow: w_k = 1/0² for a class absent from the label.
        let (gdl, _) = try evaluate(try Loss(.gdl, options: LossOptions(eps: 0)), makeImage().images(0..<1))
        XCTAssertTrue(gdl.isFinite, "class 2 is present in the whole image")
        let (gdlPatch, _) = try evaluate(try Loss(.gdl, options: LossOptions(eps: 0)), tiles(makeImage(), height: 4, width: 4).0.images(0..<1))
        XCTAssertFalse(gdlPatch.isFinite)
        XCTAssertGreaterThan(gdlPatch.terms[0].nonFiniteTerms[2], 0)
        // Mime has no ratio: the same patch is fine.
        let (mime, _) = try evaluate(try Loss(.mime, options: LossOptions(eps: 0, mimeWeights: weights)), emptyPatch)
        XCTAssertTrue(mime.isFinite)
    }
}
