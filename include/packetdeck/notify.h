#ifndef PD_NOTIFY_H
#define PD_NOTIFY_H
#endif
