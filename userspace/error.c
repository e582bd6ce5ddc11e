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

static void report(int err, const char *fmt, va_list ap)
{
	fputs("mmapdemo: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

/* Report errno and exit. */
void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	report(err, fmt, ap);
	va_end(ap);
	exit(1);
}

void die_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, fmt, ap);
	va_end(ap);
	exit(1);
}

void warn_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(err, fmt, ap);
	va_end(ap);
}

/* A command line mistake of @cmd (NULL: before the command). */
void die_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'mmapdemo%s%s --help'.\n", cmd ? " " : "",
		cmd ? cmd->name : "");
	exit(2);
}

/* The argument @arg of option @opt in @options is wrong, and @err says how. */
void die_bad_arg(const struct command *cmd, const struct option *options,
		 int opt, const char *arg, int err)
{
	while (options->name && options->val != opt)
		options++;
	die_usage(cmd, "--%s '%s': %s", options->name ? options->name : "?",
		  arg, strerror(err));
}
