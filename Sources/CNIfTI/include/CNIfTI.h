// nifticlib's NIfTI-2 API (reads and writes NIfTI-1 and NIfTI-2, .nii and .nii.gz).
#include <nifti2_io.h>

/// The library's version line, as `nifti_disp_lib_version` prints it to stdout.
/// Writes at most `capacity` bytes (NUL-terminated) into `buffer`.
void cnifti_library_version(char *buffer, int capacity);

/// Compresses `size` bytes of `data` into one gzip member at `level` (1...9). On success returns 0
/// and a malloc'd buffer the caller frees; -1 on failure. Inputs are limited to 4 GiB (zlib's uInt).
int cnifti_gzip(const void *data, size_t size, int level, unsigned char **out, size_t *out_size);
