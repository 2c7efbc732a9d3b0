/* termnotify.c - (being written) */
#include "termnotify.h"
