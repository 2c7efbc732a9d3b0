/* notify.c - (being written) */
#include "packetdeck/notify.h"
