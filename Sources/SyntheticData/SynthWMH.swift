import Common
import Foundation
import PatchStore

/// WMH-like FLAIR (and T1) brain MRI (labels 0 background, 1 white-matter
/// hyperintensity, 2 other pathology) in the WMH challenge layout:
/// `<site>/<id>/pre/FLAIR.nii.gz`, `pre/T1.nii.gz`, `<site>/<id>/wmh.nii.gz`.
///
/// Each subject has a brain ellipse (grey-matter rim, white matter, two lateral
/// ventricles in the middle slices) with many small hyperintense lesions clustered
/// around the ventricles, and, in a minority of subjects (~30 %) and only a few
/// slices, one larger "other pathology" region: class 2 is absent from most slices.
enum SynthWMH {
    static let sites = ["Utrecht", "Singapore", "GE3T"]

    struct Blob { var x, y, z, radius, depth: Double; var label: Float }

    static func writeSubject(_ index: Int, width: Int, slices: Int, rng: inout SplitMix64, under root: String) throws -> [String] {
        let site = sites[index % sites.count]
        let dir = (root as NSString).appendingPathComponent("\(site)/\(index)")
        let pre = (dir as NSString).appendingPathComponent("pre")
        try FileManager.default.createDirectory(atPath: pre, withIntermediateDirectories: true)
        // Sites differ in matrix size, as in the challenge.
        let nx = width + [0, 8, -8][index % 3], ny = width + [0, -8, 8][index % 3]
        let nz = slices
        let geometry = NIfTIWriter.Geometry(shape: [nx, ny, nz], spacing: [rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05), 3],
                                            origin: [-Double(nx) / 2, -Double(ny) / 2, -Double(nz) * 1.5])
        let w = Double(min(nx, ny))
        let cx = Double(nx) / 2 + rng.normal() * w * 0.02, cy = Double(ny) / 2 + rng.normal() * w * 0.02
        let ax = w * 0.38 * rng.uniform(0.92, 1.05), ay = w * 0.45 * rng.uniform(0.92, 1.05)
        let atrophy = rng.uniform(0.8, 1.6)                         // ventricle enlargement
        let ventricles = [(cx - w * 0.055, cy - w * 0.02), (cx + w * 0.055, cy - w * 0.02)]
        let vrx = w * 0.035 * atrophy, vry = w * 0.12 * atrophy
        let middle = Double(nz - 1) / 2

        // Small periventricular lesions (plus a few deep ones).
        var blobs: [Blob] = []
        let lesions = 20 + rng.int(below: 40)
        for _ in 0..<lesions {
            let z = middle + rng.normal() * Double(nz) * 0.12
            if rng.uniform() < 0.8 {
                let v = ventricles[rng.int(below: 2)]
                let angle = rng.uniform(0, 2 * .pi), out = rng.uniform(1, 5)
                blobs.append(Blob(x: v.0 + cos(angle) * (vrx + out), y: v.1 + sin(angle) * (vry + out), z: z,
                                  radius: rng.uniform(1.0, 3.0), depth: rng.uniform(0.5, 1.5), label: 1))
            } else {
                let angle = rng.uniform(0, 2 * .pi), r = rng.uniform(0.3, 0.7)
                blobs.append(Blob(x: cx + cos(angle) * ax * r, y: cy + sin(angle) * ay * r, z: z,
                                  radius: rng.uniform(0.8, 2.0), depth: rng.uniform(0.3, 0.8), label: 1))
            }
        }
        // Other pathology in a minority of subjects: one large region over a few slices.
        if rng.uniform() < 0.3 {
            let angle = rng.uniform(0, 2 * .pi), r = rng.uniform(0.35, 0.6)
            blobs.append(Blob(x: cx + cos(angle) * ax * r, y: cy + sin(angle) * ay * r, z: middle + rng.uniform(-2, 2),
                              radius: w * rng.uniform(0.05, 0.08), depth: rng.uniform(1.0, 1.8), label: 2))
        }

        var flair = [Double](repeating: 0, count: nx * ny * nz)
        var t1 = flair
        var labels = [Float](repeating: 0, count: nx * ny * nz)
        for z in 0..<nz {
            let t = (Double(z) - middle) / max(middle, 1)           // -1 bottom ... 1 top
            let scale = max(0.2, 1 - 0.65 * t * t).squareRoot()
            let ventricleScale = max(0, 1 - 2.2 * abs(t))
            for y in 0..<ny {
                for x in 0..<nx {
                    let i = x + nx * (y + ny * z)
                    let fx = Double(x) + 0.5, fy = Double(y) + 0.5
                    let ex = (fx - cx) / (ax * scale), ey = (fy - cy) / (ay * scale)
                    let r = (ex * ex + ey * ey).squareRoot()
                    var f = 0.02, t = 0.02
                    var label: Float = 0
                    if r < 1.12 && r >= 1.02 { f = 0.3; t = 0.6 }            // scalp
                    if r < 1 {
                        if r > 0.86 { f = 0.55; t = 0.5 }                      // cortex (grey matter)
                        else { f = 0.42; t = 0.75 }                            // white matter
                        if r > 0.95 && r < 0.98 { f = 0.1; t = 0.15 }          // sulcal CSF
                        var inVentricle = false
                        for v in ventricles where ventricleScale > 0 {
                            let vx = (fx - v.0) / (vrx * ventricleScale), vy = (fy - v.1) / (vry * ventricleScale)
                            if vx * vx + vy * vy < 1 { inVentricle = true }
                        }
                        if inVentricle { f = 0.08; t = 0.12 }
                        else if r < 0.9 {
                            for blob in blobs {
                                let dz = (Double(z) - blob.z) / blob.depth
                                let rz = blob.radius * max(0, 1 - dz * dz).squareRoot()
                                let bx = fx - blob.x, by = fy - blob.y
                                guard rz > 0.5, bx * bx + by * by < rz * rz else { continue }
                                if blob.label == 2 {
                                    label = 2
                                    let core = (bx * bx + by * by).squareRoot() < rz * 0.5
                                    f = core ? 0.2 : 0.72; t = core ? 0.15 : 0.35
                                } else if label == 0 {
                                    label = 1; f = rng.uniform(0.82, 0.98); t = 0.45
                                }
                            }
                        }
                    }
                    flair[i] = f; t1[i] = t; labels[i] = label
                }
            }
        }
        let bias = Acquisition.BiasField(rng: &rng, strength: 0.25)
        let flairImage = Acquisition.finish(flair, shape: [nx, ny, nz], bias: bias, sigma: 0.03, rng: &rng)
        let t1Image = Acquisition.finish(t1, shape: [nx, ny, nz], bias: bias, sigma: 0.03, rng: &rng)
        let flairPath = (pre as NSString).appendingPathComponent("FLAIR.nii.gz")
        let t1Path = (pre as NSString).appendingPathComponent("T1.nii.gz")
        let labelPath = (dir as NSString).appendingPathComponent("wmh.nii.gz")
        try NIfTIWriter.write(flairImage.map { $0 * 1000 }, geometry: geometry, as: .float32, to: flairPath)
        // T1 as scaled int16 (scl_slope 0.5), labels as float32 like the challenge's files.
        try NIfTIWriter.write(t1Image.map { $0 * 1000 }, geometry: geometry, as: .int16, slope: 0.5, to: t1Path)
        try NIfTIWriter.write(labels, geometry: geometry, as: .float32, to: labelPath)
        return [flairPath, t1Path, labelPath]
    }
}
