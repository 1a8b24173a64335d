#include "CLabDoorGPIO.h"

#include <gpiod.h>

// libgpiod 2.x removed the 1.x "line bulk" API and introduced line settings objects; the presence of
// GPIOD_LINE_BULK_MAX_LINES identifies the 1.x headers.
#ifdef GPIOD_LINE_BULK_MAX_LINES
#define LABDOOR_GPIOD_API 1
#else
#define LABDOOR_GPIOD_API 2
#endif

const char *labdoor_gpio_library_version(void) { return gpiod_version_string(); }

int labdoor_gpio_api_generation(void) { return LABDOOR_GPIOD_API; }
