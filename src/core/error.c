/* The error protocol: a code returned, a message kept per thread. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/banned.h"

static _Thread_local char last_error[1024];

int cg_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

const char *cg_error_last(void)
{
	return last_error;
}

void cg_error_clear(void)
{
	last_error[0] = '\0';
}

static cg_oom_fn oom_handler;

void cg_set_oom_handler(cg_oom_fn handler)
{
	oom_handler = handler;
}

void cg_oom(size_t n)
{
	if (oom_handler)
		oom_handler(n);
	if (n)
		fprintf(stderr, "ciguard: out of memory allocating %zu bytes\n",
			n);
	else
		fputs("ciguard: out of memory\n", stderr);
	abort();
}

void *cg_xmalloc(size_t n)
{
	void *p = cg_alloc_fail_now() ? NULL : malloc(n ? n : 1);

	if (!p)
		cg_oom(n);
	return p;
}

void *cg_xcalloc(size_t n, size_t size)
{
	void *p =
	    cg_alloc_fail_now() ? NULL : calloc(n ? n : 1, size ? size : 1);

	if (!p)
		cg_oom(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
	return p;
}

void *cg_xrealloc(void *p, size_t n)
{
	void *q = cg_alloc_fail_now() ? NULL : realloc(p, n ? n : 1);

	if (!q)
		cg_oom(n);
	return q;
}

char *cg_xstrndup(const char *s, size_t n)
{
	char *p = cg_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cg_xstrdup(const char *s)
{
	return cg_xstrndup(s, strlen(s));
}

char *cg_xasprintf(const char *fmt, ...)
{
	struct cg_buf b = CG_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cg_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return cg_buf_detach(&b, NULL);
}

void cg_grow(void **arr, size_t *alloc, size_t need, size_t size)
{
	size_t n;

	if (need <= *alloc)
		return;
	n = *alloc ? *alloc : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			cg_oom(SIZE_MAX);
		n *= 2;
	}
	*arr = cg_xrealloc(*arr, n * size);
	*alloc = n;
}

const char *cg_severity_name(enum cg_severity s)
{
	switch (s) {
	case CG_SEV_ERROR:
		return "error";
	case CG_SEV_WARNING:
		return "warning";
	case CG_SEV_NOTE:
		return "note";
	case CG_SEV_OFF:
		break;
	}
	return "off";
}
