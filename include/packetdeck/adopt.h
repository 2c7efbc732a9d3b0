/* adopt.h - the fields upstream's generator leaves out of manifest.json,
 * added with upstream's defaults (`packetdeck adopt`).
 *
 * The seed (/execute-work-packets-seq) requires merge_strategy and
 * post_merge_qa and gives them in its schema as "worktree-merge" and
 * ["pytest", "green-mirage-audit"]; upstream's generator writes neither, so
 * validate refuses its dirs. pd_adopt_prepare reads the manifest (strict
 * JSON, errors located as FILE:LINE:COL) and works out what is missing;
 * pd_adopt_write writes it, under .packetdeck/run.lock: the original bytes
 * first, to manifest.json.orig (an existing .orig is never replaced: it
 * keeps the manifest as it was before the first adopt), then the new
 * manifest atomically and durably (fsio.h), with the original's mode.
 * Only missing fields are added, at the end of the object; every other
 * member keeps its order and value (the text is cJSON's formatted print).
 * This is the only code in packetdeck that writes the manifest.
 */
#ifndef PD_ADOPT_H
#define PD_ADOPT_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/lock.h"

#define PD_ADOPT_MERGE_STRATEGY "worktree-merge"
#define PD_ADOPT_MAX_FIELDS 2

typedef struct pd_adopt {
	char *manifest_path;   /* DIR/manifest.json */
	char *orig_path;       /* DIR/manifest.json.orig */
	char *original;        /* the bytes read */
	size_t original_len;
	char *text;            /* the new manifest (NUL-terminated); NULL when nothing is missing */
	size_t text_len;
	const char *names[PD_ADOPT_MAX_FIELDS]; /* the fields added, in order */
	char *values[PD_ADOPT_MAX_FIELDS];      /* each one's value as compact JSON */
	size_t nadded;
	bool orig_kept;        /* after pd_adopt_write: a .orig was there and was kept */
	pd_lockinfo holder;    /* after PD_ELOCKED: the run holding the dir */
} pd_adopt;

/* Read DIR/manifest.json and work out what to add. PD_EINVALID (message:
 * "FILE:LINE:COL: what" or "FILE: what") when it is missing, not a
 * regular file, a symlink, not strict JSON or not an object. */
int pd_adopt_prepare(pd_adopt *a, const char *packet_dir);

/* Write what pd_adopt_prepare found (nothing when nothing is missing).
 * PD_ELOCKED when a run holds the packet dir (a->holder names it);
 * PD_EINVALID when the manifest changed since it was read. On a failure
 * the manifest is unchanged. */
int pd_adopt_write(pd_adopt *a, const char *packet_dir);

void pd_adopt_clear(pd_adopt *a);

#endif
