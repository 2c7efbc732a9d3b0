/* frontmatter.h - the YAML frontmatter of a packet, read with libyaml.
 * Internal to packet.c (see packet.h for the rules). */
#ifndef PD_FRONTMATTER_H
#define PD_FRONTMATTER_H

#include "packetdeck/packet.h"

struct pd_arena;

/* Parse text[0..len) as frontmatter whose first line is file line
 * `first_line`; its strings go to `arena`. Problems go to diags located
 * "PATH:LINE". */
void pd_frontmatter_parse(pd_frontmatter *fm, struct pd_arena *arena, const char *text,
			  size_t len, unsigned first_line, const char *path, pd_diags *diags);

#endif
