// HIL harness probe (not the daemon): proves that the emulated reader's boot-keyboard reports arrive through
// libusb after detaching usbhid, and that libusb hot-plug events arrive.
//
//   usbprobe read VID:PID COUNT TIMEOUT_S   print COUNT non-empty reports as hex, one per line
//   usbprobe hotplug VID:PID TIMEOUT_S      print "arrived" / "left" as the device comes and goes (both, or timeout)
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int arrived, left;

static int LIBUSB_CALL on_hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event event, void *data) {
    (void)ctx; (void)dev; (void)data;
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) { arrived = 1; printf("arrived\n"); }
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) { left = 1; printf("left\n"); }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: usbprobe read VID:PID COUNT TIMEOUT | hotplug VID:PID TIMEOUT\n"); return 2; }
    unsigned vid, pid;
    if (sscanf(argv[2], "%x:%x", &vid, &pid) != 2) { fprintf(stderr, "bad id %s\n", argv[2]); return 2; }
    libusb_context *ctx;
    if (libusb_init(&ctx) != 0) { fprintf(stderr, "libusb_init failed\n"); return 1; }

    if (strcmp(argv[1], "hotplug") == 0) {
        int timeout = atoi(argv[3]);
        if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) { fprintf(stderr, "no hotplug capability\n"); return 1; }
        libusb_hotplug_callback_handle handle;
        int rc = libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                                  0, (int)vid, (int)pid, LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, NULL, &handle);
        if (rc != LIBUSB_SUCCESS) { fprintf(stderr, "register: %s\n", libusb_error_name(rc)); return 1; }
        printf("listening\n");
        fflush(stdout);
        time_t end = time(NULL) + timeout;
        while (!(arrived && left) && time(NULL) < end) {
            struct timeval tv = {1, 0};
            libusb_handle_events_timeout_completed(ctx, &tv, NULL);
        }
        libusb_exit(ctx);
        return (arrived && left) ? 0 : 1;
    }

    int count = atoi(argv[3]);
    int timeout = argc > 4 ? atoi(argv[4]) : 10;
    libusb_device_handle *h = libusb_open_device_with_vid_pid(ctx, (uint16_t)vid, (uint16_t)pid);
    if (!h) { fprintf(stderr, "device %04x:%04x not found\n", vid, pid); return 1; }
    int active = libusb_kernel_driver_active(h, 0);
    printf("kernel driver %s\n", active == 1 ? "active" : "none");
    if (active == 1 && libusb_detach_kernel_driver(h, 0) != 0) { fprintf(stderr, "detach failed\n"); return 1; }
    int rc = libusb_claim_interface(h, 0);
    if (rc != 0) { fprintf(stderr, "claim: %s\n", libusb_error_name(rc)); return 1; }
    printf("claimed\n");
    fflush(stdout);
    int got = 0;
    time_t end = time(NULL) + timeout;
    while (got < count && time(NULL) < end) {
        unsigned char report[8];
        int n = 0;
        rc = libusb_interrupt_transfer(h, 0x81, report, sizeof report, &n, 1000);
        if (rc == LIBUSB_ERROR_TIMEOUT) continue;
        if (rc != 0) { fprintf(stderr, "transfer: %s\n", libusb_error_name(rc)); break; }
        int empty = 1;
        for (int i = 0; i < n; i++) if (report[i]) empty = 0;
        if (empty) continue;
        for (int i = 0; i < n; i++) printf("%02x", report[i]);
        printf("\n");
        fflush(stdout);
        got++;
    }
    libusb_release_interface(h, 0);
    libusb_close(h);
    libusb_exit(ctx);
    return got == count ? 0 : 1;
}
