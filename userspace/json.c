// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough of a JSON writer for the tool: one object with its format
 * version first, then objects, arrays, numbers, booleans, strings and null,
 * indented by two spaces a level.  @key names a member inside an object and
 * is NULL inside an array.
 */
#include <stdlib.h>

#include "cli.h"

/* A string, with the escapes JSON requires. */
static void json_quote(struct json *j, const char *s)
{
	fputc('"', j->f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(j->f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(j->f, "\\u%04x", *s);
		else
			fputc(*s, j->f);
	}
	fputc('"', j->f);
}

/* Start a value: a comma after the one before, the indent, the key. */
static void json_item(struct json *j, const char *key)
{
	if (j->depth) {
		fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
		fprintf(j->f, "%*s", 2 * j->depth, "");
	}
	j->first[j->depth] = false;
	if (key) {
		json_quote(j, key);
		fputs(": ", j->f);
	}
}

void json_begin(struct json *j, FILE *f)
{
	*j = (struct json){ .f = f };
	json_open(j, NULL, '{');
	json_u64(j, "format", JSON_FORMAT);
}

/* The document ends with a newline. */
void json_end(struct json *j)
{
	json_close(j, '}');
	fputc('\n', j->f);
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_item(j, key);
	fputc(bracket, j->f);
	if (++j->depth >= (int)ARRAY_SIZE(j->first))
		abort();
	j->first[j->depth] = true;
}

void json_close(struct json *j, char bracket)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	json_item(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_item(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_item(j, key);
	json_quote(j, s);
}

void json_null(struct json *j, const char *key)
{
	json_item(j, key);
	fputs("null", j->f);
}
