#include "CLabDoorGPIO.h"

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libgpiod 2.x removed the 1.x "line bulk" API and introduced line settings objects; the presence of
// GPIOD_LINE_BULK_MAX_LINES identifies the 1.x headers.
#ifdef GPIOD_LINE_BULK_MAX_LINES
#define LABDOOR_GPIOD_API 1
#else
#define LABDOOR_GPIOD_API 2
#endif

const char *labdoor_gpio_library_version(void) {
#if LABDOOR_GPIOD_API == 1
    return gpiod_version_string();
#else
    return gpiod_api_version();
#endif
}

int labdoor_gpio_api_generation(void) { return LABDOOR_GPIOD_API; }

struct labdoor_gpio_chip {
    struct gpiod_chip *chip;
    char label[64];
    char name[64];
    unsigned num_lines;
};

struct labdoor_gpio_line {
#if LABDOOR_GPIOD_API == 1
    struct gpiod_line *line;
#else
    struct gpiod_line_request *request;
    struct gpiod_edge_event_buffer *events;
    unsigned offset;
#endif
};

// Opens /dev/NAME and fills the chip's identity.
static labdoor_gpio_chip *open_path(const char *path) {
    struct gpiod_chip *c = gpiod_chip_open(path);
    if (!c) return NULL;
    labdoor_gpio_chip *chip = calloc(1, sizeof *chip);
    if (!chip) {
        gpiod_chip_close(c);
        errno = ENOMEM;
        return NULL;
    }
    chip->chip = c;
#if LABDOOR_GPIOD_API == 1
    snprintf(chip->label, sizeof chip->label, "%s", gpiod_chip_label(c));
    snprintf(chip->name, sizeof chip->name, "%s", gpiod_chip_name(c));
    chip->num_lines = gpiod_chip_num_lines(c);
#else
    struct gpiod_chip_info *info = gpiod_chip_get_info(c);
    if (info) {
        snprintf(chip->label, sizeof chip->label, "%s", gpiod_chip_info_get_label(info));
        snprintf(chip->name, sizeof chip->name, "%s", gpiod_chip_info_get_name(info));
        chip->num_lines = (unsigned)gpiod_chip_info_get_num_lines(info);
        gpiod_chip_info_free(info);
    }
#endif
    return chip;
}

static int is_chip_entry(const struct dirent *entry) { return strncmp(entry->d_name, "gpiochip", 8) == 0; }

labdoor_gpio_chip *labdoor_gpio_chip_open(const char *spec) {
    if (spec[0] == '/') return open_path(spec);
    struct dirent **entries;
    int n = scandir("/dev", &entries, is_chip_entry, alphasort);
    if (n < 0) return NULL;
    labdoor_gpio_chip *found = NULL;
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof path, "/dev/%s", entries[i]->d_name);
        if (!found) {
            labdoor_gpio_chip *chip = open_path(path);
            if (chip && (strcmp(chip->label, spec) == 0 || strcmp(chip->name, spec) == 0)) {
                found = chip;
            } else if (chip) {
                labdoor_gpio_chip_close(chip);
            }
        }
        free(entries[i]);
    }
    free(entries);
    if (!found) errno = ENOENT;
    return found;
}

void labdoor_gpio_chip_close(labdoor_gpio_chip *chip) {
    if (!chip) return;
    gpiod_chip_close(chip->chip);
    free(chip);
}

const char *labdoor_gpio_chip_label(labdoor_gpio_chip *chip) { return chip->label; }
const char *labdoor_gpio_chip_name(labdoor_gpio_chip *chip) { return chip->name; }
unsigned labdoor_gpio_chip_num_lines(labdoor_gpio_chip *chip) { return chip->num_lines; }

void labdoor_gpio_list_chips(char *buffer, size_t size) {
    buffer[0] = '\0';
    struct dirent **entries;
    int n = scandir("/dev", &entries, is_chip_entry, alphasort);
    if (n < 0) return;
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof path, "/dev/%s", entries[i]->d_name);
        labdoor_gpio_chip *chip = open_path(path);
        if (chip && used < size) {
            used += (size_t)snprintf(buffer + used, size - used, "%s%s '%s' (%u lines)", used ? "; " : "", chip->name,
                                     chip->label, chip->num_lines);
        } else if (!chip && used < size) {
            used += (size_t)snprintf(buffer + used, size - used, "%s%s (cannot open: %s)", used ? "; " : "",
                                     entries[i]->d_name, strerror(errno));
        }
        labdoor_gpio_chip_close(chip);
        free(entries[i]);
    }
    free(entries);
}

int labdoor_gpio_find_line(labdoor_gpio_chip *chip, const char *name) {
#if LABDOOR_GPIOD_API == 1
    struct gpiod_line *line = gpiod_chip_find_line(chip->chip, name);
    return line ? (int)gpiod_line_offset(line) : -1;
#else
    return gpiod_chip_get_line_offset_from_name(chip->chip, name);
#endif
}

int labdoor_gpio_line_in_use(labdoor_gpio_chip *chip, unsigned offset, char *consumer, size_t size) {
    consumer[0] = '\0';
#if LABDOOR_GPIOD_API == 1
    struct gpiod_line *line = gpiod_chip_get_line(chip->chip, offset);
    if (!line || gpiod_line_update(line) != 0) return -1;
    const char *name = gpiod_line_consumer(line);
    if (name) snprintf(consumer, size, "%s", name);
    return gpiod_line_is_used(line) ? 1 : 0;
#else
    struct gpiod_line_info *info = gpiod_chip_get_line_info(chip->chip, offset);
    if (!info) return -1;
    const char *name = gpiod_line_info_get_consumer(info);
    if (name) snprintf(consumer, size, "%s", name);
    int used = gpiod_line_info_is_used(info) ? 1 : 0;
    gpiod_line_info_free(info);
    return used;
#endif
}

#if LABDOOR_GPIOD_API == 1
// Requests one line as an output with `value`, or as an input with both-edge events.
static labdoor_gpio_line *request(labdoor_gpio_chip *chip, unsigned offset, const char *consumer, int output, int value) {
    struct gpiod_line *l = gpiod_chip_get_line(chip->chip, offset);
    if (!l) return NULL;
    int rc = output ? gpiod_line_request_output(l, consumer, value) : gpiod_line_request_both_edges_events(l, consumer);
    if (rc != 0) return NULL;
    labdoor_gpio_line *line = calloc(1, sizeof *line);
    if (!line) {
        gpiod_line_release(l);
        errno = ENOMEM;
        return NULL;
    }
    line->line = l;
    return line;
}
#else
static labdoor_gpio_line *request(labdoor_gpio_chip *chip, unsigned offset, const char *consumer, int output, int value) {
    struct gpiod_line_settings *settings = gpiod_line_settings_new();
    struct gpiod_line_config *config = gpiod_line_config_new();
    struct gpiod_request_config *rconfig = gpiod_request_config_new();
    labdoor_gpio_line *line = NULL;
    if (settings && config && rconfig) {
        if (output) {
            gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT);
            gpiod_line_settings_set_output_value(settings, value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
        } else {
            gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT);
            gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_BOTH);
        }
        gpiod_request_config_set_consumer(rconfig, consumer);
        if (gpiod_line_config_add_line_settings(config, &offset, 1, settings) == 0) {
            struct gpiod_line_request *req = gpiod_chip_request_lines(chip->chip, rconfig, config);
            if (req) {
                line = calloc(1, sizeof *line);
                if (line) {
                    line->request = req;
                    line->offset = offset;
                    line->events = output ? NULL : gpiod_edge_event_buffer_new(16);
                } else {
                    gpiod_line_request_release(req);
                    errno = ENOMEM;
                }
            }
        }
    }
    int saved = errno;
    gpiod_line_settings_free(settings);
    gpiod_line_config_free(config);
    gpiod_request_config_free(rconfig);
    errno = saved;
    return line;
}
#endif

labdoor_gpio_line *labdoor_gpio_request_output(labdoor_gpio_chip *chip, unsigned offset, const char *consumer, int value) {
    return request(chip, offset, consumer, 1, value);
}

labdoor_gpio_line *labdoor_gpio_request_input(labdoor_gpio_chip *chip, unsigned offset, const char *consumer) {
    return request(chip, offset, consumer, 0, 0);
}

int labdoor_gpio_set_value(labdoor_gpio_line *line, int value) {
#if LABDOOR_GPIOD_API == 1
    return gpiod_line_set_value(line->line, value);
#else
    return gpiod_line_request_set_value(line->request, line->offset, value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
#endif
}

int labdoor_gpio_get_value(labdoor_gpio_line *line) {
#if LABDOOR_GPIOD_API == 1
    return gpiod_line_get_value(line->line);
#else
    enum gpiod_line_value v = gpiod_line_request_get_value(line->request, line->offset);
    return v == GPIOD_LINE_VALUE_ERROR ? -1 : (v == GPIOD_LINE_VALUE_ACTIVE ? 1 : 0);
#endif
}

int labdoor_gpio_event_fd(labdoor_gpio_line *line) {
#if LABDOOR_GPIOD_API == 1
    return gpiod_line_event_get_fd(line->line);
#else
    return gpiod_line_request_get_fd(line->request);
#endif
}

int labdoor_gpio_read_event(labdoor_gpio_line *line, int *rising, uint64_t *timestamp_ns) {
#if LABDOOR_GPIOD_API == 1
    struct gpiod_line_event event;
    if (gpiod_line_event_read(line->line, &event) != 0) return -1;
    *rising = event.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
    *timestamp_ns = (uint64_t)event.ts.tv_sec * 1000000000ULL + (uint64_t)event.ts.tv_nsec;
    return 1;
#else
    if (!line->events || gpiod_line_request_read_edge_events(line->request, line->events, 1) != 1) return -1;
    struct gpiod_edge_event *event = gpiod_edge_event_buffer_get_event(line->events, 0);
    *rising = gpiod_edge_event_get_event_type(event) == GPIOD_EDGE_EVENT_RISING_EDGE;
    *timestamp_ns = gpiod_edge_event_get_timestamp_ns(event);
    return 1;
#endif
}

void labdoor_gpio_release(labdoor_gpio_line *line) {
    if (!line) return;
#if LABDOOR_GPIOD_API == 1
    gpiod_line_release(line->line);
#else
    gpiod_line_request_release(line->request);
    if (line->events) gpiod_edge_event_buffer_free(line->events);
#endif
    free(line);
}
