/*
 * Source files: bytes, a line table, and conversions between byte offsets
 * and line/column. Columns count code points so they agree with libyaml.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

/* Length of the line break at text[i], 0 if there is none. */
static size_t break_len(const char *t, size_t len, size_t i)
{
	unsigned char c = (unsigned char)t[i];

	if (c == '\n')
		return 1;
	if (c == '\r')
		return (i + 1 < len && t[i + 1] == '\n') ? 2 : 1;
	if (c == 0xc2 && i + 1 < len && (unsigned char)t[i + 1] == 0x85)
		return 2;
	if (c == 0xe2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
	    ((unsigned char)t[i + 2] == 0xa8 ||
	     (unsigned char)t[i + 2] == 0xa9))
		return 3;
	return 0;
}

static void build_lines(struct cg_src *s)
{
	size_t alloc = 0, n = 0, i = 0;

	s->line_start = NULL;
	CG_GROW(s->line_start, alloc, 1);
	s->line_start[n++] = 0;
	/* most files break lines with \n alone: then each line is one
	 * memchr away (the bytes every other break starts with are absent) */
	if (!memchr(s->text, '\r', s->len) && !memchr(s->text, 0xc2, s->len) &&
	    !memchr(s->text, 0xe2, s->len)) {
		const char *p = s->text, *end = s->text + s->len;

		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			CG_GROW(s->line_start, alloc, n + 1);
			s->line_start[n++] = (size_t)(p - s->text);
		}
		s->nlines = (uint32_t)n;
		return;
	}
	while (i < s->len) {
		size_t bl = break_len(s->text, s->len, i);

		if (!bl) {
			i++;
			continue;
		}
		i += bl;
		CG_GROW(s->line_start, alloc, n + 1);
		s->line_start[n++] = i;
	}
	s->nlines = (uint32_t)n;
}

/*
 * A UTF-8 byte-order mark that starts a file is not text: YAML, JSON and
 * compose skip it, and an editor shows the first character after it at
 * column 1. Dropping it here gives every loader and every position that.
 */
static size_t bom_len(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

void cg_src_init_mem(struct cg_src *out, const char *path, const char *text,
		     size_t len)
{
	size_t skip = bom_len(text, len);

	out->path = cg_xstrdup(path);
	out->text = cg_xstrndup(text + skip, len - skip);
	out->len = len - skip;
	build_lines(out);
}

bool cg_utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		/* ASCII, eight bytes at a time */
		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080u)) {
				i += 8;
				continue;
			}
		}
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int cg_src_check(const char *path, const char *bytes, size_t len,
		 enum cg_src_kind kind)
{
	if (kind == CG_SRC_BYTES)
		return 0;
	if (memchr(bytes, '\0', len))
		return cg_error_set(CG_ESKIP, "'%s' is a binary file, skipped",
				    path);
	if (!cg_utf8_valid(bytes, len))
		return cg_error_set(CG_ESKIP,
				    "'%s' is not valid UTF-8, skipped", path);
	return 0;
}

void cg_src_replace_text(struct cg_src *src, char *text, size_t len)
{
	free(src->text);
	free(src->line_start);
	src->text = text;
	src->len = len;
	src->line_start = NULL;
	src->nlines = 0;
	build_lines(src);
}

int cg_src_load(struct cg_src *out, const char *root, const char *path,
		size_t max_size, enum cg_src_kind kind)
{
	char *full = cg_xasprintf("%s/%s", root, path);
	struct stat st;
	struct cg_buf b = CG_BUF_INIT;
	int fd, err = 0;
	size_t skip;

	memset(out, 0, sizeof(*out));
	fd = open(full, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = cg_error_set(CG_EIO, "cannot open '%s': %s", path,
				   strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err =
		    cg_error_set(CG_ESKIP, "'%s' is not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max_size) {
		err = cg_error_set(CG_ELIMIT,
				   "'%s' is larger than %zu bytes, skipped",
				   path, max_size);
		goto out;
	}
	cg_buf_init(&b, max_size);
	for (;;) {
		char chunk[65536];
		/* the file's size in one read into the buffer itself; a file
		 * whose size fstat did not give (0) is read in chunks */
		bool direct =
		    b.len < (size_t)st.st_size &&
		    cg_buf_reserve(&b, (size_t)st.st_size - b.len) == 0;
		size_t want =
		    direct ? (size_t)st.st_size - b.len : sizeof(chunk);
		char *to = direct ? b.buf + b.len : chunk;
		ssize_t r;

		r = read(fd, to, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = cg_error_set(CG_EIO, "cannot read '%s': %s", path,
					   strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (direct) {
			b.len += (size_t)r;
			b.buf[b.len] = '\0';
			/* all fstat said is there: the file as it was then
			 * (one read less per file than reading to the end) */
			if (b.len == (size_t)st.st_size && st.st_size > 0)
				break;
			continue;
		}
		if (cg_buf_add(&b, chunk, (size_t)r) < 0) {
			err = cg_error_set(CG_ELIMIT,
					   "'%s' is larger than %zu bytes, "
					   "skipped",
					   path, max_size);
			goto out;
		}
	}
	if ((err = cg_src_check(path, b.buf, b.len, kind)) < 0)
		goto out;
	if ((skip = bom_len(b.buf, b.len)) > 0) {
		memmove(b.buf, b.buf + skip, b.len - skip + 1);
		b.len -= skip;
	}
	out->path = cg_xstrdup(path);
	out->len = b.len;
	out->text = cg_buf_detach(&b, NULL);
	build_lines(out);
out:
	if (fd >= 0)
		close(fd);
	cg_buf_release(&b);
	free(full);
	return err;
}

void cg_src_release(struct cg_src *src)
{
	free(src->path);
	free(src->text);
	free(src->line_start);
	memset(src, 0, sizeof(*src));
}

void cg_src_drop_text(struct cg_src *src)
{
	free(src->text);
	free(src->line_start);
	src->text = cg_xstrdup("");
	src->len = 0;
	src->line_start = cg_xcalloc(1, sizeof(*src->line_start));
	src->nlines = 1;
}

void cg_src_linecol(const struct cg_src *src, size_t off, uint32_t *line,
		    uint32_t *col)
{
	uint32_t lo = 0, hi = src->nlines;
	uint32_t c = 1;

	if (off > src->len)
		off = src->len;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (src->line_start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t i = src->line_start[lo]; i < off; i++)
		if (((unsigned char)src->text[i] & 0xc0) != 0x80)
			c++;
	*line = lo + 1;
	*col = c;
}

size_t cg_src_offset(const struct cg_src *src, uint32_t line, uint32_t col)
{
	size_t i, end;

	if (line < 1)
		line = 1;
	if (line > src->nlines)
		return src->len;
	i = src->line_start[line - 1];
	end = line < src->nlines ? src->line_start[line] : src->len;
	while (col > 1 && i < end) {
		i++;
		while (i < end && ((unsigned char)src->text[i] & 0xc0) == 0x80)
			i++;
		col--;
	}
	return i;
}

const char *cg_src_line(const struct cg_src *src, uint32_t line,
			size_t *out_len)
{
	size_t start, end;

	if (line < 1 || line > src->nlines)
		return NULL;
	start = src->line_start[line - 1];
	end = line < src->nlines ? src->line_start[line] : src->len;
	while (end > start) {
		unsigned char c = (unsigned char)src->text[end - 1];

		if (c == '\n' || c == '\r')
			end--;
		else if (end - start >= 2 && c == 0x85 &&
			 (unsigned char)src->text[end - 2] == 0xc2)
			end -= 2;
		else if (end - start >= 3 && (c == 0xa8 || c == 0xa9) &&
			 (unsigned char)src->text[end - 2] == 0x80 &&
			 (unsigned char)src->text[end - 3] == 0xe2)
			end -= 3;
		else
			break;
	}
	*out_len = end - start;
	return src->text + start;
}

struct cg_pos cg_src_pos(const struct cg_src *src, size_t start, size_t end)
{
	struct cg_pos p;

	if (end < start)
		end = start;
	cg_src_linecol(src, start, &p.line, &p.col);
	cg_src_linecol(src, end, &p.end_line, &p.end_col);
	return p;
}

int cg_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

bool cg_str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

bool cg_str_in(const char *s, const char *const *list)
{
	/* asked for every call of every Python file: the first byte
	 * rules most words out without a call */
	for (size_t i = 0; s && list[i]; i++)
		if (list[i][0] == s[0] && !strcmp(list[i], s))
			return true;
	return false;
}

bool cg_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool cg_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}

const char *cg_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Iterative matcher with backtracking for '*' and '**' (no recursion). The
 * last '*' is retried first; when it cannot grow (it never takes a '/'),
 * the last '**' before it takes more and the rest starts over, so a `**`
 * followed by a `*.yml` segment matches `a/b.yml`. A `**` followed by '/'
 * takes whole folders only: it matches `a/x.yml`, not `ax.yml`.
 */
bool cg_glob_match(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;
	const char *dstar_p = NULL, *dstar_s = NULL;
	bool dstar_folders = false;

	/* `**` + `/NAME` where NAME holds no '/': NAME can only match the
	 * last component (nothing in it crosses a '/'), so match that alone
	 * rather than try NAME after every '/' */
	if (p[0] == '*' && p[1] == '*' && p[2] == '/') {
		const char *q = p + 3, *base = NULL;

		while (*q && *q != '/' && !(q[0] == '*' && q[1] == '*'))
			q++;
		if (!*q) {
			base = strrchr(s, '/');
			return cg_glob_match(p + 3, base ? base + 1 : s);
		}
	}
	while (*s) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			dstar_folders = *p == '/';
			if (dstar_folders)
				p++;
			dstar_p = p;
			dstar_s = s;
			star_p = NULL;
			continue;
		}
		if (*p == '*') {
			p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '?' ? *s != '/' : *p == *s) {
			p++;
			s++;
			continue;
		}
		if (star_p && *star_s != '/') {
			p = star_p;
			s = ++star_s;
			continue;
		}
		if (dstar_p) {
			if (dstar_folders && !(dstar_s = strchr(dstar_s, '/')))
				return false;
			p = dstar_p;
			s = ++dstar_s;
			star_p = NULL;
			continue;
		}
		return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

uint64_t cg_hash64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *d = data;

	for (size_t i = 0; i < len; i++) {
		h ^= d[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int cg_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
