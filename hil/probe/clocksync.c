/* LabDoor HIL: tell the VM's kernel its clock is synchronised, as an NTP daemon would (adjtimex: STA_UNSYNC
 * cleared, a small maximum error), or not ("unsync"). Lets the systemd scenarios prove that the sandboxed daemon
 * may still ask the kernel (adjtimex with no modes) without systemd-timesyncd. Needs CAP_SYS_TIME (root). */
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

int main(int argc, char **argv) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    if (adjtimex(&tx) == -1) { perror("clocksync: adjtimex (read)"); return 1; }
    int unsync = argc > 1 && strcmp(argv[1], "unsync") == 0;
    tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
    tx.status = unsync ? (tx.status | STA_UNSYNC) : (tx.status & ~STA_UNSYNC);
    tx.maxerror = unsync ? 16000000 : 1000;
    tx.esterror = unsync ? 16000000 : 100;
    int state = adjtimex(&tx);
    if (state == -1) { perror("clocksync: adjtimex (set)"); return 1; }
    printf("clocksync: kernel clock state %d (%s)\n", state, state == TIME_ERROR ? "unsynchronised" : "synchronised");
    return 0;
}
