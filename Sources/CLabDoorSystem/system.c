// Linux only, and struct ucred needs _GNU_SOURCE (Package.swift defines it): fail at build time otherwise.
#ifndef __linux__
#error "CLabDoorSystem wraps Linux calls (SO_PEERCRED, SO_PEERGROUPS, adjtimex)"
#endif
#ifndef _GNU_SOURCE
#error "You must define _GNU_SOURCE (struct ucred)"
#endif

#include "CLabDoorSystem.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/timex.h>

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

int labdoor_sys_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }
