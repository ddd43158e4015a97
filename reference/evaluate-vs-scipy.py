#!/usr/bin/env python3
"""End-to-end check of `swift-dist-train evaluate --pred/--gt` against scipy (MedPy's hd95).

Writes random multi-class label volumes (random shapes, anisotropic float32 spacing, .nii.gz)
to a temporary directory, scores them with scipy exactly as MedPy does (hd95-reference.py),
runs the binary, and compares per_volume.csv. Needs numpy and scipy, not nibabel.
Usage: python3 reference/evaluate-vs-scipy.py .build/debug/swift-dist-train [cases]
"""
import csv, gzip, importlib.util, os, struct, subprocess, sys, tempfile
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ref", os.path.join(here, "hd95-reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def write_nii(path, labels_zyx, spacing_zyx):
    """Minimal NIfTI-1 single file, uint8 voxels, x fastest, pixdim = spacing."""
    a = np.ascontiguousarray(labels_zyx.astype(np.uint8))
    nz, ny, nx = a.shape
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<hh", h, 70, 2, 8)  # DT_UINT8, 8 bits
    dz, dy, dx = spacing_zyx
    struct.pack_into("<8f", h, 76, 1.0, dx, dy, dz, 0, 0, 0, 0)
    struct.pack_into("<f", h, 108, 352.0)  # vox_offset
    h[123] = 2  # mm
    struct.pack_into("<4s", h, 344, b"n+1\0")
    with gzip.open(path, "wb") as f:
        f.write(bytes(h) + b"\0" * 4 + a.tobytes())


def blobs(rng, shape):
    z, y, x = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")
    lab = np.zeros(shape, np.uint8)
    for _ in range(rng.integers(1, 5)):
        c = [rng.uniform(0, s) for s in shape]
        r = [rng.uniform(0.6, s / 2 + 0.6) for s in shape]
        lab[((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((x - c[2]) / r[2]) ** 2 <= 1] = rng.integers(1, 4)
    noise = rng.random(shape) < 0.01
    lab[noise] = rng.integers(0, 4, noise.sum())
    return lab


def main():
    binary, cases = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rng = np.random.default_rng(1)
    expected = {}
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("pred", "gt"):
            os.makedirs(os.path.join(tmp, d))
        for n in range(cases):
            shape = (int(rng.integers(1, 14)), int(rng.integers(8, 70)), int(rng.integers(8, 70)))
            spacing = tuple(float(np.float32(v)) for v in rng.uniform(0.5, 10, 3))  # as stored
            p, g = blobs(rng, shape), blobs(rng, shape)
            name = f"r{n:02d}.nii.gz"
            write_nii(os.path.join(tmp, "pred", name), p, spacing)
            write_nii(os.path.join(tmp, "gt", name), g, spacing)
            for k in (1, 2, 3):
                if (p == k).any() and (g == k).any():
                    expected[(name, k)] = (ref.dc(p == k, g == k), ref.hd95(p == k, g == k, spacing))
        out = os.path.join(tmp, "out")
        subprocess.run([binary, "evaluate", "--pred", tmp + "/pred", "--gt", tmp + "/gt", "--classes", "4",
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        worst_dsc = worst_hd = 0.0
        for row in csv.DictReader(open(os.path.join(out, "per_volume.csv"))):
            key = (row["volume"], int(row["class"]))
            if key in expected:
                worst_dsc = max(worst_dsc, abs(float(row["dsc"]) - expected[key][0]))
                worst_hd = max(worst_hd, abs(float(row["hd95_mm"]) - expected[key][1]) / max(1.0, expected[key][1]))
    print(f"{len(expected)} (volume, class) pairs: max |dDSC| {worst_dsc:.3g}, max relative |dHD95| {worst_hd:.3g}")
    sys.exit(0 if worst_dsc < 1e-12 and worst_hd < 1e-9 else 1)


if __name__ == "__main__":
    main()
