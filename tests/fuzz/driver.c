/* driver.c - runs a fuzz harness over files, for builds without
 * libFuzzer: `fuzz_x FILE...` feeds each file once (the seed corpora and
 * the kept crashers are regression tests of every build). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int i, n = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		long len;

		if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		    !(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 1;
		}
		fclose(f);
		/* the byte after the input is not a NUL: like libFuzzer's, the
		 * data is not a C string, and a reader that takes it for one
		 * trips here too */
		buf[len] = '}';
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		free(buf);
		n++;
	}
	printf("%d inputs ran\n", n);
	return 0;
}
