// SPDX-License-Identifier: GPL-2.0
/* A hexdump -C of memory: offset, 16 bytes in hex, the same as text. */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define ROW 16

static void hexdump_row(FILE *f, const unsigned char *p, size_t len,
			uint64_t off)
{
	size_t i;

	fprintf(f, "%08llx ", (unsigned long long)off);
	for (i = 0; i < ROW; i++) {
		if (i % 8 == 0)
			fputc(' ', f);
		if (i < len)
			fprintf(f, "%02x ", p[i]);
		else
			fputs("   ", f);
	}
	fputs(" |", f);
	for (i = 0; i < len; i++)
		fputc(isprint(p[i]) ? p[i] : '.', f);
	fputs("|\n", f);
}

/*
 * Dump @len bytes at @p, numbered from @base.  Like hexdump -C, a run of
 * rows equal to the one before is shown as one "*".
 */
void hexdump(FILE *f, const unsigned char *p, size_t len, uint64_t base)
{
	bool squeezed = false;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < ROW ? len - off : ROW;
		if (off && n == ROW && !memcmp(p + off, p + off - ROW, ROW)) {
			if (!squeezed)
				fputs("*\n", f);
			squeezed = true;
			continue;
		}
		squeezed = false;
		hexdump_row(f, p + off, n, base + off);
	}
	fprintf(f, "%08llx\n", (unsigned long long)(base + len));
}
