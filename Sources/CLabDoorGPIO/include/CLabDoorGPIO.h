// CLabDoorGPIO: one C API over libgpiod 1.6 (Debian 12) and 2.x (Debian 13).
//
// Every symbol is prefixed `labdoor_gpio_`. Swift sees only this header; the libgpiod generation is chosen at
// compile time from the installed headers. Functions that fail return NULL or -1 with errno set.
#ifndef CLABDOOR_GPIO_H
#define CLABDOOR_GPIO_H

#include <stddef.h>
#include <stdint.h>

/// The version string of the libgpiod library linked at run time (e.g. "1.6.3" or "2.2.1").
const char *labdoor_gpio_library_version(void);

/// The libgpiod API generation the facade was compiled against: 1 or 2.
int labdoor_gpio_api_generation(void);

/// An open GPIO chip (opaque). Close with labdoor_gpio_chip_close.
typedef struct labdoor_gpio_chip labdoor_gpio_chip;

/// A requested line (opaque): an output, or an input with both-edge events. Release with labdoor_gpio_release.
typedef struct labdoor_gpio_line labdoor_gpio_line;

/// Opens the chip whose label, name ("gpiochip0") or /dev path equals `spec`, searching /dev/gpiochip*.
/// Returns NULL with errno ENOENT when none matches.
labdoor_gpio_chip *labdoor_gpio_chip_open(const char *spec);

/// Closes a chip (its lines must be released first).
void labdoor_gpio_chip_close(labdoor_gpio_chip *chip);

/// The chip's label, name and number of lines.
const char *labdoor_gpio_chip_label(labdoor_gpio_chip *chip);
const char *labdoor_gpio_chip_name(labdoor_gpio_chip *chip);
unsigned labdoor_gpio_chip_num_lines(labdoor_gpio_chip *chip);

/// Writes a description of every chip ("gpiochip0 'label' (N lines)", separated by "; ") into `buffer`.
void labdoor_gpio_list_chips(char *buffer, size_t size);

/// The offset of the line named `name` on the chip, or -1.
int labdoor_gpio_find_line(labdoor_gpio_chip *chip, const char *name);

/// Whether the line is in use, and by whom (`consumer` gets the consumer name or ""). Returns 1 used, 0 free,
/// -1 error.
int labdoor_gpio_line_in_use(labdoor_gpio_chip *chip, unsigned offset, char *consumer, size_t size);

/// Requests a line as an output with `value` (the physical level, 0 or 1) from the first instant.
labdoor_gpio_line *labdoor_gpio_request_output(labdoor_gpio_chip *chip, unsigned offset, const char *consumer, int value);

/// Requests a line as an input with both-edge events.
labdoor_gpio_line *labdoor_gpio_request_input(labdoor_gpio_chip *chip, unsigned offset, const char *consumer);

/// Sets an output's physical level. Returns 0 or -1.
int labdoor_gpio_set_value(labdoor_gpio_line *line, int value);

/// Reads a line's physical level: 0, 1, or -1.
int labdoor_gpio_get_value(labdoor_gpio_line *line);

/// The file descriptor that becomes readable when an input has edge events.
int labdoor_gpio_event_fd(labdoor_gpio_line *line);

/// Reads one edge event (call when the fd is readable): returns 1 and sets `rising` (1 rising, 0 falling) and
/// `timestamp_ns` (kernel monotonic), or -1.
int labdoor_gpio_read_event(labdoor_gpio_line *line, int *rising, uint64_t *timestamp_ns);

/// Releases a line (the kernel then stops driving it: the wiring's pull decides its level).
void labdoor_gpio_release(labdoor_gpio_line *line);

#endif
