// HDF5's predefined type ids and defaults are macros that call H5open() and
// read globals; Swift cannot import them, so these functions expose them.
#include <hdf5.h>

static inline hid_t ch5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t ch5_s_all(void) { return H5S_ALL; }
static inline hid_t ch5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t ch5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t ch5_t_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ch5_t_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ch5_t_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ch5_t_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ch5_t_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ch5_t_c_s1(void) { return H5T_C_S1; }
static inline unsigned ch5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned ch5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned ch5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned ch5_f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline size_t ch5_variable(void) { return H5T_VARIABLE; }

/// Silences HDF5's own error-stack printing: the Swift wrapper reports errors itself.
static inline void ch5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
