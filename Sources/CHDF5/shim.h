// HDF5's predefined type ids and defaults are macros that call H5open() and
// read globals; Swift cannot import them, so these functions expose them.
#include <hdf5.h>

static inline hid_t ch5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t ch5_e_default(void) { return H5E_DEFAULT; }
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

/// Silences HDF5's own error-stack printing on the calling thread (a thread-safe HDF5 keeps one
/// setting per thread): the Swift wrapper reports errors itself, HDF5's message folded in.
static inline void ch5_silence_errors(void) {
    static _Thread_local int silenced = 0;
    if (!silenced) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); silenced = 1; }
}

/// Keeps HDF5 from closing files in an atexit handler: after a failed write (a full disk)
/// that close crashes (H5F__close_cb); the program closes what it writes itself.
/// Effective only before HDF5's first call; a later call fails harmlessly.
static inline void ch5_dont_atexit(void) { H5dont_atexit(); }

/// A file-access property list that keeps the whole file in memory (core driver, no backing
/// store), for writers that take the finished image and write it with checked I/O.
static inline hid_t ch5_fapl_memory(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) < 0) { H5Pclose(fapl); return -1; }
    return fapl;
}
