// nifticlib's NIfTI-2 API (reads and writes NIfTI-1 and NIfTI-2, .nii and .nii.gz).
#include <nifti2_io.h>

/// The library's version line, as `nifti_disp_lib_version` prints it to stdout.
/// Writes at most `capacity` bytes (NUL-terminated) into `buffer`.
void cnifti_library_version(char *buffer, int capacity);
