// SPDX-License-Identifier: GPL-2.0
/*
 * Error messages: "mmapdemo: <what>: <strerror>" on stderr.  Failures exit
 * with 1; mistakes on the command line exit with 2 and point at --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "mmapdemo: <what>: <strerror><hint>" */
static void report(int err, const char *hint, const char *fmt, va_list ap)
{
	fputs("mmapdemo: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fprintf(stderr, "%s\n", hint);
}

/* Report errno and exit. */
void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	report(err, "", fmt, ap);
	va_end(ap);
	exit(1);
}

void die_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, "", fmt, ap);
	va_end(ap);
	exit(1);
}

void die_device(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, device_err_hint(err), fmt, ap);
	va_end(ap);
	exit(1);
}

void warn_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, "", fmt, ap);
	va_end(ap);
}

/* A command line mistake of @cmd (NULL or nameless: before the command). */
void die_usage(const struct command *cmd, const char *fmt, ...)
{
	const char *name = cmd && cmd->name ? cmd->name : NULL;
	va_list ap;

	va_start(ap, fmt);
	report(0, "", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'mmapdemo%s%s --help'.\n", name ? " " : "",
		name ? name : "");
	exit(2);
}
