/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's trace events, recorded in a tracefs instance of our own
 * (instances/mmapdemo-<pid>) so that neither the events a person enabled nor
 * the trace in the top-level buffer are disturbed.
 */
#ifndef MMAPDEMO_TRACEFS_H
#define MMAPDEMO_TRACEFS_H

#include <stddef.h>

struct trace {
	char dir[256];
};

/*
 * Make the instance and enable the driver's events in it: 0, -ENOENT without
 * tracefs, -ENODEV without the driver's events, or another -errno.  @root
 * gets the tracefs (or instance) path, for messages.
 */
int trace_start(struct trace *t, char *root, size_t size);
/* Empty the instance's buffer. */
int trace_clear(struct trace *t);
/*
 * The event lines recorded since trace_clear(), without the header or the
 * task and timestamp columns, as a malloc()ed array of malloc()ed strings.
 */
int trace_lines(struct trace *t, char ***lines, size_t *nr);
void trace_lines_free(char **lines, size_t nr);
/* Remove the instance, which turns its events off and frees its buffer. */
void trace_stop(struct trace *t);

/* Write @val into the file @name of @dir; 0 or -errno. */
int trace_write(const char *dir, const char *name, const char *val);
/* The file @name of @dir as a malloc()ed string; NULL and errno. */
char *trace_read(const char *dir, const char *name);

#endif /* MMAPDEMO_TRACEFS_H */
