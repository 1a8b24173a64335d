// HIL harness probe (not the daemon): proves that gpio-sim lines are driven and read back through libgpiod
// (1.6 API, Debian 12).
//
//   gpioprobe set LABEL OFFSET VALUE SECONDS   request the line as output with VALUE, hold it SECONDS
//   gpioprobe wait LABEL OFFSET SECONDS        request both-edge events; print "rising"/"falling" for the first
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: gpioprobe set LABEL OFFSET VALUE SECONDS | wait LABEL OFFSET SECONDS\n"); return 2; }
    struct gpiod_chip *chip = gpiod_chip_open_by_label(argv[2]);
    if (!chip) { fprintf(stderr, "no chip labelled %s\n", argv[2]); return 1; }
    struct gpiod_line *line = gpiod_chip_get_line(chip, (unsigned)atoi(argv[3]));
    if (!line) { fprintf(stderr, "no line %s\n", argv[3]); return 1; }
    if (strcmp(argv[1], "set") == 0) {
        if (gpiod_line_request_output(line, "gpioprobe", atoi(argv[4])) != 0) { perror("request output"); return 1; }
        printf("holding %s\n", argv[4]);
        fflush(stdout);
        sleep((unsigned)atoi(argv[5]));
        gpiod_line_release(line);
        return 0;
    }
    if (gpiod_line_request_both_edges_events(line, "gpioprobe") != 0) { perror("request events"); return 1; }
    printf("waiting\n");
    fflush(stdout);
    struct timespec timeout = {atoi(argv[4]), 0};
    if (gpiod_line_event_wait(line, &timeout) != 1) { fprintf(stderr, "no event\n"); return 1; }
    struct gpiod_line_event event;
    if (gpiod_line_event_read(line, &event) != 0) { perror("read event"); return 1; }
    printf("%s\n", event.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? "rising" : "falling");
    gpiod_line_release(line);
    gpiod_chip_close(chip);
    return 0;
}
