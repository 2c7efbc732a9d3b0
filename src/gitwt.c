/* gitwt.c - libgit2 behind gitwt.h. No other file includes git2.h. */
#include "packetdeck/gitwt.h"
#include "packetdeck/error.h"

#include <git2.h>

static int initialised;

int pd_git_init(void)
{
	if (initialised)
		return 0;
	if (git_libgit2_init() < 0) {
		const git_error *e = git_error_last();

		return pd_error_set(PD_ERROR, "libgit2: %s", e ? e->message : "cannot initialise");
	}
	initialised = 1;
	return 0;
}

void pd_git_shutdown(void)
{
	if (!initialised)
		return;
	git_libgit2_shutdown();
	initialised = 0;
}

bool pd_git_branch_name_valid(const char *name)
{
	int valid = 0;

	if (pd_git_init() < 0)
		return false;
	if (git_branch_name_is_valid(&valid, name) < 0)
		return false;
	return valid != 0;
}
