#include "CLabDoorSystem.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

int labdoor_sys_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int labdoor_sys_peer_groups(int fd, gid_t *groups, int capacity) {
#ifdef SO_PEERGROUPS
    socklen_t len = (socklen_t)(capacity > 0 ? (size_t)capacity * sizeof(gid_t) : 0);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) return (int)(len / sizeof(gid_t));
    if (errno == ERANGE) return (int)(len / sizeof(gid_t));
    return -1;
#else
    (void)fd;
    (void)groups;
    (void)capacity;
    errno = ENOPROTOOPT;
    return -1;
#endif
}

int labdoor_sys_kernel_clock_synchronised(void) {
    struct timex tx = {0};
    int state = adjtimex(&tx);
    if (state == -1) return -1;
    return (state != TIME_ERROR && !(tx.status & STA_UNSYNC)) ? 1 : 0;
}

long long labdoor_sys_monotonic_nanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int labdoor_sys_unix_address(const char *path, struct sockaddr_un *address, socklen_t *length) {
    size_t n = strlen(path);
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (n == 0 || n >= sizeof address->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(address->sun_path, path, n);
    if (path[0] == '@') address->sun_path[0] = '\0';  // abstract namespace (sd_notify)
    *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
    return 0;
}
