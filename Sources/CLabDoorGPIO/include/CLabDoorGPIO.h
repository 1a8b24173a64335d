// CLabDoorGPIO: one C API over libgpiod 1.6 (Debian 12) and 2.x (Debian 13).
//
// Every symbol is prefixed `labdoor_gpio_`. Swift sees only this header; the libgpiod version is chosen at
// compile time from the installed headers.
#ifndef CLABDOOR_GPIO_H
#define CLABDOOR_GPIO_H

/// The version string of the libgpiod library linked at run time (e.g. "1.6.3" or "2.2.1").
const char *labdoor_gpio_library_version(void);

/// The libgpiod API generation the facade was compiled against: 1 or 2.
int labdoor_gpio_api_generation(void);

#endif
