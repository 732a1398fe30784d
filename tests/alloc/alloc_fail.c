/*
 * The allocation-failure test build (CMake -DCIGUARD_ALLOC_FAIL=ON, issue
 * 15): linked into ciguard_lib only in that build, never in the product.
 *
 * Every allocation point of ours asks cg_alloc_fail_now() first: the cg_x*
 * wrappers of src/core/error.c (which cg_buf, CG_GROW and the arena's
 * malloc'd blocks go through) and the arena's mmap'd regions. The
 * environment decides, once, before main:
 *
 *   CIGUARD_FAIL_ALLOC=N      the Nth allocation (1 is the first) fails;
 *   CIGUARD_FAIL_ALLOC=count  none fails, and at exit one line on stderr
 *                             says how many were made:
 *                             "ciguard: alloc-fail: 1234 allocations";
 *   unset or empty            none fails.
 *
 * One atomic counter serves every thread (check --jobs): with several
 * threads, which allocation is the Nth depends on the scheduling.
 *
 * libyaml's allocations are counted as well. libyaml calls its own
 * yaml_malloc, yaml_realloc and yaml_strdup through the PLT, so the
 * definitions below, exported from the ciguard program (ENABLE_EXPORTS in
 * CMakeLists.txt), are the ones it runs: a failure among them takes
 * libyaml's own out-of-memory paths, which the loaders must handle. jansson
 * is given counting functions through its public json_set_alloc_funcs.
 * Allocations inside libc (fopen, opendir, qsort...) and pcre2 are not
 * counted: they call malloc directly, and only replacing malloc itself
 * would reach them, which ASan's allocator owns in the test build.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

static atomic_ulong made;
static unsigned long fail_at; /* 0: none */

bool cg_alloc_fail_now(void)
{
	unsigned long n =
	    atomic_fetch_add_explicit(&made, 1, memory_order_relaxed) + 1;

	return n == fail_at;
}

static void print_count(void)
{
	fprintf(stderr, "ciguard: alloc-fail: %lu allocations\n",
		atomic_load(&made));
}

/* libyaml's allocation functions, as libyaml defines them (size 0 asks
 * for 1 byte; realloc of NULL is malloc; strdup of NULL is NULL), each
 * one counted allocation */
void *yaml_malloc(size_t size);
void *yaml_realloc(void *ptr, size_t size);
unsigned char *yaml_strdup(const unsigned char *str);

void *yaml_malloc(size_t size)
{
	return cg_alloc_fail_now() ? NULL : malloc(size ? size : 1);
}

void *yaml_realloc(void *ptr, size_t size)
{
	if (cg_alloc_fail_now())
		return NULL;
	return ptr ? realloc(ptr, size ? size : 1) : malloc(size ? size : 1);
}

unsigned char *yaml_strdup(const unsigned char *str)
{
	size_t len;
	unsigned char *p;

	if (!str)
		return NULL;
	if (cg_alloc_fail_now())
		return NULL;
	len = strlen((const char *)str);
	if ((p = malloc(len + 1)))
		memcpy(p, str, len + 1);
	return p;
}

static void *json_counted_malloc(size_t size)
{
	return cg_alloc_fail_now() ? NULL : malloc(size);
}

__attribute__((constructor)) static void read_environment(void)
{
	const char *v = getenv("CIGUARD_FAIL_ALLOC");
	char *end;

	json_set_alloc_funcs(json_counted_malloc, free);
	if (!v || !*v)
		return;
	if (!strcmp(v, "count")) {
		atexit(print_count);
		return;
	}
	fail_at = strtoul(v, &end, 10);
	if (*end || !fail_at) {
		fprintf(stderr,
			"ciguard: CIGUARD_FAIL_ALLOC takes a number from 1 "
			"or 'count', not '%s'\n",
			v);
		_exit(2);
	}
}
