// ccidgadget: an emulated CCID contactless reader for the hardware-in-the-loop VM — a FunctionFS (usb_f_fs)
// function that presents an ACS ACR122U-like interface (class 0x0B, the 54-byte CCID class descriptor, bulk OUT,
// bulk IN and interrupt IN endpoints) on dummy_hcd and answers the CCID messages the host sends, so that the
// daemon's libusb code runs against the real kernel's USB stack. The harness's own code, not the daemon's.
//
//   ccidgadget FFS_DIR CONTROL_FIFO [--tpdu] [--no-interrupt]
//
// FFS_DIR is the mounted functionfs instance (its ep0); the caller binds the gadget to a UDC once the endpoint
// files exist. --tpdu presents a TPDU-level reader (dwFeatures) that the daemon must refuse; --no-interrupt
// leaves the interrupt endpoint out, so that the host has to poll with GetSlotStatus.
//
// The control FIFO takes one command per line:
//   tap HEX        a card with this UID is on the reader (NotifySlotChange: present)
//   remove         the card left (NotifySlotChange: absent)
//   mute / unmute  stop / resume answering the bulk OUT messages
//   delay MS       wait MS before every reply (0 to stop)
//   badseq         the next reply is preceded by a copy with the wrong bSeq
//   truncate       the next reply declares more data than it carries
//   oversize       the next reply declares 65,536 data bytes
//   timeext        the next reply is preceded by a time extension (bError 2) and comes 300 ms later
//   failpower      the next power-on fails (bStatus failed, bError 0xFE: ICC mute)
//   stallpower MS  the next power-on: a time extension at once (5 × the host's timeout), the answer MS later
//   apdu SW1SW2    the next Get Data is answered with this status word alone (6300, 6A81)
//   crosspoll      the next slot status finds the card present; the card is then removed and the removal's
//                  notification sent before that (now stale) answer — the two endpoints' replies crossing
// Every message received, reply sent and command obeyed is printed on stdout as "T=<ms> …" (CLOCK_MONOTONIC).
//
// Layouts: USB CCID specification Rev 1.1 §5.1 (class descriptor), §6.1–6.3 (messages); FunctionFS: the
// kernel's include/uapi/linux/usb/functionfs.h. The ACR122U's identity and pseudo-APDUs (FF CA Get Data, FF 00 40
// LED/buzzer, FF 00 52 card beep) follow ACS's ACR122U API (v2.04).
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE 271 // dwMaxCCIDMessageLength: 10-byte header + 261 (a short APDU with its status word)

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static void say(const char *format, ...) {
    va_list args;
    va_start(args, format);
    pthread_mutex_lock(&out_lock);
    printf("T=%.3f ", now_ms());
    vprintf(format, args);
    putchar('\n');
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    va_end(args);
}

static void hex(char *out, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02X", bytes[i]);
    out[2 * n] = 0;
}

// --- the reader's state, shared by the FIFO, bulk and notify threads ------------------------------------------
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notify_cond = PTHREAD_COND_INITIALIZER;
static int present;
static uint8_t uid[16];
static size_t uid_len;
static int muted, delay_ms, badseq, truncate_next, oversize, timeext, failpower, stall_power_ms;
static int apdu_sw = -1;
static int crosspoll;
static int notifications; // sent so far, counted under lock; notified_cond is signalled after each
static pthread_cond_t notified_cond = PTHREAD_COND_INITIALIZER;
static int notify_pending; // 0 none, else (present ? 3 : 2): bit 0 present, bit 1 changed
static int tpdu, no_interrupt;

// --- descriptors ----------------------------------------------------------------------------------------------
static size_t put_descriptors(uint8_t *p, int high_speed) {
    uint8_t *start = p;
    struct usb_interface_descriptor interface = {
        .bLength = USB_DT_INTERFACE_SIZE, .bDescriptorType = USB_DT_INTERFACE, .bInterfaceNumber = 0,
        .bAlternateSetting = 0, .bNumEndpoints = no_interrupt ? 2 : 3, .bInterfaceClass = 0x0B,
        .bInterfaceSubClass = 0, .bInterfaceProtocol = 0, .iInterface = 1,
    };
    memcpy(p, &interface, USB_DT_INTERFACE_SIZE);
    p += USB_DT_INTERFACE_SIZE;
    // The CCID class descriptor (§5.1), 54 bytes; multi-byte fields little-endian.
    uint8_t ccid[54] = {0};
    uint32_t features = tpdu ? 0x000100BA : 0x00040042; // TPDU level, or short APDU level + automatic ATR/PPS
    ccid[0] = 54;
    ccid[1] = 0x21;
    ccid[2] = 0x10, ccid[3] = 0x01; // bcdCCID 1.10
    ccid[4] = 0;                    // bMaxSlotIndex
    ccid[5] = 0x07;                 // bVoltageSupport 5 V, 3 V, 1.8 V
    ccid[6] = 0x03;                 // dwProtocols T=0, T=1
    uint32_t clock = 4000, rate = 10752, maxrate = 106000, ifsd = 254, msg = MAX_MESSAGE;
    memcpy(ccid + 10, &(uint32_t){htole32(clock)}, 4);
    memcpy(ccid + 14, &(uint32_t){htole32(clock)}, 4);
    memcpy(ccid + 19, &(uint32_t){htole32(rate)}, 4);
    memcpy(ccid + 23, &(uint32_t){htole32(maxrate)}, 4);
    memcpy(ccid + 28, &(uint32_t){htole32(ifsd)}, 4);
    memcpy(ccid + 40, &(uint32_t){htole32(features)}, 4);
    memcpy(ccid + 44, &(uint32_t){htole32(msg)}, 4);
    ccid[48] = 0xFF, ccid[49] = 0xFF; // bClassGetResponse, bClassEnvelope: echo
    ccid[52] = 0;                     // bPINSupport
    ccid[53] = 1;                     // bMaxCCIDBusySlots
    memcpy(p, ccid, sizeof ccid);
    p += sizeof ccid;
    struct usb_endpoint_descriptor_no_audio endpoints[3] = {
        {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, 1 | USB_DIR_OUT, USB_ENDPOINT_XFER_BULK, htole16(high_speed ? 512 : 64), 0},
        {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, 2 | USB_DIR_IN, USB_ENDPOINT_XFER_BULK, htole16(high_speed ? 512 : 64), 0},
        {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, 3 | USB_DIR_IN, USB_ENDPOINT_XFER_INT, htole16(8), high_speed ? 8 : 16},
    };
    for (int i = 0; i < (no_interrupt ? 2 : 3); i++) {
        memcpy(p, &endpoints[i], USB_DT_ENDPOINT_SIZE);
        p += USB_DT_ENDPOINT_SIZE;
    }
    return p - start;
}

static int write_descriptors(int ep0) {
    uint8_t buffer[512];
    size_t n = sizeof(struct usb_functionfs_descs_head_v2) + 8;
    size_t fs = put_descriptors(buffer + n, 0);
    size_t hs = put_descriptors(buffer + n + fs, 1);
    int count = no_interrupt ? 4 : 5;
    struct usb_functionfs_descs_head_v2 head = {
        .magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2), .length = htole32(n + fs + hs),
        .flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC),
    };
    memcpy(buffer, &head, sizeof head);
    memcpy(buffer + sizeof head, &(uint32_t){htole32(count)}, 4);
    memcpy(buffer + sizeof head + 4, &(uint32_t){htole32(count)}, 4);
    if (write(ep0, buffer, n + fs + hs) != (ssize_t)(n + fs + hs)) {
        fprintf(stderr, "ccidgadget: the kernel refused the descriptors: %s\n", strerror(errno));
        return -1;
    }
    static const char name[] = "ACR122U PICC Interface";
    uint8_t strings[64];
    struct usb_functionfs_strings_head shead = {
        .magic = htole32(FUNCTIONFS_STRINGS_MAGIC), .length = htole32(sizeof shead + 2 + sizeof name),
        .str_count = htole32(1), .lang_count = htole32(1),
    };
    memcpy(strings, &shead, sizeof shead);
    strings[sizeof shead] = 0x09, strings[sizeof shead + 1] = 0x04; // en-US
    memcpy(strings + sizeof shead + 2, name, sizeof name);
    size_t slen = sizeof shead + 2 + sizeof name;
    if (write(ep0, strings, slen) != (ssize_t)slen) {
        fprintf(stderr, "ccidgadget: the kernel refused the strings: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

// --- replies --------------------------------------------------------------------------------------------------
static int ep_in = -1, ep_out = -1, ep_int = -1;

static void put_header(uint8_t *m, uint8_t type, uint32_t length, uint8_t slot, uint8_t seq, uint8_t status,
                       uint8_t error, uint8_t specific) {
    m[0] = type;
    memcpy(m + 1, &(uint32_t){htole32(length)}, 4);
    m[5] = slot, m[6] = seq, m[7] = status, m[8] = error, m[9] = specific;
}

static void send_in(const uint8_t *m, size_t n, const char *what) {
    char text[2 * MAX_MESSAGE + 1];
    hex(text, m, n < MAX_MESSAGE ? n : MAX_MESSAGE);
    ssize_t w = write(ep_in, m, n);
    if (w != (ssize_t)n) say("reply-failed %s %s", what, strerror(errno));
    else say("reply %s %s", what, text);
}

// One command in, its reply (and the injected faults) out.
static void answer(const uint8_t *m, size_t n) {
    char text[2 * 1024 + 1];
    hex(text, m, n < 1024 ? n : 1024);
    say("cmd %s", text);
    if (n < 10) {
        say("short-message %zu", n);
        return;
    }
    uint8_t type = m[0], slot = m[5], seq = m[6];
    uint32_t length = le32toh(*(uint32_t *)(m + 1));
    const uint8_t *data = m + 10;
    if (length != n - 10) say("length-mismatch declared %u received %zu", length, n - 10);

    pthread_mutex_lock(&lock);
    int mute = muted, delay = delay_ms, card = present, stale = badseq, cut = truncate_next, big = oversize,
        more = timeext, powerfail = failpower, sw = apdu_sw;
    uint8_t id[16];
    size_t idn = uid_len;
    memcpy(id, uid, sizeof id);
    if (!mute) badseq = truncate_next = oversize = timeext = 0;
    pthread_mutex_unlock(&lock);
    if (mute) {
        say("muted: no reply");
        return;
    }
    if (delay > 0) usleep(delay * 1000);

    uint8_t reply[MAX_MESSAGE + 16];
    uint8_t icc = card ? 0 : 2; // bmICCStatus: present and active / absent
    size_t rn = 10;
    uint8_t status = icc, error = 0;
    uint8_t rtype = 0x81; // RDR_to_PC_SlotStatus
    uint8_t answer_data[64];
    size_t an = 0;
    switch (type) {
    case 0x62: // PC_to_RDR_IccPowerOn → DataBlock with the ATR
        rtype = 0x80;
        pthread_mutex_lock(&lock);
        powerfail = failpower;
        failpower = 0;
        int stall = stall_power_ms;
        stall_power_ms = 0;
        pthread_mutex_unlock(&lock);
        if (stall > 0) {
            put_header(reply, 0x80, 0, slot, seq, 0x80 | icc, 5, 0);
            send_in(reply, 10, "time-extension");
            usleep(stall * 1000);
        }
        if (!card || powerfail) {
            status = 0x40 | (card ? 1 : 2), error = 0xFE; // failed; ICC mute
        } else {
            // The ATR PC/SC part 3 gives a contactless storage card (ISO 14443 A, MIFARE Classic 1K).
            static const uint8_t atr[] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00,
                                          0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A};
            memcpy(answer_data, atr, sizeof atr);
            an = sizeof atr;
        }
        break;
    case 0x63: // PC_to_RDR_IccPowerOff → SlotStatus
        status = card ? 1 : 2;
        break;
    case 0x65: // PC_to_RDR_GetSlotStatus
        pthread_mutex_lock(&lock);
        int cross = crosspoll && card && !no_interrupt;
        if (cross) {
            crosspoll = 0;
            present = 0;
            notify_pending = 2;
            pthread_cond_signal(&notify_cond);
            for (int sent = notifications; notifications == sent;) pthread_cond_wait(&notified_cond, &lock);
        }
        pthread_mutex_unlock(&lock);
        if (cross) say("crosspoll: removed, its notification sent before this answer");
        break;
    case 0x6F: // PC_to_RDR_XfrBlock → DataBlock
        rtype = 0x80;
        if (!card) {
            status = 0x42, error = 0xFE;
        } else if (length == 5 && memcmp(data, "\xFF\xCA\x00\x00\x00", 5) == 0) {
            pthread_mutex_lock(&lock);
            sw = apdu_sw;
            apdu_sw = -1;
            pthread_mutex_unlock(&lock);
            if (sw >= 0) {
                answer_data[0] = sw >> 8, answer_data[1] = sw & 0xFF, an = 2;
            } else {
                memcpy(answer_data, id, idn);
                answer_data[idn] = 0x90, answer_data[idn + 1] = 0x00, an = idn + 2;
            }
        } else if (length == 9 && memcmp(data, "\xFF\x00\x40", 3) == 0) {
            answer_data[0] = 0x90, answer_data[1] = 0x00, an = 2; // LED state after the pattern: both off
        } else {
            answer_data[0] = 0x6A, answer_data[1] = 0x81, an = 2; // function not supported
        }
        break;
    case 0x6B: // PC_to_RDR_Escape → RDR_to_PC_Escape: the pseudo-APDUs for the reader itself
        rtype = 0x83;
        if (length >= 7 && memcmp(data, "\xFF\x00\x00\x00", 4) == 0 && data[5] == 0xD4) {
            // Direct Transmit of a PN532 command (what the kernel's pn533_usb sends while it probes the reader):
            // the PN532's answer D5 (command + 1), for GetFirmwareVersion the IC and version, then 90 00.
            an = 0;
            answer_data[an++] = 0xD5, answer_data[an++] = data[6] + 1;
            if (data[6] == 0x02) answer_data[an++] = 0x32, answer_data[an++] = 0x01, answer_data[an++] = 0x06,
                                 answer_data[an++] = 0x07;
            answer_data[an++] = 0x90, answer_data[an++] = 0x00;
        } else if (length == 9 && memcmp(data, "\xFF\x00\x40", 3) == 0) {
            say("feedback led=%02X t1=%u t2=%u repeat=%u buzzer=%u", data[3], data[5], data[6], data[7], data[8]);
            answer_data[0] = 0x90, answer_data[1] = 0x00, an = 2;
        } else if (length == 5 && memcmp(data, "\xFF\x00\x52", 3) == 0) {
            say("card-beep %s", data[3] ? "on" : "off");
            answer_data[0] = 0x90, answer_data[1] = data[3], an = 2;
        } else {
            answer_data[0] = 0x63, answer_data[1] = 0x00, an = 2;
        }
        break;
    default: // not supported: SlotStatus, command failed, bError 0 (§6.2.6)
        status = 0x40 | icc, error = 0;
        break;
    }
    if (more) {
        put_header(reply, rtype, 0, slot, seq, 0x80 | icc, 2, 0);
        send_in(reply, 10, "time-extension");
        usleep(300 * 1000);
    }
    if (stale) {
        put_header(reply, rtype, an, slot, seq + 1, status, error, 0);
        memcpy(reply + 10, answer_data, an);
        send_in(reply, 10 + an, "stale-seq");
    }
    put_header(reply, rtype, an, slot, seq, status, error, rtype == 0x81 ? 0 : 0);
    memcpy(reply + 10, answer_data, an);
    rn = 10 + an;
    if (cut) {
        put_header(reply, rtype, an + 8, slot, seq, status, error, 0);
        send_in(reply, rn, "truncated");
    } else if (big) {
        put_header(reply, rtype, 65536, slot, seq, status, error, 0);
        send_in(reply, rn, "oversized");
    } else {
        send_in(reply, rn, "ok");
    }
}

static void *bulk_thread(void *unused) {
    (void)unused;
    uint8_t buffer[4096];
    for (;;) {
        ssize_t n = read(ep_out, buffer, sizeof buffer);
        if (n < 0) {
            if (errno != EINTR) usleep(20 * 1000); // not enabled (unplugged): wait for the host again
            continue;
        }
        answer(buffer, n);
    }
    return NULL;
}

static void *notify_thread(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!notify_pending) pthread_cond_wait(&notify_cond, &lock);
        uint8_t message[2] = {0x50, (uint8_t)notify_pending};
        notify_pending = 0;
        pthread_mutex_unlock(&lock);
        ssize_t w = write(ep_int, message, sizeof message);
        say("notify %s %s", message[1] & 1 ? "present" : "absent", w == 2 ? "sent" : strerror(errno));
        pthread_mutex_lock(&lock);
        notifications++;
        pthread_cond_broadcast(&notified_cond);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void control(char *line) {
    char *word = strtok(line, " \t\r\n");
    char *arg = strtok(NULL, " \t\r\n");
    if (!word) return;
    pthread_mutex_lock(&lock);
    if (!strcmp(word, "tap") && arg) {
        size_t n = strlen(arg) / 2;
        if (n > sizeof uid) n = sizeof uid;
        for (size_t i = 0; i < n; i++) sscanf(arg + 2 * i, "%2hhx", &uid[i]);
        uid_len = n;
        present = 1;
        notify_pending = 3;
    } else if (!strcmp(word, "remove")) {
        present = 0;
        notify_pending = 2;
    } else if (!strcmp(word, "mute")) {
        muted = 1;
    } else if (!strcmp(word, "unmute")) {
        muted = 0;
    } else if (!strcmp(word, "delay") && arg) {
        delay_ms = atoi(arg);
    } else if (!strcmp(word, "badseq")) {
        badseq = 1;
    } else if (!strcmp(word, "truncate")) {
        truncate_next = 1;
    } else if (!strcmp(word, "oversize")) {
        oversize = 1;
    } else if (!strcmp(word, "timeext")) {
        timeext = 1;
    } else if (!strcmp(word, "stallpower") && arg) {
        stall_power_ms = atoi(arg);
    } else if (!strcmp(word, "crosspoll")) {
        crosspoll = 1;
    } else if (!strcmp(word, "failpower")) {
        failpower = 1;
    } else if (!strcmp(word, "apdu") && arg) {
        apdu_sw = (int)strtol(arg, NULL, 16);
    } else {
        pthread_mutex_unlock(&lock);
        say("unknown-control %s", word);
        return;
    }
    if (notify_pending && !no_interrupt) pthread_cond_signal(&notify_cond);
    if (no_interrupt) notify_pending = 0;
    pthread_mutex_unlock(&lock);
    say("control %s%s%s", word, arg ? " " : "", arg ? arg : "");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ccidgadget FFS_DIR CONTROL_FIFO [--tpdu] [--no-interrupt]\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--tpdu")) tpdu = 1;
        else if (!strcmp(argv[i], "--no-interrupt")) no_interrupt = 1;
        else {
            fprintf(stderr, "ccidgadget: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char path[512];
    snprintf(path, sizeof path, "%s/ep0", argv[1]);
    int ep0 = open(path, O_RDWR);
    if (ep0 < 0) {
        fprintf(stderr, "ccidgadget: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (write_descriptors(ep0) != 0) return 1;
    snprintf(path, sizeof path, "%s/ep1", argv[1]);
    ep_out = open(path, O_RDWR);
    snprintf(path, sizeof path, "%s/ep2", argv[1]);
    ep_in = open(path, O_RDWR);
    if (!no_interrupt) {
        snprintf(path, sizeof path, "%s/ep3", argv[1]);
        ep_int = open(path, O_RDWR);
    }
    if (ep_out < 0 || ep_in < 0 || (!no_interrupt && ep_int < 0)) {
        fprintf(stderr, "ccidgadget: endpoint files in %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int fifo = open(argv[2], O_RDWR | O_NONBLOCK);
    if (fifo < 0) {
        fprintf(stderr, "ccidgadget: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    pthread_t bulk, notify;
    pthread_create(&bulk, NULL, bulk_thread, NULL);
    if (!no_interrupt) pthread_create(&notify, NULL, notify_thread, NULL);
    say("ready %s%s", tpdu ? "tpdu" : "short-apdu", no_interrupt ? " no-interrupt" : "");

    char line[256];
    size_t used = 0;
    for (;;) {
        struct pollfd fds[2] = {{ep0, POLLIN, 0}, {fifo, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            struct usb_functionfs_event event;
            if (read(ep0, &event, sizeof event) == sizeof event) {
                static const char *names[] = {"bind", "unbind", "enable", "disable", "setup", "suspend", "resume"};
                say("ep0 %s", event.type < 7 ? names[event.type] : "?");
                if (event.type == FUNCTIONFS_SETUP) {
                    // No class request (ABORT, GET_CLOCK_FREQUENCIES, GET_DATA_RATES) is supported: stall.
                    if (event.u.setup.bRequestType & USB_DIR_IN) {
                        if (read(ep0, NULL, 0) < 0) {}
                    } else if (write(ep0, NULL, 0) < 0) {
                    }
                }
            }
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = read(fifo, line + used, sizeof line - 1 - used);
            if (n > 0) used += n;
            char *newline;
            while ((newline = memchr(line, '\n', used))) {
                *newline = 0;
                control(line);
                size_t rest = used - (newline + 1 - line);
                memmove(line, newline + 1, rest);
                used = rest;
            }
            if (used == sizeof line - 1) used = 0; // a line too long: dropped
        }
    }
}
