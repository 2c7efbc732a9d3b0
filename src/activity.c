/* activity.c - (being written) */
#include "packetdeck/activity.h"
