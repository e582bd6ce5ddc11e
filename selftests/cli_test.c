// SPDX-License-Identifier: GPL-2.0
/*
 * The facts "mmapdemo demo --json" reports for each mode are the ones this
 * suite proves: the demo must not teach anything the driver does not do.
 * The tool is $MMAPDEMO_CLI, or mmapdemo on PATH.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmapdemo_test.h"

#define DEMO_PAGES	16

/* Run the demo and return its JSON output, or NULL. */
static char *demo_json(size_t page)
{
	const char *cli = getenv("MMAPDEMO_CLI") ?: "mmapdemo";
	size_t len = 0, size = 1 << 16;
	char cmd[256], *out = malloc(size);
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s demo --json --length %zu 2>/dev/null",
		 cli, DEMO_PAGES * page);
	f = popen(cmd, "r");
	if (!f || !out) {
		free(out);
		return NULL;
	}
	len = fread(out, 1, size - 1, f);
	out[len] = '\0';
	if (pclose(f) || !len) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The object of one mode in the "modes" array, cut out of @json: the demo
 * writes flat objects, so the first '}' after the name closes it.
 */
static char *mode_object(const char *json, const char *mode)
{
	char key[64], *start, *end;

	snprintf(key, sizeof(key), "\"mode\": \"%s\"", mode);
	start = strstr(json, key);
	end = start ? strchr(start, '}') : NULL;
	return end ? strndup(start, end - start) : NULL;
}

/* The value of "@key" in @obj as text ("null", "true", a number), or "". */
static const char *field(const char *obj, const char *key)
{
	static char val[64];
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	p = strstr(obj, pattern);
	if (!p || sscanf(p + strlen(pattern), "%63[^,\n]", val) != 1)
		return "";
	return val;
}

static const char *number(unsigned long n)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%lu", n);
	return buf;
}

/* A number field of @obj, or -1. */
static long number_field(const char *obj, const char *key)
{
	const char *val = field(obj, key);
	char *end;
	long n;

	n = strtol(val, &end, 10);
	return *val && !*end ? n : -1;
}

TEST_F(mmapdemo, demo_json_reports_what_mode_does)
{
	char *json = demo_json(self->page), *obj, vmflags[64];
	long lazy, faults, min, max;
	const char *str;
	void *addr;

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	obj = mode_object(json, mode_name(variant->mode));
	ASSERT_NE(NULL, obj) TH_LOG("%s", json);

	EXPECT_STREQ(variant->around ? "true" : "false", field(json, "fault_around"));
	EXPECT_STREQ("null", field(obj, "mmap_error"));
	lazy = number_field(obj, "driver_faults") + number_field(obj, "around_pages") +
	       number_field(obj, "huge_faults") * (long)pmd_pages();
	EXPECT_EQ(expect_lazy(variant, DEMO_PAGES), lazy);
	addr = (void *)(uintptr_t)number_field(obj, "address");
	expect_read_faults(self, variant, addr, 0, DEMO_PAGES, &min, &max);
	faults = number_field(obj, "minor_faults");
	EXPECT_LE(min, faults);
	EXPECT_GE(max, faults);
	EXPECT_STREQ(number(expect_eager(variant, DEMO_PAGES)),
		     field(obj, "eager_pages"));
	EXPECT_STREQ(variant->pfnmap ? "true" : "false", field(obj, "pfnmap"));
	EXPECT_STREQ(variant->pfnmap ? "null" :
		     number(expect_present_after_mmap(variant, DEMO_PAGES)),
		     field(obj, "present_after_mmap"));
	EXPECT_STREQ(variant->pfnmap ? "null" : number(DEMO_PAGES),
		     field(obj, "present_after_touch"));
	/* A JSON string: without its quotes. */
	str = field(obj, "vmflags");
	str += *str == '"';
	snprintf(vmflags, sizeof(vmflags), "%.*s", (int)strcspn(str, "\""), str);
	EXPECT_STREQ("", vma_flag_mismatch(vmflags, expect_vmflags(variant), true));
	EXPECT_STREQ("", vma_flag_mismatch(vmflags, expect_no_vmflags(variant), false));
	EXPECT_STREQ(expect_gup(variant) ? "true" : "false",
		     field(obj, "process_vm_readv"));
	free(obj);
	free(json);
}

/* The trace part shows this mode's mmap() and the events that map its pages. */
TEST_F(mmapdemo, demo_json_traces_mode)
{
	char *json = demo_json(self->page), key[64];
	const char *event = expect_mode_event(variant);

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	if (!strstr(json, "\"trace\": ["))
		SKIP(goto out, "the demo found no tracefs with mmapdemo events");
	snprintf(key, sizeof(key), "mmapdemo_mmap: mode=%s ", mode_name(variant->mode));
	EXPECT_NE(NULL, strstr(json, key));
	if (event)
		EXPECT_NE(NULL, strstr(json, event)) TH_LOG("no %s", event);
out:
	free(json);
}

TEST_HARNESS_MAIN
