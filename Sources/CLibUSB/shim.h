// libusb-1.0 as one Swift module. pkg-config adds -I/usr/include/libusb-1.0, so the header is found by name.
#ifndef CLIBUSB_SHIM_H
#define CLIBUSB_SHIM_H
#include <libusb.h>
#endif
