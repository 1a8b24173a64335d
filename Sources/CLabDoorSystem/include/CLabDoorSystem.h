// CLabDoorSystem: the few Linux calls Swift cannot make directly. Every symbol is prefixed `labdoor_sys_`.
#ifndef CLABDOOR_SYSTEM_H
#define CLABDOOR_SYSTEM_H

#include <sys/socket.h>
#include <sys/types.h>

/// The credentials of the peer of a connected Unix socket (SO_PEERCRED). `struct ucred` needs _GNU_SOURCE,
/// which Swift's Glibc module does not define. Returns 0, or -1 with errno set.
int labdoor_sys_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// The supplementary groups of the peer process (SO_PEERGROUPS, Linux 4.13+). Writes up to `capacity` ids and
/// returns how many the peer has (which may exceed `capacity`), or -1 with errno set.
int labdoor_sys_peer_groups(int fd, gid_t *groups, int capacity);

/// Whether the kernel considers the clock synchronised (adjtimex: not TIME_ERROR and STA_UNSYNC clear).
/// Returns 1 synchronised, 0 not, -1 on error.
int labdoor_sys_kernel_clock_synchronised(void);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): a connection that no child process (the alarm hook) inherits, with no
/// window between accept and fcntl. accept4 needs _GNU_SOURCE, which Swift's Glibc module does not define.
/// Returns the new descriptor, or -1 with errno set.
int labdoor_sys_accept_cloexec(int fd);

#endif
