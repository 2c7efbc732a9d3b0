#ifndef UI_TERMNOTIFY_H
#define UI_TERMNOTIFY_H
#endif
