#!/usr/bin/env python3
"""Reference DSC / HD95 numbers for Tests/EvaluationTests/ScipyReferenceTests.swift.

HD95 follows medpy.metric.binary.hd95 line for line (MedPy is not installed here; its
__surface_distances is reproduced with the same scipy calls). Label maps are numpy arrays of
shape (z, y, x); sampling is (z, y, x) spacing in mm. Run: python3 reference/hd95-reference.py
"""
import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure


def surface_distances(result, reference, voxelspacing, connectivity=1):
    result = np.atleast_1d(result.astype(bool))
    reference = np.atleast_1d(reference.astype(bool))
    footprint = generate_binary_structure(result.ndim, connectivity)
    result_border = result ^ binary_erosion(result, structure=footprint, iterations=1)
    reference_border = reference ^ binary_erosion(reference, structure=footprint, iterations=1)
    dt = distance_transform_edt(~reference_border, sampling=voxelspacing)
    return dt[result_border]


def hd95(result, reference, voxelspacing):
    hd1 = surface_distances(result, reference, voxelspacing)
    hd2 = surface_distances(reference, result, voxelspacing)
    return np.percentile(np.hstack((hd1, hd2)), 95)


def dc(result, reference):
    result, reference = result.astype(bool), reference.astype(bool)
    return 2.0 * np.count_nonzero(result & reference) / (np.count_nonzero(result) + np.count_nonzero(reference))


def case_a():
    """3D, shape (5, 8, 10), spacing (z, y, x) = (3.0, 0.7, 1.2), classes 1 and 2."""
    z, y, x = np.meshgrid(np.arange(5), np.arange(8), np.arange(10), indexing="ij")
    pred = np.zeros((5, 8, 10), np.uint8)
    pred[(x - 3.5) ** 2 / 9 + (y - 4.5) ** 2 / 5 + (z - 2) ** 2 / 3 <= 1] = 1
    pred[(x >= 7) & (y <= 2) & (z >= 1)] = 2
    gt = np.zeros((5, 8, 10), np.uint8)
    gt[(x >= 2) & (x <= 6) & (y >= 2) & (y <= 5) & (z >= 1) & (z <= 3)] = 1
    gt[((x + y + z) % 7 == 0) & (x > 5)] = 2
    return pred, gt, (3.0, 0.7, 1.2)


def case_b():
    """A single slice as a 3D array, shape (1, 12, 11), spacing (5.0, 0.8, 1.3), class 1."""
    z, y, x = np.meshgrid(np.arange(1), np.arange(12), np.arange(11), indexing="ij")
    pred = np.zeros((1, 12, 11), np.uint8)
    pred[(x - 4) ** 2 + 2 * (y - 7) ** 2 <= 20] = 1
    gt = np.zeros((1, 12, 11), np.uint8)
    gt[((x - 6) ** 2 + (y - 5) ** 2 <= 16) & (x != 3)] = 1
    return pred, gt, (5.0, 0.8, 1.3)


if __name__ == "__main__":
    for name, (pred, gt, spacing), classes in [("A", case_a(), [1, 2]), ("B", case_b(), [1])]:
        for k in classes:
            p, g = pred == k, gt == k
            print(f"case {name} class {k}: dsc={float(dc(p, g))!r} hd95={float(hd95(p, g, spacing))!r} "
                  f"label_voxels={np.count_nonzero(g)} pred_voxels={np.count_nonzero(p)}")
