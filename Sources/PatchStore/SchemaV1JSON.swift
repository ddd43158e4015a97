// A copy of hdf5-schema/patch-store-v1.json, compiled in so the program can enforce
// it anywhere. SchemaTests checks the two are identical: edit the JSON, then paste it here.
enum SchemaV1JSON {
    static let text = #"""
{
  "schema": "swift-dist-train patch store",
  "version": 1,
  "doc": "2D patches (whole slices or sub-patches) cut from 3D NIfTI volumes, normalised, split by patient/subject, with the class statistics the Mime loss needs. Arrays are C order (last index fastest), as h5py shows them.",
  "symbols": {
    "K": "number of classes including background (root attribute num_classes)",
    "C": "input channels (root attribute in_channels)",
    "H": "patch height in pixels (root attribute patch_size[0])",
    "W": "patch width in pixels (root attribute patch_size[1])",
    "N": "number of patches in the split (group attribute num_patches)",
    "V": "number of volumes in the split (group attribute num_volumes)"
  },
  "root": {
    "doc": "The file's root group.",
    "attributes": [
      {"name": "schema_name", "type": "string", "shape": [], "values": ["swift-dist-train patch store"], "doc": "identifies the format"},
      {"name": "schema_version", "type": "int", "shape": [1], "values": ["1"], "doc": "version of this specification; readers refuse other versions"},
      {"name": "dataset_kind", "type": "string", "shape": [], "values": ["acdc", "wmh", "pairs"], "doc": "input layout the store was made from"},
      {"name": "class_names", "type": "string", "shape": ["K"], "doc": "name of each label value, index = value; 0 is background"},
      {"name": "num_classes", "type": "int", "shape": [1], "doc": "K, the number of label values"},
      {"name": "in_channels", "type": "int", "shape": [1], "doc": "C, the number of image channels (modalities)"},
      {"name": "channel_names", "type": "string", "shape": ["C"], "doc": "modality of each channel, e.g. cine, flair, t1"},
      {"name": "patch_size", "type": "int", "shape": [2], "units": "pixels", "doc": "(H, W) of every stored patch"},
      {"name": "slice_size", "type": "int", "shape": [1], "units": "pixels", "doc": "every slice is resampled in-plane to slice_size x slice_size before patching"},
      {"name": "patch_stride", "type": "int", "shape": [1], "units": "pixels", "doc": "step between patch origins; equals slice_size for whole slices"},
      {"name": "normalisation", "type": "string", "shape": [], "doc": "how intensities were normalised (per volume and channel)"},
      {"name": "spacing_units", "type": "string", "shape": [], "values": ["mm"], "doc": "units of every spacing dataset"},
      {"name": "source", "type": "string", "shape": [], "doc": "absolute path of the input directory or manifest"},
      {"name": "program_version", "type": "string", "shape": [], "doc": "version of swift-dist-train that wrote the store"},
      {"name": "created", "type": "string", "shape": [], "doc": "creation time, ISO 8601 UTC"},
      {"name": "split_seed", "type": "int", "shape": [1], "doc": "seed of the subject shuffle that made the splits"},
      {"name": "split_fractions", "type": "float", "shape": [3], "doc": "requested train, val, test fractions of subjects"},
      {"name": "split_stratified", "type": "int", "shape": [1], "values": ["0", "1"], "optional": true, "doc": "1 when the split was stratified by class presence (preprocess --stratify), 0 for a plain shuffle and cut; optional: stores written before it was added lack it and mean 0"}
    ],
    "datasets": [
      {"name": "mime_a", "dtype": "float64", "shape": ["K"], "units": "1/pixels", "doc": "Mime weight a_k = 1 / (mean over train patches of the number of class-k pixels); NaN when class k is absent from the train split"},
      {"name": "mime_b", "dtype": "float64", "shape": ["K"], "units": "1/pixels", "doc": "Mime weight b_k = 1 / (mean over train patches of the number of non-k pixels); NaN when every train pixel is class k"}
    ],
    "groups": [
      {
        "names": ["train", "val", "test"],
        "doc": "One group per split. Every subject (patient) is in exactly one split.",
        "attributes": [
          {"name": "num_patches", "type": "int", "shape": [1], "doc": "N"},
          {"name": "num_volumes", "type": "int", "shape": [1], "doc": "V"}
        ],
        "datasets": [
          {"name": "images", "dtype": "float32", "shape": ["N", "C", "H", "W"], "chunks": [1, "C", "H", "W"], "filters": ["shuffle", "deflate"], "units": "normalised intensity in [0, 1]", "doc": "image patches; one patch per chunk so a random read touches one chunk (an empty split is stored contiguous)"},
          {"name": "labels", "dtype": "uint8", "shape": ["N", "H", "W"], "chunks": [1, "H", "W"], "filters": ["shuffle", "deflate"], "doc": "label patches, values in 0..<K"},
          {"name": "patch_volume", "dtype": "int32", "shape": ["N"], "doc": "row in volumes/ of the volume each patch comes from"},
          {"name": "patch_slice", "dtype": "int32", "shape": ["N"], "doc": "slice index along the volume's third axis (0-based)"},
          {"name": "patch_origin", "dtype": "int32", "shape": ["N", 2], "units": "pixels", "doc": "(y, x) of the patch's top-left pixel in the resampled slice"},
          {"name": "class_voxel_counts", "dtype": "int64", "shape": ["K"], "units": "pixels", "doc": "number of stored label pixels of each class in the split"},
          {"name": "class_absent_patches", "dtype": "int64", "shape": ["K"], "doc": "number of patches of the split in which class k does not occur"}
        ],
        "groups": [
          {
            "name": "volumes",
            "doc": "One row per source volume of the split; patches of row v are contiguous from first_patch.",
            "datasets": [
              {"name": "id", "dtype": "string", "shape": ["V"], "doc": "volume id, e.g. patient001_frame01 or Utrecht/0"},
              {"name": "subject", "dtype": "string", "shape": ["V"], "doc": "patient or subject the volume belongs to (the unit of the split)"},
              {"name": "original_shape", "dtype": "int32", "shape": ["V", 3], "units": "voxels", "doc": "(nx, ny, nz) of the source volume"},
              {"name": "spacing_mm", "dtype": "float64", "shape": ["V", 3], "units": "mm", "doc": "source voxel spacing (pixdim 1..3)"},
              {"name": "resampled_spacing_mm", "dtype": "float64", "shape": ["V", 3], "units": "mm", "doc": "spacing of the stored pixels (x, y) and of the slices (z), for distances such as HD95 in mm"},
              {"name": "image_files", "dtype": "string", "shape": ["V"], "doc": "source image file(s), one per channel, separated by ';'"},
              {"name": "label_file", "dtype": "string", "shape": ["V"], "doc": "source label file"},
              {"name": "num_patches", "dtype": "int32", "shape": ["V"], "doc": "patches cut from the volume"},
              {"name": "first_patch", "dtype": "int32", "shape": ["V"], "doc": "index of the volume's first patch in the split"}
            ]
          }
        ]
      }
    ]
  },
  "invariants": [
    {"id": "names_match_counts", "doc": "class_names has num_classes entries, channel_names has in_channels entries, patch_size <= slice_size"},
    {"id": "labels_below_K", "doc": "every stored label is < num_classes"},
    {"id": "images_in_unit_range", "doc": "every stored image value is finite and in [0, 1]"},
    {"id": "patch_index_in_range", "doc": "0 <= patch_volume < V and 0 <= patch_slice < original_shape[patch_volume][2]"},
    {"id": "patch_origin_in_slice", "doc": "0 <= patch_origin and patch_origin + (H, W) <= (slice_size, slice_size)"},
    {"id": "volume_patches_contiguous", "doc": "num_patches sums to N; the patches of volume v are exactly first_patch[v] ..< first_patch[v] + num_patches[v]"},
    {"id": "class_counts_match_labels", "doc": "class_voxel_counts and class_absent_patches equal what the stored labels give; the counts sum to N*H*W"},
    {"id": "subjects_disjoint", "doc": "no subject appears in two splits"},
    {"id": "mime_from_train", "doc": "mime_a and mime_b equal the formulas above evaluated on the train split's class_voxel_counts"}
  ]
}
"""#
}
