/* LabDoor HIL: how long a badge takes from the first USB report to the relay line, on the emulated reader.
 *
 *   badgetime /dev/hidg0 NUMBER RELAY_VALUE_FILE
 *
 * Writes NUMBER and Enter as boot-keyboard reports (press, release) to the HID gadget — each write returns when
 * the host has polled the report, which paces them like a real reader — then polls the gpio-sim relay line's
 * sysfs value every 100 us until it reads 1. Prints "reports_us=N relay_us=M": the reports' own duration, and
 * first report to relay high (CLOCK_MONOTONIC). Fails after 10 s. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int report(int fd, unsigned char key) {
    unsigned char press[8] = {0, 0, key, 0, 0, 0, 0, 0}, release[8] = {0};
    return write(fd, press, 8) == 8 && write(fd, release, 8) == 8 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: badgetime /dev/hidg0 NUMBER RELAY_VALUE_FILE\n"); return 2; }
    int hid = open(argv[1], O_WRONLY);
    if (hid < 0) { perror("badgetime: open the gadget"); return 1; }
    long long start = now_us();
    for (const char *c = argv[2]; *c; c++) {
        if (*c < '0' || *c > '9') { fprintf(stderr, "badgetime: digits only\n"); return 2; }
        if (report(hid, *c == '0' ? 39 : (unsigned char)(29 + *c - '0')) < 0) { perror("badgetime: write"); return 1; }
    }
    if (report(hid, 40) < 0) { perror("badgetime: write"); return 1; }
    long long reports = now_us() - start;
    for (;;) {
        char value[4] = {0};
        int fd = open(argv[3], O_RDONLY);
        if (fd < 0) { perror("badgetime: open the relay line"); return 1; }
        ssize_t n = read(fd, value, sizeof value - 1);
        close(fd);
        if (n > 0 && value[0] == '1') break;
        if (now_us() - start > 10000000LL) { fprintf(stderr, "badgetime: the relay did not unlock within 10 s\n"); return 1; }
        usleep(100);
    }
    printf("reports_us=%lld relay_us=%lld\n", reports, now_us() - start);
    return 0;
}
