import Common
import Foundation
import PatchStore

/// ACDC-like short-axis cardiac MRI (labels 0 background, 1 RV, 2 MYO, 3 LV) in the
/// ACDC training layout: `patientNNN/patientNNN_frameMM.nii.gz`, `..._gt.nii.gz`, `Info.cfg`.
///
/// Each slice is a cut through a left ventricle (bright blood pool inside a dark
/// myocardial ring) with the right ventricle as a crescent beside it. Sizes shrink
/// from base (slice 0) to apex; the slice above the base is sometimes unlabelled
/// (atria only) and the apex has no cavity and no RV, as in the real annotations.
/// End-systole has a smaller cavity and a thicker wall than end-diastole.
enum SynthACDC {
    /// Pathology groups of the ACDC challenge, with how they change the heart.
    static let groups: [(name: String, cavity: Double, wall: Double, rv: Double, contraction: Double)] = [
        ("NOR", 1.0, 1.0, 1.0, 0.65), ("DCM", 1.3, 0.85, 1.0, 0.88), ("HCM", 0.85, 1.5, 1.0, 0.5),
        ("MINF", 1.15, 0.9, 1.0, 0.82), ("RV", 1.0, 1.0, 1.5, 0.7),
    ]

    struct Heart {
        var cx, cy, rotation, ellipticity: Double
        var cavity, wall, rvSize, rvAngle: Double
        var aboveBase: Bool
    }

    static func writePatient(_ number: Int, width: Int, slices: Int, rng: inout SplitMix64, under root: String) throws -> [String] {
        let name = String(format: "patient%03d", number)
        let dir = (root as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let group = groups[rng.int(below: groups.count)]
        let nx = width + 8 * (rng.int(below: 3) - 1), ny = width + 8 * (rng.int(below: 3) - 1)
        let nz = max(3, slices + rng.int(below: 3) - 1)
        let spacing = [rng.uniform(1.3, 1.7), 0, rng.uniform(8, 10)]
        let geometry = NIfTIWriter.Geometry(shape: [nx, ny, nz], spacing: [spacing[0], spacing[0], spacing[2]],
                                            origin: [rng.uniform(-80, 80), rng.uniform(-80, 80), rng.uniform(-40, 40)])
        let w = Double(min(nx, ny))
        let ed = Heart(cx: Double(nx) / 2 + rng.normal() * w * 0.04, cy: Double(ny) / 2 + rng.normal() * w * 0.04,
                       rotation: rng.uniform(0, .pi), ellipticity: rng.uniform(0.85, 1.15),
                       cavity: w * rng.uniform(0.10, 0.13) * group.cavity, wall: w * rng.uniform(0.04, 0.05) * group.wall,
                       rvSize: w * rng.uniform(0.09, 0.12) * group.rv, rvAngle: .pi + rng.uniform(-0.35, 0.35),
                       aboveBase: rng.uniform() < 0.35)
        var es = ed
        es.cavity *= group.contraction
        es.wall *= 1.0 + 0.5 * (1 - group.contraction)
        es.rvSize *= 0.8
        es.aboveBase = rng.uniform() < 0.35
        let esFrame = 8 + rng.int(below: 8)
        let bodyX = rng.uniform(0.40, 0.47), bodyY = rng.uniform(0.33, 0.40)
        var files: [String] = []
        for (frame, heart) in [(1, ed), (esFrame, es)] {
            let (image, labels) = render(heart, shape: [nx, ny, nz], body: (bodyX, bodyY), rng: &rng)
            let base = (dir as NSString).appendingPathComponent(String(format: "\(name)_frame%02d", frame))
            // Real ACDC stores int16-like intensities; labels as uint8.
            try NIfTIWriter.write(image.map { $0 * 800 }, geometry: geometry, as: .int16, to: base + ".nii.gz")
            try NIfTIWriter.write(labels, geometry: geometry, as: .uint8, to: base + "_gt.nii.gz")
            files += [base + ".nii.gz", base + "_gt.nii.gz"]
        }
        let info = """
        ED: 1
        ES: \(esFrame)
        Group: \(group.name)
        Height: \(String(format: "%.1f", rng.uniform(150, 195)))
        NbFrame: \(esFrame + 10 + rng.int(below: 10))
        Weight: \(String(format: "%.1f", rng.uniform(50, 110)))

        """
        let infoPath = (dir as NSString).appendingPathComponent("Info.cfg")
        try info.write(toFile: infoPath, atomically: true, encoding: .utf8)
        return files + [infoPath]
    }

    /// Draws labels and a clean image, then adds blur, bias field and noise.
    static func render(_ heart: Heart, shape: [Int], body: (Double, Double), rng: inout SplitMix64) -> ([Float], [Float]) {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var clean = [Double](repeating: 0, count: nx * ny * nz)
        var labels = [Float](repeating: 0, count: nx * ny * nz)
        let c = cos(heart.rotation), s = sin(heart.rotation)
        let lungs = [(Double(nx) * 0.28, Double(ny) * 0.45), (Double(nx) * 0.72, Double(ny) * 0.45)]
        for z in 0..<nz {
            let t = Double(z) / Double(max(nz - 1, 1))            // 0 base ... 1 apex
            let taper = (1 - 0.75 * pow(t, 1.6)).squareRoot()
            let isApex = z == nz - 1
            let labelled = !(z == 0 && heart.aboveBase)
            let cavity = isApex ? 0 : heart.cavity * taper
            let outer = heart.cavity * taper + heart.wall * (0.8 + 0.2 * taper)
            let rvScale = max(0, 1 - 1.15 * t)                    // RV shrinks faster, gone at the apex
            let rvR = heart.rvSize * rvScale
            let rvDistance = outer + rvR * 0.35
            let rvX = heart.cx + cos(heart.rvAngle + heart.rotation) * rvDistance
            let rvY = heart.cy + sin(heart.rvAngle + heart.rotation) * rvDistance
            for y in 0..<ny {
                for x in 0..<nx {
                    let i = x + nx * (y + ny * z)
                    let fx = Double(x) + 0.5, fy = Double(y) + 0.5
                    // Body (chest) and lungs.
                    let bx = (fx - Double(nx) / 2) / (Double(nx) * body.0), by = (fy - Double(ny) / 2) / (Double(ny) * body.1)
                    var value = bx * bx + by * by < 1 ? 0.32 : 0.02
                    for lung in lungs {
                        let lx = (fx - lung.0) / (Double(nx) * 0.16), ly = (fy - lung.1) / (Double(ny) * 0.22)
                        if lx * lx + ly * ly < 1 { value = 0.06 }
                    }
                    // Heart frame: rotate, squash.
                    let dx = fx - heart.cx, dy = fy - heart.cy
                    let u = (c * dx + s * dy) * heart.ellipticity, v = -s * dx + c * dy
                    let d = (u * u + v * v).squareRoot()
                    // RV crescent: an ellipse beside the LV, stretched around it, outside the wall.
                    let rx = fx - rvX, ry = fy - rvY
                    let ra = cos(heart.rvAngle + heart.rotation), rb = sin(heart.rvAngle + heart.rotation)
                    let radial = (rx * ra + ry * rb) / max(rvR, 1e-9), tangential = (-rx * rb + ry * ra) / max(rvR * 1.7, 1e-9)
                    var label: Float = 0
                    if d < cavity {
                        label = 3; value = 0.88
                    } else if d < outer {
                        label = 2; value = 0.22
                    } else if rvR > 1, radial * radial + tangential * tangential < 1, d > outer + 0.8 {
                        label = 1; value = 0.82
                    } else if d < outer + 2.5 && value > 0.1 {
                        value = 0.55                                  // epicardial fat
                    }
                    clean[i] = value
                    labels[i] = labelled ? label : 0
                }
            }
        }
        let bias = Acquisition.BiasField(rng: &rng, strength: 0.35)
        return (Acquisition.finish(clean, shape: shape, bias: bias, sigma: 0.035, rng: &rng), labels)
    }
}
