#include "CNIfTI.h"
#include <unistd.h>

// nifticlib only prints its version to stdout; capture that line through a pipe.
void cnifti_library_version(char *buffer, int capacity) {
    buffer[0] = 0;
    int fds[2];
    if (pipe(fds) != 0) return;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    nifti_disp_lib_version();
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], buffer, capacity - 1);
    close(fds[0]);
    if (n < 0) n = 0;
    while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == ' ')) n--;
    buffer[n] = 0;
}
