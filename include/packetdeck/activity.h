#ifndef PD_ACTIVITY_H
#define PD_ACTIVITY_H
#endif
