// libgpiod (1.6 on Debian 12, 2.x on Debian 13) as one C module. Swift does not import it directly: the
// version differences are hidden by the CLabDoorGPIO facade.
#ifndef CGPIOD_SHIM_H
#define CGPIOD_SHIM_H
#include <gpiod.h>
#endif
