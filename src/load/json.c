/*
 * A strict JSON reader that produces the tree the YAML loader produces, with
 * exact byte offsets and line/column for every node.
 *
 * Why our own: libyaml accepts JSON but also trailing commas and unquoted
 * keys, which WireMock's Jackson reader rejects; a mapping checker must judge
 * by the reader that will load the file. RFC 8259 is the grammar; `flags`
 * add the two Jackson features WireMock turns on (comments, single quotes)
 * and what Jackson does by default where RFC 8259 is stricter: it reads
 * the first value and not what follows it, keeps a '\u' escape of a lone
 * surrogate, and checks the bytes of strings only for UTF-8's structure
 * (measured against WireMock 3.13.2: tests/oracle/wiremock_cases.txt).
 *
 * How: iterative, not recursive. Open collections live on an explicit stack
 * of frames, so nesting costs heap, not C stack, and the depth limit is a
 * plain counter (100,000 `[` fail at the first one past the limit). Children
 * are collected on one shared pointer stack and copied into the arena when
 * their collection closes, so every collection's items/pairs array is exact
 * and the whole pass is linear. Line/column for nodes come from a forward
 * cursor (node offsets are asked for in increasing order), which gives the
 * same answer as cg_src_pos without rescanning a long minified line for
 * every node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

struct frame {
	struct cg_node *node;
	size_t base; /* first child's index in parser.pending */
};

/* Where the last position query ended, to continue from it. */
struct cursor {
	size_t off;
	uint32_t line; /* 0-based index into src->line_start */
	uint32_t col;  /* 1-based */
};

struct parser {
	const struct cg_src *src;
	const char *s;
	size_t len, i;
	unsigned flags;
	struct cg_load_limits lim;
	struct cg_arena *arena;
	size_t nodes;

	struct frame *stack;
	size_t depth, stack_alloc;
	/* children of open collections; a map pushes key, value, key, ... */
	struct cg_node **pending;
	size_t npending, pending_alloc;

	struct cg_buf scratch; /* a string being decoded */
	struct cursor cur;
	size_t err_off; /* where the error the parse ends with points */
};

/* ------------------------------------------------------------ positions */

static void linecol(struct parser *p, size_t off, uint32_t *line, uint32_t *col)
{
	const struct cg_src *src = p->src;
	struct cursor *c = &p->cur;
	uint32_t ln = c->line;
	size_t from;
	uint32_t n;

	if (off > src->len)
		off = src->len;
	if (off < c->off) {
		/* out of order (never for nodes): ask the line table */
		cg_src_linecol(src, off, line, col);
		return;
	}
	while (ln + 1 < src->nlines && src->line_start[ln + 1] <= off)
		ln++;
	if (ln == c->line) {
		from = c->off;
		n = c->col;
	} else {
		from = src->line_start[ln];
		n = 1;
	}
	for (size_t k = from; k < off; k++)
		if (((unsigned char)src->text[k] & 0xc0) != 0x80)
			n++;
	c->off = off;
	c->line = ln;
	c->col = n;
	*line = ln + 1;
	*col = n;
}

static void set_span(struct parser *p, struct cg_node *n, size_t start,
		     size_t end)
{
	n->start = start;
	n->end = end;
	linecol(p, start, &n->pos.line, &n->pos.col);
	linecol(p, end, &n->pos.end_line, &n->pos.end_col);
}

/* --------------------------------------------------------------- errors */

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-' ||
	       c == '+' || c == '.';
}

/* Decode one code point at s[i] leniently; returns its length (>= 1). */
static size_t decode_utf8(const char *s, size_t len, size_t i, uint32_t *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t cp;

	if (u[i] < 0x80) {
		*out = u[i];
		return 1;
	}
	if (u[i] >= 0xc0 && u[i] < 0xe0) {
		n = 1;
		cp = u[i] & 0x1f;
	} else if (u[i] >= 0xe0 && u[i] < 0xf0) {
		n = 2;
		cp = u[i] & 0x0f;
	} else if (u[i] >= 0xf0 && u[i] < 0xf8) {
		n = 3;
		cp = u[i] & 0x07;
	} else {
		*out = u[i];
		return 1;
	}
	if (len - i <= n) {
		*out = u[i];
		return 1;
	}
	for (size_t k = 1; k <= n; k++) {
		if ((u[i + k] & 0xc0) != 0x80) {
			*out = u[i];
			return 1;
		}
		cp = (cp << 6) | (u[i + k] & 0x3f);
	}
	*out = cp;
	return n + 1;
}

/* What the reader found at `off`, for "expected X, found Y" messages. */
static void describe(const struct parser *p, size_t off, char *out,
		     size_t outlen)
{
	unsigned char c;
	uint32_t cp;

	if (off >= p->len) {
		snprintf(out, outlen, "end of input");
		return;
	}
	c = (unsigned char)p->s[off];
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == '$') {
		size_t n = 0;

		while (off + n < p->len && n < 24 &&
		       is_word_char((unsigned char)p->s[off + n]))
			n++;
		snprintf(out, outlen, "'%.*s%s'", (int)n, p->s + off,
			 off + n < p->len &&
				 is_word_char((unsigned char)p->s[off + n])
			     ? "..."
			     : "");
		return;
	}
	if (c == '\n' || c == '\r') {
		snprintf(out, outlen, "a line break");
		return;
	}
	if (c == '\'') {
		snprintf(out, outlen, "\"'\"");
		return;
	}
	if (c >= 0x20 && c < 0x7f) {
		snprintf(out, outlen, "'%c'", c);
		return;
	}
	decode_utf8(p->s, p->len, off, &cp);
	snprintf(out, outlen, "U+%04X", (unsigned)cp);
}

static int fail_at(struct parser *p, int code, size_t off, const char *what)
{
	uint32_t line, col;

	p->err_off = off;
	cg_src_linecol(p->src, off, &line, &col);
	return cg_error_set(code, "%s:%u:%u: %s",
			    p->src->path ? p->src->path : "<input>",
			    (unsigned)line, (unsigned)col, what);
}

/* "expected X, found Y" at the character that is not X. */
static int expected(struct parser *p, size_t off, const char *what)
{
	char found[48], msg[160];

	describe(p, off, found, sizeof(found));
	snprintf(msg, sizeof(msg), "expected %s, found %s", what, found);
	return fail_at(p, CG_EPARSE, off, msg);
}

/* ------------------------------------------------------------- scanning */

static int utf8_sequence(struct parser *p);

/* Past the byte at p->i inside a comment: with CG_JSON_UTF8 the bytes of
 * a comment must be UTF-8 by their structure too, as Jackson's byte
 * reader skips a comment character by character (measured: a Latin-1
 * letter in a comment makes WireMock refuse the file). */
static int comment_byte(struct parser *p)
{
	if ((unsigned char)p->s[p->i] >= 0x80 && (p->flags & CG_JSON_UTF8))
		return utf8_sequence(p);
	p->i++;
	return 0;
}

/*
 * Skip whitespace and, when allowed, comments. Stops at the next token;
 * a comment that strict JSON forbids is an error at its first '/'.
 */
static int skip_space(struct parser *p)
{
	int err;

	while (p->i < p->len) {
		char c = p->s[p->i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			p->i++;
			continue;
		}
		if (c != '/' || p->i + 1 >= p->len ||
		    (p->s[p->i + 1] != '/' && p->s[p->i + 1] != '*'))
			return 0;
		if (!(p->flags & CG_JSON_COMMENTS))
			return fail_at(p, CG_EPARSE, p->i,
				       "comments are not allowed in strict "
				       "JSON");
		if (p->s[p->i + 1] == '/') {
			p->i += 2;
			while (p->i < p->len && p->s[p->i] != '\n' &&
			       p->s[p->i] != '\r') {
				if ((err = comment_byte(p)) < 0)
					return err;
			}
		} else {
			size_t open = p->i;
			const char *end;

			p->i += 2;
			end = NULL;
			for (size_t k = p->i; k + 1 < p->len; k++) {
				if (p->s[k] == '*' && p->s[k + 1] == '/') {
					end = p->s + k;
					break;
				}
			}
			if (!end)
				return fail_at(p, CG_EPARSE, open,
					       "unterminated comment: '/*' "
					       "is never closed by '*/'");
			while (p->s + p->i < end)
				if ((err = comment_byte(p)) < 0)
					return err;
			p->i = (size_t)(end - p->s) + 2;
		}
	}
	return 0;
}

static struct cg_node *new_node(struct parser *p, enum cg_node_kind kind)
{
	struct cg_node *n;

	if (p->nodes >= p->lim.max_expanded_nodes)
		return NULL;
	p->nodes++;
	n = cg_arena_alloc(p->arena, sizeof(*n));
	n->kind = kind;
	return n;
}

static int too_many_nodes(struct parser *p)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "document has more than %zu values",
		 p->lim.max_expanded_nodes);
	return fail_at(p, CG_ELIMIT, p->i, msg);
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void add_utf8(struct cg_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	cg_buf_add(b, u, n);
}

/* A \uXXXX escape at s[at] (the backslash); `*cp` gets the code unit. */
static int unicode_escape(struct parser *p, size_t at, uint32_t *cp)
{
	if (at + 6 > p->len || hex4(p->s + at + 2, cp) < 0)
		return fail_at(p, CG_EPARSE, at,
			       "expected four hex digits after '\\u'");
	return 0;
}

/* One escape sequence at p->i (the backslash), appended decoded. */
static int escape(struct parser *p)
{
	size_t at = p->i;
	char c = at + 1 < p->len ? p->s[at + 1] : '\0';
	uint32_t hi = 0, lo = 0;
	int err;

	switch (c) {
	case '"':
	case '\\':
	case '/':
		cg_buf_addch(&p->scratch, c);
		break;
	case 'b':
		cg_buf_addch(&p->scratch, '\b');
		break;
	case 'f':
		cg_buf_addch(&p->scratch, '\f');
		break;
	case 'n':
		cg_buf_addch(&p->scratch, '\n');
		break;
	case 'r':
		cg_buf_addch(&p->scratch, '\r');
		break;
	case 't':
		cg_buf_addch(&p->scratch, '\t');
		break;
	case '\'':
		/* Jackson takes \' wherever single quotes are allowed */
		if (!(p->flags & CG_JSON_SINGLE_QUOTES))
			return fail_at(p, CG_EPARSE, at,
				       "invalid escape '\\'' in a JSON "
				       "string");
		cg_buf_addch(&p->scratch, '\'');
		break;
	case 'u':
		if ((err = unicode_escape(p, at, &hi)) < 0)
			return err;
		if (hi >= 0xdc00 && hi <= 0xdfff) {
			if (!(p->flags & CG_JSON_LONE_SURROGATES))
				return fail_at(p, CG_EPARSE, at,
					       "lone low surrogate in '\\u' "
					       "escape");
			hi = 0xfffd;
		}
		if (hi >= 0xd800 && hi <= 0xdbff) {
			if (at + 12 > p->len || p->s[at + 6] != '\\' ||
			    p->s[at + 7] != 'u' ||
			    hex4(p->s + at + 8, &lo) < 0 || lo < 0xdc00 ||
			    lo > 0xdfff) {
				if (p->flags & CG_JSON_LONE_SURROGATES) {
					add_utf8(&p->scratch, 0xfffd);
					p->i += 6;
					return 0;
				}
				return fail_at(p, CG_EPARSE, at,
					       "high surrogate in '\\u' escape "
					       "is not followed by a low "
					       "surrogate");
			}
			hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			p->i += 6;
		}
		add_utf8(&p->scratch, hi);
		p->i += 6;
		return 0;
	default: {
		char found[48], msg[96];

		if (at + 1 >= p->len)
			return fail_at(p, CG_EPARSE, at,
				       "unterminated escape sequence at end "
				       "of input");
		describe(p, at + 1, found, sizeof(found));
		snprintf(msg, sizeof(msg),
			 "invalid escape: '\\' followed by %s", found);
		return fail_at(p, CG_EPARSE, at, msg);
	}
	}
	p->i += 2;
	return 0;
}

/* The UTF-8 sequence at p->i, skipped when its lead byte announces as
 * many continuation bytes as follow it (Jackson's check: it does not
 * refuse overlong forms or encoded surrogates). */
static int utf8_sequence(struct parser *p)
{
	unsigned char c = (unsigned char)p->s[p->i];
	size_t n = c >= 0xc0 && c < 0xe0   ? 1
		   : c >= 0xe0 && c < 0xf0 ? 2
		   : c >= 0xf0 && c < 0xf8 ? 3
					   : 0;
	char msg[96];

	if (!n) {
		snprintf(msg, sizeof(msg),
			 "invalid UTF-8: byte 0x%02X cannot start a character "
			 "(save the file as UTF-8)",
			 (unsigned)c);
		return fail_at(p, CG_EPARSE, p->i, msg);
	}
	for (size_t k = 1; k <= n; k++) {
		if (p->i + k >= p->len ||
		    ((unsigned char)p->s[p->i + k] & 0xc0) != 0x80) {
			snprintf(msg, sizeof(msg),
				 "invalid UTF-8: byte 0x%02X is not followed "
				 "by its %zu continuation byte%s (save the "
				 "file as UTF-8)",
				 (unsigned)c, n, n > 1 ? "s" : "");
			return fail_at(p, CG_EPARSE, p->i, msg);
		}
	}
	p->i += n + 1;
	return 0;
}

/* A string starting at p->i (its quote); `*out` gets a scalar node. */
static int string(struct parser *p, struct cg_node **out)
{
	size_t start = p->i;
	char quote = p->s[start];
	struct cg_node *n;
	int err;

	if (quote == '\'' && !(p->flags & CG_JSON_SINGLE_QUOTES))
		return fail_at(p, CG_EPARSE, start,
			       "single-quoted strings are not allowed in "
			       "strict JSON; use double quotes");
	cg_buf_reset(&p->scratch);
	p->i++;
	for (;;) {
		size_t run = p->i;
		unsigned char c;

		while (p->i < p->len) {
			c = (unsigned char)p->s[p->i];
			if (c == (unsigned char)quote || c == '\\' || c < 0x20)
				break;
			if (c >= 0x80 && (p->flags & CG_JSON_UTF8)) {
				if ((err = utf8_sequence(p)) < 0)
					return err;
				continue;
			}
			p->i++;
		}
		cg_buf_add(&p->scratch, p->s + run, p->i - run);
		if (p->i >= p->len)
			return fail_at(p, CG_EPARSE, start,
				       "unterminated string: the closing "
				       "quote is missing");
		c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)quote)
			break;
		if (c == '\\') {
			if ((err = escape(p)) < 0)
				return err;
			continue;
		}
		if (c == '\n' || c == '\r')
			return fail_at(p, CG_EPARSE, p->i,
				       "line break in a string: JSON strings "
				       "cannot span lines (write \\n)");
		{
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "control character U+%04X in a string must "
				 "be escaped",
				 (unsigned)c);
			return fail_at(p, CG_EPARSE, p->i, msg);
		}
	}
	p->i++;
	if (!(n = new_node(p, CG_NODE_SCALAR)))
		return too_many_nodes(p);
	n->style = quote == '\'' ? CG_STYLE_SINGLE : CG_STYLE_DOUBLE;
	n->str = cg_arena_strndup(p->arena, p->scratch.buf, p->scratch.len);
	n->len = p->scratch.len;
	set_span(p, n, start, p->i);
	*out = n;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t digits(struct parser *p, size_t i)
{
	while (i < p->len && is_digit(p->s[i]))
		i++;
	return i;
}

/* A number by RFC 8259's grammar, starting at p->i ('-' or a digit). */
static int number(struct parser *p, size_t *end)
{
	size_t i = p->i;

	if (p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i]))
		return expected(p, i, "a digit after '-'");
	if (p->s[i] == '0') {
		if (i + 1 < p->len && is_digit(p->s[i + 1]))
			return fail_at(p, CG_EPARSE, i,
				       "leading zeros are not allowed in "
				       "JSON numbers");
		i++;
	} else {
		i = digits(p, i);
	}
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return expected(p, i, "a digit after '.'");
		i = digits(p, i);
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return expected(p, i, "a digit in the exponent");
		i = digits(p, i);
	}
	*end = i;
	return 0;
}

/* A scalar that is not a string: number, true, false, null. */
static int literal(struct parser *p, const char *what, struct cg_node **out)
{
	size_t start = p->i, end = 0;
	char c = p->s[start];
	struct cg_node *n;
	int err;

	if (c == '-' || is_digit(c)) {
		if ((err = number(p, &end)) < 0)
			return err;
	} else {
		static const char *const words[] = {"true", "false", "null"};

		for (size_t k = 0; k < 3; k++) {
			size_t wl = strlen(words[k]);

			if (p->len - start >= wl &&
			    !memcmp(p->s + start, words[k], wl) &&
			    (start + wl == p->len ||
			     !is_word_char((unsigned char)p->s[start + wl])))
				end = start + wl;
		}
		if (!end) {
			if (c == '+')
				return fail_at(p, CG_EPARSE, start,
					       "JSON numbers cannot start "
					       "with '+'");
			if (c == '.')
				return fail_at(p, CG_EPARSE, start,
					       "JSON numbers must start with "
					       "a digit, not '.'");
			return expected(p, start, what);
		}
	}
	if (!(n = new_node(p, CG_NODE_SCALAR)))
		return too_many_nodes(p);
	n->style = CG_STYLE_PLAIN;
	n->str = cg_arena_strndup(p->arena, p->s + start, end - start);
	n->len = end - start;
	set_span(p, n, start, end);
	p->i = end;
	*out = n;
	return 0;
}

/* ---------------------------------------------------------- collections */

static void push_pending(struct parser *p, struct cg_node *n)
{
	CG_GROW(p->pending, p->pending_alloc, p->npending + 1);
	p->pending[p->npending++] = n;
}

static int open_collection(struct parser *p, struct cg_node **out)
{
	char c = p->s[p->i];
	struct cg_node *n;

	if (p->depth >= p->lim.max_depth) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "nesting is deeper than the limit of %u levels",
			 p->lim.max_depth);
		return fail_at(p, CG_ELIMIT, p->i, msg);
	}
	if (!(n = new_node(p, c == '{' ? CG_NODE_MAP : CG_NODE_SEQ)))
		return too_many_nodes(p);
	n->start = p->i;
	linecol(p, p->i, &n->pos.line, &n->pos.col);
	CG_GROW(p->stack, p->stack_alloc, p->depth + 1);
	p->stack[p->depth].node = n;
	p->stack[p->depth].base = p->npending;
	p->depth++;
	p->i++;
	*out = n;
	return 0;
}

/* Close the innermost collection at p->i (its bracket); returns it. */
static struct cg_node *close_collection(struct parser *p)
{
	struct frame *f = &p->stack[--p->depth];
	struct cg_node *n = f->node;
	size_t count = p->npending - f->base;
	/* (pending is still NULL when nothing was ever pushed) */
	struct cg_node **kids = count ? p->pending + f->base : NULL;

	p->i++;
	n->end = p->i;
	linecol(p, p->i, &n->pos.end_line, &n->pos.end_col);
	if (n->kind == CG_NODE_MAP) {
		n->n = count / 2;
		if (n->n) {
			n->pairs =
			    cg_arena_alloc(p->arena, n->n * sizeof(*n->pairs));
			for (size_t k = 0; k < n->n; k++) {
				n->pairs[k].key = kids[2 * k];
				n->pairs[k].value = kids[2 * k + 1];
			}
		}
	} else {
		n->n = count;
		if (count) {
			n->items =
			    cg_arena_alloc(p->arena, count * sizeof(*n->items));
			memcpy(n->items, kids, count * sizeof(*n->items));
		}
	}
	p->npending = f->base;
	return n;
}

/* An object key at p->i (after '{' or ','), then ':'; pushed as pending. */
static int key(struct parser *p, bool first)
{
	struct cg_node *k;
	char c;
	int err;

	c = p->i < p->len ? p->s[p->i] : '\0';
	if (p->i < p->len && ((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') || c == '_' || c == '$')) {
		char found[48], msg[160];

		describe(p, p->i, found, sizeof(found));
		snprintf(msg, sizeof(msg),
			 "unquoted key %s is not allowed in JSON (WireMock "
			 "rejects it); write it in double quotes",
			 found);
		return fail_at(p, CG_EPARSE, p->i, msg);
	}
	if (p->i >= p->len || (c != '"' && c != '\''))
		return expected(p, p->i,
				first ? "a string key or '}'" : "a string key");
	if ((err = string(p, &k)) < 0)
		return err;
	push_pending(p, k);
	if ((err = skip_space(p)) < 0)
		return err;
	if (p->i >= p->len || p->s[p->i] != ':')
		return expected(p, p->i, "':' after object key");
	p->i++;
	return 0;
}

/* ---------------------------------------------------------------- parse */

static int parse(struct parser *p, struct cg_node **root)
{
	/* what the next value is, for messages */
	const char *want = "a JSON value";
	struct cg_node *n;
	int err;

	for (;;) {
		char c;

		if ((err = skip_space(p)) < 0)
			return err;
		if (p->i >= p->len)
			return expected(p, p->i, want);
		c = p->s[p->i];
		if (c == '[' || c == '{') {
			if ((err = open_collection(p, &n)) < 0)
				return err;
			if ((err = skip_space(p)) < 0)
				return err;
			if (p->i < p->len &&
			    p->s[p->i] == (c == '[' ? ']' : '}')) {
				n = close_collection(p);
			} else if (c == '{') {
				if ((err = key(p, true)) < 0)
					return err;
				want = "a value after ':'";
				continue;
			} else {
				want = "a value or ']'";
				continue;
			}
		} else if (c == '"' || c == '\'') {
			if ((err = string(p, &n)) < 0)
				return err;
		} else {
			if ((err = literal(p, want, &n)) < 0)
				return err;
		}

		/* n is complete: attach it, then close what ends here */
		for (;;) {
			struct cg_node *top;
			char close;

			if (!p->depth) {
				*root = n;
				/* Jackson reads one value and stops */
				if (p->flags & CG_JSON_FIRST_VALUE)
					return 0;
				if ((err = skip_space(p)) < 0)
					return err;
				if (p->i < p->len)
					return expected(p, p->i,
							"end of input after "
							"the JSON value");
				return 0;
			}
			push_pending(p, n);
			top = p->stack[p->depth - 1].node;
			close = top->kind == CG_NODE_MAP ? '}' : ']';
			if ((err = skip_space(p)) < 0)
				return err;
			if (p->i < p->len && p->s[p->i] == close) {
				n = close_collection(p);
				continue;
			}
			if (p->i < p->len && p->s[p->i] == ',') {
				size_t comma = p->i;

				p->i++;
				if ((err = skip_space(p)) < 0)
					return err;
				if (p->i < p->len && p->s[p->i] == close)
					return fail_at(
					    p, CG_EPARSE, comma,
					    "trailing comma is not allowed "
					    "in JSON (WireMock rejects it)");
				if (top->kind == CG_NODE_MAP) {
					if ((err = key(p, false)) < 0)
						return err;
					want = "a value after ':'";
				} else {
					want = "a value after ','";
				}
				break;
			}
			return expected(p, p->i,
					top->kind == CG_NODE_MAP
					    ? "',' or '}' after object "
					      "member"
					    : "',' or ']' after array "
					      "element");
		}
	}
}

/* ------------------------------------------------------ encodings */

enum json_encoding {
	ENC_UTF8,
	ENC_UTF16BE,
	ENC_UTF16LE,
	ENC_UTF32BE,
	ENC_UTF32LE,
	ENC_UCS4_ODD, /* 2143 or 3412: Jackson refuses them */
};

/* The encoding Jackson's bootstrap finds in the first bytes, and how many
 * bytes of byte-order mark to skip. */
static enum json_encoding detect_encoding(const unsigned char *s, size_t len,
					  size_t *bom)
{
	*bom = 0;
	if (len >= 4) {
		uint32_t q = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
			     (uint32_t)s[2] << 8 | s[3];

		/* a byte-order mark */
		if (q == 0x0000feffu)
			return *bom = 4, ENC_UTF32BE;
		if (q == 0xfffe0000u)
			return *bom = 4, ENC_UTF32LE;
		if (q == 0x0000fffeu || q == 0xfeff0000u)
			return ENC_UCS4_ODD;
		if (q >> 16 == 0xfeff)
			return *bom = 2, ENC_UTF16BE;
		if (q >> 16 == 0xfffe)
			return *bom = 2, ENC_UTF16LE;
		/* none: where the zero bytes are (JSON starts with ASCII) */
		if (q >> 8 == 0)
			return ENC_UTF32BE;
		if ((q & 0x00ffffffu) == 0)
			return ENC_UTF32LE;
		if ((q & ~0x00ff0000u) == 0 || (q & ~0x0000ff00u) == 0)
			return ENC_UCS4_ODD;
	} else if (len >= 2) {
		if (s[0] == 0xfe && s[1] == 0xff)
			return *bom = 2, ENC_UTF16BE;
		if (s[0] == 0xff && s[1] == 0xfe)
			return *bom = 2, ENC_UTF16LE;
	}
	if (len >= 2 && s[0] == 0)
		return ENC_UTF16BE;
	if (len >= 2 && s[1] == 0)
		return ENC_UTF16LE;
	return ENC_UTF8;
}

/* UTF-16 as java.io.InputStreamReader decodes it (malformed input is
 * replaced, measured with WireMock 3.13.2): a high surrogate and the unit
 * after it that is no low surrogate are one U+FFFD together (so a `"`
 * after a lone high surrogate is lost), a lone low surrogate or what is
 * left at the end (an odd byte, a high surrogate) one U+FFFD. */
static void decode_utf16(const unsigned char *s, size_t len, bool be,
			 struct cg_buf *out)
{
	size_t i = 0;

	while (i + 1 < len) {
		uint32_t u = be ? (uint32_t)s[i] << 8 | s[i + 1]
				: (uint32_t)s[i + 1] << 8 | s[i];

		i += 2;
		if (u >= 0xd800 && u < 0xdc00) {
			uint32_t lo;

			if (i + 1 >= len)
				break; /* at the end: the U+FFFD below */
			lo = be ? (uint32_t)s[i] << 8 | s[i + 1]
				: (uint32_t)s[i + 1] << 8 | s[i];
			i += 2;
			add_utf8(out, lo >= 0xdc00 && lo < 0xe000
					  ? 0x10000 + ((u - 0xd800) << 10) +
						(lo - 0xdc00)
					  : 0xfffd);
			continue;
		}
		add_utf8(out, u >= 0xdc00 && u < 0xe000 ? 0xfffd : u);
	}
	if (i < len)
		add_utf8(out, 0xfffd);
}

int cg_json_decode_bytes(const char *text, size_t len, struct cg_buf *out,
			 size_t *err_off)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t bom;
	enum json_encoding enc = detect_encoding(s, len, &bom);

	*err_off = 0;
	switch (enc) {
	case ENC_UTF8:
		return 0;
	case ENC_UCS4_ODD:
		return cg_error_set(CG_EPARSE,
				    "the file starts like UTF-32 in an unusual "
				    "byte order (2143 or 3412), which JSON "
				    "readers do not support (save the file as "
				    "UTF-8)");
	case ENC_UTF16BE:
	case ENC_UTF16LE:
		decode_utf16(s + bom, len - bom, enc == ENC_UTF16BE, out);
		return 1;
	case ENC_UTF32BE:
	case ENC_UTF32LE:
		/* a last unit cut short is not decoded: Jackson reads no
		 * further than the first value needs, so it fails only when
		 * the value runs into it (an unterminated value here too) */
		for (size_t i = bom; len - i >= 4; i += 4) {
			uint32_t u;

			u = enc == ENC_UTF32BE
				? (uint32_t)s[i] << 24 |
				      (uint32_t)s[i + 1] << 16 |
				      (uint32_t)s[i + 2] << 8 | s[i + 3]
				: (uint32_t)s[i + 3] << 24 |
				      (uint32_t)s[i + 2] << 16 |
				      (uint32_t)s[i + 1] << 8 | s[i];
			if (u > 0x10ffff) {
				cg_buf_reset(out);
				*err_off = i;
				return cg_error_set(
				    CG_EPARSE,
				    "invalid UTF-32 character 0x%X (above "
				    "U+10FFFF)",
				    (unsigned)u);
			}
			add_utf8(out, u);
		}
		return 1;
	}
	return 0;
}

int cg_json_load(struct cg_tree *out, const struct cg_src *src, unsigned flags,
		 const struct cg_load_limits *lim)
{
	return cg_json_load_at(out, src, flags, lim, NULL);
}

int cg_json_load_at(struct cg_tree *out, const struct cg_src *src,
		    unsigned flags, const struct cg_load_limits *lim,
		    size_t *err_off)
{
	static const struct cg_load_limits defaults = CG_LOAD_LIMITS_DEFAULT;
	struct parser p;
	struct cg_node *root = NULL;
	int err;

	cg_arena_init(&out->arena);
	out->docs = NULL;
	out->ndocs = 0;
	if (err_off)
		*err_off = 0;
	if (src->len > CG_LOAD_MAX_BYTES)
		return cg_error_set(CG_ELIMIT, "%s: larger than %zu bytes",
				    src->path, CG_LOAD_MAX_BYTES);

	memset(&p, 0, sizeof(p));
	p.src = src;
	p.s = src->text;
	p.len = src->len;
	p.flags = flags;
	p.lim = lim ? *lim : defaults;
	p.arena = &out->arena;
	cg_buf_init(&p.scratch, 0);
	/* no byte-order mark is skipped here: the file's one went when it
	 * was read (cg_src), and a second is a character Jackson refuses */
	p.cur.col = 1; /* offset 0 is line index 0, column 1 */

	err = parse(&p, &root);
	if (err < 0) {
		if (err_off)
			*err_off = p.err_off;
		cg_arena_release(&out->arena);
	} else {
		out->docs = cg_xmalloc(sizeof(*out->docs));
		out->docs[0] = root;
		out->ndocs = 1;
	}
	free(p.stack);
	free(p.pending);
	cg_buf_release(&p.scratch);
	return err;
}
