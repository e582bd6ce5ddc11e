// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's trace events, read through tracefs.  They are recorded in a
 * tracefs instance of our own (instances/mmapdemo-<pid>), with its own
 * buffer and its own enable files, so that neither the events a person has
 * enabled nor the trace they have recorded in the top-level buffer are
 * disturbed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefs.h"
#include "util.h"

#define EVENTS "events/mmapdemo"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

int trace_write(const char *dir, const char *name, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Read the file @name of @dir into a malloc()ed string; NULL and errno. */
char *trace_read(const char *dir, const char *name)
{
	size_t len = 0, size = 0;
	char path[512], *buf = NULL, *bigger;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	do {
		if (size - len < 4096) {
			size = size ? 2 * size : 65536;
			bigger = realloc(buf, size);
			if (!bigger)
				goto err_free;
			buf = bigger;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			goto err_free;
		len += n;
	} while (n);
	buf[len] = '\0';
	close(fd);
	return buf;

err_free:
	free(buf);
	close(fd);
	return NULL;
}

static bool exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

/* Find tracefs and the driver's events in it; @root gets the tracefs path. */
static int trace_find(char *root, size_t size)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		if (!exists(tracefs_roots[i], "trace"))
			continue;
		snprintf(root, size, "%s", tracefs_roots[i]);
		return exists(root, EVENTS) ? 0 : -ENODEV;
	}
	snprintf(root, size, "%s", tracefs_roots[0]);
	return -ENOENT;
}

/*
 * Make the instance @dir of the tracefs at @root.  An instance starts with
 * the top level's options, and one of them, record-cmd (record the names of
 * the tasks), hooks the scheduler's tracepoints whenever an event is turned
 * on, and unhooks them when it is turned off: that patches __schedule()
 * while the other CPUs run it, which under QEMU's TCG hung the guest (a
 * vCPU looping on the int3 of the patch, the other waiting for it in
 * text_poke_bp()).  The driver's events need no task names: the instance
 * is made while record-cmd is off at the top level, which is then put back.
 */
static int trace_mkdir(const char *root, const char *dir)
{
	char path[512], was[8] = "";
	int ret = 0;

	snprintf(path, sizeof(path), "%s/options/record-cmd", root);
	if (!read_small_file(path, was, sizeof(was)) && was[0] == '1')
		trace_write(root, "options/record-cmd", "0");
	if (mkdir(dir, 0700) && errno != EEXIST)
		ret = -errno;
	if (was[0] == '1')
		trace_write(root, "options/record-cmd", "1");
	return ret;
}

int trace_start(struct trace *t, char *root, size_t size)
{
	int ret;

	ret = trace_find(root, size);
	if (ret)
		return ret;

	snprintf(t->dir, sizeof(t->dir), "%s/instances/mmapdemo-%d", root,
		 (int)getpid());
	ret = trace_mkdir(root, t->dir);
	if (ret) {
		snprintf(root, size, "%s", t->dir);
		return ret;
	}
	ret = trace_write(t->dir, EVENTS "/enable", "1");
	if (ret)
		trace_stop(t);
	return ret;
}

int trace_clear(struct trace *t)
{
	return trace_write(t->dir, "trace", "");
}

/*
 * The event and its fields, without the task, CPU, flags and timestamp
 * columns before them: what follows the first "<seconds>.<fraction>: ".
 */
static const char *trace_event(const char *line)
{
	const char *colon, *p;

	for (colon = line; (colon = strstr(colon, ": ")); colon++) {
		p = colon;
		while (p > line && isdigit((unsigned char)p[-1]))
			p--;
		if (p == colon || p == line || p[-1] != '.')
			continue;
		for (p--; p > line && isdigit((unsigned char)p[-1]); p--)
			;
		if (p < colon - 1 && (p == line || p[-1] == ' '))
			return colon + 2;
	}
	return line;
}

int trace_lines(struct trace *t, char ***lines, size_t *nr)
{
	char *text, *line, *next, **more;
	const char *event;

	*lines = NULL;
	*nr = 0;
	text = trace_read(t->dir, "trace");
	if (!text)
		return -errno;
	for (line = text; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		event = trace_event(line);
		/* Skip the header, and "CPU:1 [LOST 3 EVENTS]". */
		if (strncmp(event, "mmapdemo_", 9))
			continue;
		more = realloc(*lines, (*nr + 1) * sizeof(**lines));
		if (!more)
			goto err_free;
		*lines = more;
		(*lines)[*nr] = strdup(event);
		if (!(*lines)[*nr])
			goto err_free;
		++*nr;
	}
	free(text);
	return 0;

err_free:
	free(text);
	trace_lines_free(*lines, *nr);
	*lines = NULL;
	*nr = 0;
	return -ENOMEM;
}

void trace_lines_free(char **lines, size_t nr)
{
	while (nr)
		free(lines[--nr]);
	free(lines);
}

/* Removing the instance turns its events off and frees its buffer. */
void trace_stop(struct trace *t)
{
	trace_write(t->dir, EVENTS "/enable", "0");
	rmdir(t->dir);
}
