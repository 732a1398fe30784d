/* cg_buf: git strbuf's invariants plus curl dynbuf's size cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/banned.h"

char cg_buf_empty[1];

void cg_buf_init(struct cg_buf *b, size_t cap)
{
	b->buf = cg_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void cg_buf_release(struct cg_buf *b)
{
	if (b->alloc)
		free(b->buf);
	cg_buf_init(b, b->cap);
}

void cg_buf_reset(struct cg_buf *b)
{
	b->len = 0;
	/* never a write to the shared empty string: threads share it */
	if (b->alloc)
		b->buf[0] = '\0';
	else
		b->buf = cg_buf_empty;
}

char *cg_buf_detach(struct cg_buf *b, size_t *out_len)
{
	char *p;

	if (out_len)
		*out_len = b->len;
	p = b->alloc ? b->buf : cg_xstrdup("");
	cg_buf_init(b, b->cap);
	return p;
}

static int grow(struct cg_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		return cg_error_set(CG_ELIMIT, "buffer size overflow");
	need = b->len + extra + 1;
	if (b->cap && need - 1 > b->cap)
		return cg_error_set(CG_ELIMIT, "more than %zu bytes", b->cap);
	if (need <= b->alloc)
		return 0;
	if (!b->alloc) {
		size_t n = need < 64 ? 64 : need;

		b->buf = cg_xmalloc(n);
		b->buf[0] = '\0';
		b->alloc = n;
		return 0;
	}
	cg_grow((void **)&b->buf, &b->alloc, need, 1);
	return 0;
}

int cg_buf_reserve(struct cg_buf *b, size_t extra)
{
	return grow(b, extra);
}

int cg_buf_add(struct cg_buf *b, const void *data, size_t len)
{
	int err;

	if (!len)
		return 0;
	if ((err = grow(b, len)) < 0)
		return err;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int cg_buf_addstr(struct cg_buf *b, const char *s)
{
	return cg_buf_add(b, s, strlen(s));
}

int cg_buf_addch(struct cg_buf *b, int c)
{
	char ch = (char)c;

	return cg_buf_add(b, &ch, 1);
}

int cg_buf_vaddf(struct cg_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n, err;

	/* one pass when the text fits in what is there: most messages do
	 * (a buffer with no cap gets room for one first) */
	if (!b->alloc && !b->cap && (err = grow(b, 120)) < 0)
		return err;
	room = b->alloc ? b->alloc - b->len : 0;
	va_copy(cp, ap);
	n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n < 0)
		return cg_error_set(CG_EINVAL, "bad format");
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return 0;
	}
	if (room)
		b->buf[b->len] = '\0'; /* as it was, should the grow fail */
	if ((err = grow(b, (size_t)n)) < 0)
		return err;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cg_buf_addf(struct cg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = cg_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}
