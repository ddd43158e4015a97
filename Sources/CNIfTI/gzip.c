#include "CNIfTI.h"
#include <stdlib.h>
#include <zlib.h>

// One gzip member in memory: the caller writes the bytes itself, with every call checked
// (nifti_image_write reports no error at all).
int cnifti_gzip(const void *data, size_t size, int level, unsigned char **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    z_stream stream = {0};
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    uLong bound = deflateBound(&stream, (uLong)size);
    unsigned char *buffer = malloc(bound > 0 ? bound : 1);
    if (buffer == NULL) { deflateEnd(&stream); return -1; }
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    stream.next_out = buffer;
    stream.avail_out = (uInt)bound;
    int status = deflate(&stream, Z_FINISH);
    size_t produced = stream.total_out;
    deflateEnd(&stream);
    if (status != Z_STREAM_END) { free(buffer); return -1; }
    *out = buffer;
    *out_size = produced;
    return 0;
}
