/* fuzz_packet.c - the packet parser (frontmatter through libyaml, tasks)
 * on any bytes: no crash, no leak, a result or diagnostics, never both
 * missing. */
#include "fuzz.h"
#include "packetdeck/packet.h"

#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_packet *p = NULL;
	int rc = pd_packet_parse(&p, "fuzz.md", (const char *)data, size, &d);

	if (rc == 0 && !p)
		abort(); /* success must give a packet */
	if (rc != 0 && pd_diags_total(&d) == 0 && rc != PD_ENOMEM)
		abort(); /* a refusal must say why */
	if (p) {
		size_t i;

		for (i = 0; i < p->ntasks; i++)
			if (!p->tasks[i].id || pd_packet_find_task(p, p->tasks[i].id) < 0)
				abort();
	}
	pd_packet_free(p);
	pd_diags_free(&d);
	return 0;
}
