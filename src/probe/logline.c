/*
 * log:FILE:REGEX: ready once a line of FILE matches REGEX (PCRE2, matched
 * against bytes, JIT-compiled when the platform has it). FILE ends at the
 * first ':' after "log:", so a FILE holding ':' cannot be named; REGEX may
 * hold any.
 *
 * A log may grow to gigabytes while we wait, so each attempt reads only the
 * bytes added since the last one: the probe keeps the offset it has scanned
 * and the unfinished last line. The file is read from the start again when
 * it shrinks (truncated), when it is another file (rotated: a new inode), or
 * when its first bytes differ from what we saw (truncated and rewritten to
 * beyond our offset between two attempts). A line is kept up to 1 MiB; a
 * longer one is matched on its first 1 MiB and the rest skipped, so memory
 * stays bounded. An unfinished last line is matched as it stands, too: a
 * writer that never ends its line is still seen. Each attempt stops reading
 * at its timeout and goes on from there the next time. Once a line has
 * matched, the probe stays ready until the file is truncated or replaced.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/probe_int.h"
#include "core/banned.h"

#define LINE_CAP (1024 * 1024)
#define CHUNK (64 * 1024)
#define HEAD_LEN 64

struct log_state {
	char *path;
	pcre2_code *re;
	pcre2_match_data *md;
	/* where the last attempt stopped */
	bool seen; /* dev/ino below are valid */
	dev_t dev;
	ino_t ino;
	off_t offset;		      /* bytes of the file consumed */
	unsigned char head[HEAD_LEN]; /* its first bytes, to spot a rewrite */
	size_t head_len;
	struct cg_buf line; /* the unfinished last line */
	bool skipping;	    /* in a line past LINE_CAP, until its newline */
	bool matched;
	char *chunk; /* CHUNK bytes of read buffer */
};

static int log_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct log_state *st = cg_xcalloc(1, sizeof(*st));
	const char *spec = p->target + strlen("log:");
	const char *colon = strchr(spec, ':');
	int code;
	PCRE2_SIZE offset;

	p->state = st;
	cg_buf_init(&st->line, LINE_CAP);
	if (!colon || colon == spec || !colon[1]) {
		snprintf(err, errlen,
			 "log: needs a file and a regex (log:FILE:REGEX; FILE "
			 "ends at the first ':')");
		return -1;
	}
	st->path = cg_xstrndup(spec, (size_t)(colon - spec));
	st->re = pcre2_compile((PCRE2_SPTR)(colon + 1), PCRE2_ZERO_TERMINATED,
			       0, &code, &offset, NULL);
	if (!st->re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "bad regex '%s' at offset %zu: %s",
			 colon + 1, (size_t)offset, (const char *)msg);
		return -1;
	}
	/* without JIT (an unsupported CPU, or denied W^X) the interpreter
	 * gives the same answers, slower */
	(void)pcre2_jit_compile(st->re, PCRE2_JIT_COMPLETE);
	st->md = pcre2_match_data_create_from_pattern(st->re, NULL);
	st->chunk = cg_xmalloc(CHUNK);
	return 0;
}

static void start_over(struct log_state *st, const struct stat *sb)
{
	st->seen = true;
	st->dev = sb->st_dev;
	st->ino = sb->st_ino;
	st->offset = 0;
	st->head_len = 0;
	cg_buf_reset(&st->line);
	st->skipping = false;
	st->matched = false;
}

/* The file is no longer the one we scanned up to st->offset. */
static bool replaced(const struct log_state *st, int fd, const struct stat *sb)
{
	unsigned char now[HEAD_LEN];
	ssize_t n;

	if (!st->seen || sb->st_dev != st->dev || sb->st_ino != st->ino ||
	    sb->st_size < st->offset)
		return true;
	if (!st->head_len)
		return false;
	n = pread(fd, now, st->head_len, 0);
	return n != (ssize_t)st->head_len ||
	       memcmp(now, st->head, st->head_len);
}

static bool line_matches(struct log_state *st, const char *s, size_t n)
{
	if (n && s[n - 1] == '\r')
		n--;
	return pcre2_match(st->re, (PCRE2_SPTR)s, n, 0, 0, st->md, NULL) >= 0;
}

/* Scan `n` new bytes; true on a matching line. */
static bool scan(struct log_state *st, const char *data, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		const char *nl = memchr(data + pos, '\n', n - pos);
		size_t seg = nl ? (size_t)(nl - (data + pos)) : n - pos;
		size_t room;

		if (st->skipping) {
			st->skipping = !nl;
		} else if (!st->line.len && nl) {
			/* a whole line inside the chunk: no copy */
			if (line_matches(st, data + pos, seg))
				return true;
		} else {
			room = LINE_CAP - st->line.len;
			cg_buf_add(&st->line, data + pos,
				   seg < room ? seg : room);
			if (nl || st->line.len >= LINE_CAP) {
				bool hit = line_matches(st, st->line.buf,
							st->line.len);

				cg_buf_reset(&st->line);
				st->skipping = !nl;
				if (hit)
					return true;
			}
		}
		pos += seg + (nl ? 1 : 0);
	}
	return false;
}

static enum cg_probe_result log_attempt(struct cg_probe *p, int timeout_ms)
{
	struct log_state *st = p->state;
	long deadline = cg_now_ms() + timeout_ms;
	enum cg_probe_result res = CG_PROBE_NOT_READY;
	bool grew = false;
	struct stat sb;
	int fd = cg_probe_open(p, st->path);

	if (fd < 0)
		return CG_PROBE_NOT_READY;
	if (fstat(fd, &sb) < 0) {
		res =
		    cg_probe_fail(p, CG_PROBE_NOT_READY, "cannot stat '%s': %s",
				  st->path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		res = cg_probe_fail(p, CG_PROBE_NOT_READY,
				    "'%s' is not a regular file", st->path);
		goto out;
	}
	if (replaced(st, fd, &sb))
		start_over(st, &sb);
	if (st->matched) {
		res = CG_PROBE_READY;
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, st->chunk, CHUNK, st->offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			res = cg_probe_fail(p, CG_PROBE_NOT_READY,
					    "cannot read '%s': %s", st->path,
					    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (st->head_len < HEAD_LEN && st->offset < HEAD_LEN) {
			size_t take = HEAD_LEN - (size_t)st->offset;

			take = take < (size_t)n ? take : (size_t)n;
			memcpy(st->head + st->offset, st->chunk, take);
			st->head_len = (size_t)st->offset + take;
		}
		st->offset += n;
		grew = true;
		if (scan(st, st->chunk, (size_t)n)) {
			st->matched = true;
			res = CG_PROBE_READY;
			goto out;
		}
		if (cg_now_ms() >= deadline) {
			res = cg_probe_fail(
			    p, CG_PROBE_NOT_READY,
			    "no line matches yet (read %lld of %lld bytes of "
			    "'%s')",
			    (long long)st->offset, (long long)sb.st_size,
			    st->path);
			goto out;
		}
	}
	if (grew && st->line.len && !st->skipping &&
	    line_matches(st, st->line.buf, st->line.len)) {
		st->matched = true;
		res = CG_PROBE_READY;
		goto out;
	}
	res = cg_probe_fail(p, CG_PROBE_NOT_READY,
			    "no line of '%s' matches yet (%lld bytes read)",
			    st->path, (long long)st->offset);
out:
	close(fd);
	return res;
}

static void log_release(struct cg_probe *p)
{
	struct log_state *st = p->state;

	if (!st)
		return;
	free(st->path);
	pcre2_match_data_free(st->md);
	pcre2_code_free(st->re);
	cg_buf_release(&st->line);
	free(st->chunk);
	free(st);
}

const struct cg_probe_kind cg_probe_log = {"log:", log_init, log_attempt,
					   log_release};
