/*
 * The YAML loader's fast path: a scanner for block-style YAML, the YAML of
 * CI workflows, compose files and manifests, that gives the builder the
 * very events libyaml's parser gives for the same text (values, styles,
 * tags, anchors and marks).
 *
 * Why: libyaml reads a character at a time through a decoding buffer and
 * allocates every token; on a repository of workflows it was two thirds of
 * a whole check (make bench). This scanner reads the bytes in place, and a
 * value that is a plain run of the source is handed over as it stands.
 *
 * It reads block mappings and sequences (indentless ones too), flow
 * collections, plain, quoted, literal and folded scalars, anchors, aliases,
 * `!tag` and `!!tag`, comments and `---`. At anything else, and at anything
 * libyaml would refuse, it stops (returns the line of this file that
 * stopped) and the loader reads the file again with libyaml, which then
 * gives the file's tree or its exact error: tabs, carriage returns, control
 * characters, byte-order marks, directives, `...`, `?` keys, keys that are
 * collections or aliases, properties before a key, a comment right after a
 * token (`"a"#b`), a flow mapping entry without a value, and nesting deeper
 * than MAX_NEST. The builder's own limits (depth, alias expansion) stop it
 * too, so that their error comes with libyaml's marks.
 *
 * Every rule that decides a value follows libyaml 0.2.5's scanner
 * (scan_plain_scalar, scan_flow_scalar, scan_block_scalar):
 * tests/unit/load/test_yaml_fast.c compares the two trees for every YAML
 * file of the repository and a table of edge cases, and fuzz/fuzz_yaml.c
 * does so for whatever the fuzzer makes.
 *
 * Positions: a cursor holds the offset, its line and where the line
 * starts. Structure is decided on columns of indentation (spaces only, so
 * bytes); a mark's column counts code points, as the loader's conversion of
 * libyaml's marks does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/yaml_int.h"
#include "core/banned.h"

/* where the scanner stopped: the line of this file, which
 * cg_yaml_fast_scan returns (the tests print it) */
#define STOP stop_at(s, __LINE__)
#define MAX_NEST 100 /* deeper: libyaml, and the loader's depth limit */
#define MAX_KEY 1000 /* libyaml: a simple key is under 1024 characters */
#define MAX_NAME 128 /* anchors and tags; longer ones go to libyaml */

struct cur {
	size_t p;      /* offset */
	size_t ls;     /* where p's line starts */
	uint32_t line; /* p's line, 1-based */
};

struct fs {
	const char *t;
	size_t n;
	struct cur c;
	bool ascii;
	struct cg_ybuilder *b;
	char *buf; /* a value that is not a run of the source */
	size_t nbuf, abuf;
	unsigned depth;
	char tag[MAX_NAME + 32];
	char anchor[MAX_NAME + 1];
	int stop; /* the first STOP's line */
};

static int stop_at(struct fs *s, int line)
{
	if (!s->stop)
		s->stop = line;
	return 1;
}

/* A scanned scalar. */
struct scal {
	struct cur start, end;
	const char *v; /* the value: in the source or in s->buf */
	size_t len;
	enum cg_scalar_style style;
	bool key;   /* followed by ':' and a blank (plain) or ':' (quoted) */
	bool multi; /* spans lines */
};

/* Properties of a node: at most one tag and one anchor. */
struct props {
	bool any;
	struct cur start, end;
	const char *tag, *anchor;
};

static char at(const struct fs *s, size_t i)
{
	return i < s->n ? s->t[i] : '\0';
}

static bool blankz(const struct fs *s, size_t i)
{
	return i >= s->n || s->t[i] == ' ' || s->t[i] == '\n';
}

static bool eof(const struct fs *s)
{
	return s->c.p >= s->n;
}

/* The cursor is at a line break: step over it. */
static void newline(struct fs *s)
{
	s->c.p++;
	s->c.line++;
	s->c.ls = s->c.p;
}

/* Column of the cursor in bytes, 0-based: only asked where the line holds
 * nothing but indentation (spaces, "- ") before it. */
static int col(const struct fs *s)
{
	return (int)(s->c.p - s->c.ls);
}

static int col_at(const struct cur *c)
{
	return (int)(c->p - c->ls);
}

static struct cg_ymark mark(const struct fs *s, const struct cur *c)
{
	struct cg_ymark m = {c->p, c->line, 1};

	if (s->ascii) {
		m.col = (uint32_t)(c->p - c->ls) + 1;
		return m;
	}
	for (size_t i = c->ls; i < c->p; i++)
		if (((unsigned char)s->t[i] & 0xc0) != 0x80)
			m.col++;
	return m;
}

/* `---` or `...` alone at the start of a line */
static bool doc_marker(const struct fs *s, char c)
{
	size_t p = s->c.p;

	return p == s->c.ls && s->n - p >= 3 && s->t[p] == c &&
	       s->t[p + 1] == c && s->t[p + 2] == c && blankz(s, p + 3);
}

/* `---` or `...`: either ends what a document holds */
static bool any_marker(const struct fs *s)
{
	return doc_marker(s, '-') || doc_marker(s, '.');
}

/*
 * Spaces, comments and line breaks up to the next token. A '#' right after
 * a token (`"a"#b`) is left to libyaml.
 */
static int skip_ws(struct fs *s)
{
	const char *t = s->t;
	size_t p = s->c.p;
	bool spaced = p == s->c.ls || t[p - 1] == ' ';

	for (;;) {
		while (p < s->n && t[p] == ' ') {
			p++;
			spaced = true;
		}
		if (p < s->n && t[p] == '#') {
			const char *nl = memchr(t + p, '\n', s->n - p);

			if (!spaced)
				return STOP;
			p = nl ? (size_t)(nl - t) : s->n;
		}
		if (p < s->n && t[p] == '\n') {
			p++;
			s->c.line++;
			s->c.ls = p;
			spaced = true;
			continue;
		}
		break;
	}
	s->c.p = p;
	return 0;
}

/* After a node on its line: only spaces and a comment may follow. */
static int rest_of_line(struct fs *s)
{
	while (at(s, s->c.p) == ' ')
		s->c.p++;
	if (eof(s) || s->t[s->c.p] == '\n')
		return 0;
	if (s->t[s->c.p] == '#' && s->t[s->c.p - 1] == ' ')
		return 0;
	return STOP;
}

/* ---- the value buffer ---- */

static void put(struct fs *s, const char *v, size_t n)
{
	if (!n)
		return;
	CG_GROW(s->buf, s->abuf, s->nbuf + n);
	memcpy(s->buf + s->nbuf, v, n);
	s->nbuf += n;
}

static void putc_n(struct fs *s, char c, size_t n)
{
	if (!n)
		return;
	CG_GROW(s->buf, s->abuf, s->nbuf + n);
	memset(s->buf + s->nbuf, c, n);
	s->nbuf += n;
}

static void put_utf8(struct fs *s, unsigned v)
{
	char u[4];
	size_t n;

	if (v <= 0x7f) {
		u[0] = (char)v;
		n = 1;
	} else if (v <= 0x7ff) {
		u[0] = (char)(0xc0 + (v >> 6));
		u[1] = (char)(0x80 + (v & 0x3f));
		n = 2;
	} else if (v <= 0xffff) {
		u[0] = (char)(0xe0 + (v >> 12));
		u[1] = (char)(0x80 + ((v >> 6) & 0x3f));
		u[2] = (char)(0x80 + (v & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 + (v >> 18));
		u[1] = (char)(0x80 + ((v >> 12) & 0x3f));
		u[2] = (char)(0x80 + ((v >> 6) & 0x3f));
		u[3] = (char)(0x80 + (v & 0x3f));
		n = 4;
	}
	put(s, u, n);
}

/* ---- events ---- */

static int emit(struct fs *s, enum cg_yev_type type, const struct cur *a,
		const struct cur *z, const struct props *pr)
{
	struct cg_yev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.start = mark(s, a);
	ev.end = mark(s, z);
	if (pr) {
		ev.tag = pr->tag;
		ev.anchor = pr->anchor;
	}
	return cg_ybuild_event(s->b, &ev);
}

static int emit_scalar(struct fs *s, const struct scal *sc,
		       const struct props *pr)
{
	struct cg_yev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CG_YEV_SCALAR;
	ev.start = mark(s, pr && pr->any ? &pr->start : &sc->start);
	ev.end = mark(s, &sc->end);
	ev.value = sc->v ? sc->v : ""; /* an empty buffer is NULL */
	ev.len = sc->len;
	ev.style = sc->style;
	if (pr) {
		ev.tag = pr->tag;
		ev.anchor = pr->anchor;
	}
	return cg_ybuild_event(s->b, &ev);
}

/* The null libyaml makes where a value is left out: "" at `at`. */
static int emit_empty(struct fs *s, const struct cur *at_)
{
	struct scal sc = {*at_, *at_, "", 0, CG_STYLE_PLAIN, false, false};

	return emit_scalar(s, &sc, NULL);
}

/* ---- properties ---- */

static bool tag_char(char c)
{
	return cg_yaml_anchor_char(c) || c == '.' || c == '/';
}

/* `&name` and `!tag` / `!!tag` before a node, each followed by a blank. */
static int read_props(struct fs *s, struct props *pr)
{
	pr->any = false;
	pr->tag = pr->anchor = NULL;
	for (;;) {
		char c = at(s, s->c.p);
		size_t p = s->c.p + 1, q;

		if (c != '&' && c != '!')
			return 0;
		if (!pr->any) {
			pr->start = s->c;
			pr->any = true;
		}
		if (c == '&') {
			if (pr->anchor)
				return STOP;
			for (q = p; q < s->n && cg_yaml_anchor_char(s->t[q]);
			     q++)
				;
			if (q == p || q - p > MAX_NAME || !blankz(s, q))
				return STOP;
			memcpy(s->anchor, s->t + p, q - p);
			s->anchor[q - p] = '\0';
			pr->anchor = s->anchor;
		} else {
			const char *prefix = "!";

			if (pr->tag)
				return STOP;
			if (at(s, p) == '!') {
				prefix = "tag:yaml.org,2002:";
				p++;
			}
			for (q = p; q < s->n && tag_char(s->t[q]); q++)
				;
			if (q == p || q - p > MAX_NAME || !blankz(s, q))
				return STOP;
			memcpy(s->tag, prefix, strlen(prefix));
			memcpy(s->tag + strlen(prefix), s->t + p, q - p);
			s->tag[strlen(prefix) + (q - p)] = '\0';
			pr->tag = s->tag;
		}
		s->c.p = q;
		pr->end = s->c;
		while (at(s, s->c.p) == ' ')
			s->c.p++;
	}
}

/* ---- plain scalars ---- */

static bool flow_indicator(char c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

/* `x:` then one of these, in flow context: libyaml refuses it */
static bool bad_flow_colon(const struct fs *s, size_t q)
{
	char d = at(s, q + 1);

	return s->t[q] == ':' && (d == ',' || d == '?' || d == '[' ||
				  d == ']' || d == '{' || d == '}');
}

/* Can a plain scalar start at p? (libyaml's test; flow: in a flow
 * collection, where `?x` and `:x` are not plain) */
static bool plain_start(const struct fs *s, size_t p, bool flow)
{
	char c = at(s, p);

	switch (c) {
	case '\0':
	case ' ':
	case '\n':
	case ',':
	case '[':
	case ']':
	case '{':
	case '}':
	case '#':
	case '&':
	case '*':
	case '!':
	case '|':
	case '>':
	case '\'':
	case '"':
	case '%':
	case '@':
	case '`':
		return false;
	case '-':
		return at(s, p + 1) != ' ' && p + 1 < s->n &&
		       s->t[p + 1] != '\n';
	case '?':
	case ':':
		return !flow && !blankz(s, p + 1);
	default:
		return true;
	}
}

enum run_end { RUN_EOL, RUN_COMMENT, RUN_KEY, RUN_FLOW, RUN_BAD };

/* The bytes plain_run looks at, in block [0] and flow [1] context. */
static const bool stops[2][256] = {
    {[' '] = true, [':'] = true, ['\n'] = true},
    {[' '] = true,
     [':'] = true,
     ['\n'] = true,
     [','] = true,
     ['['] = true,
     [']'] = true,
     ['{'] = true,
     ['}'] = true},
};

/*
 * One line of a plain scalar from the cursor: its value ends at *end
 * (trailing spaces left out). The cursor stops at the line break, the
 * comment, the ':' or the flow indicator that ended it.
 */
static enum run_end plain_run(struct fs *s, bool flow, size_t *end)
{
	const char *t = s->t;
	size_t q = s->c.p, last = q;
	enum run_end how;

	for (;;) {
		char c;

		/* most bytes are none of ' ', ':', '\n' and the flow
		 * indicators: step over them at once */
		while (q < s->n && !stops[flow][(unsigned char)t[q]])
			q++;
		if (q > last && t[q - 1] != ' ')
			last = q;
		if (q >= s->n || t[q] == '\n') {
			how = RUN_EOL;
			break;
		}
		c = t[q];
		if (c == ' ') {
			size_t r = q + 1;

			while (r < s->n && t[r] == ' ')
				r++;
			if (r < s->n && t[r] == '#') {
				q = r;
				how = RUN_COMMENT;
				break;
			}
			q = r;
			continue;
		}
		if (flow && bad_flow_colon(s, q))
			return RUN_BAD;
		if (c == ':' && blankz(s, q + 1)) {
			how = RUN_KEY;
			break;
		}
		if (flow && flow_indicator(c)) {
			how = RUN_FLOW;
			break;
		}
		last = ++q;
	}
	*end = last;
	s->c.p = q;
	return how;
}

/*
 * A plain scalar at the cursor (plain_start holds). indent: the column of
 * the innermost block collection (-1: none); a line continues the scalar
 * when it is indented more (in flow context, any line does).
 */
static int scan_plain(struct fs *s, int indent, bool flow, struct scal *o)
{
	size_t seg = s->c.p, end;
	bool buffered = false;
	enum run_end how;

	o->start = s->c;
	o->style = CG_STYLE_PLAIN;
	o->key = o->multi = false;
	how = plain_run(s, flow, &end);
	if (how == RUN_BAD)
		return STOP;
	o->end = (struct cur){end, s->c.ls, s->c.line};
	o->v = s->t + seg;
	o->len = end - seg;
	if (how == RUN_KEY) {
		o->key = true;
		return 0;
	}
	while (how == RUN_EOL && !eof(s)) {
		struct cur save = s->c;
		size_t breaks = 0, q;
		bool more;

		newline(s);
		for (;;) {
			while (at(s, s->c.p) == ' ')
				s->c.p++;
			if (eof(s) || s->t[s->c.p] != '\n')
				break;
			breaks++;
			newline(s);
		}
		q = s->c.p;
		more = !eof(s) && (flow || col(s) > indent) && !any_marker(s) &&
		       s->t[q] != '#' &&
		       !(s->t[q] == ':' && blankz(s, q + 1)) &&
		       !(flow && flow_indicator(s->t[q]));
		if (more && flow && bad_flow_colon(s, q))
			return STOP;
		if (!more) {
			s->c = save;
			break;
		}
		if (!buffered) {
			s->nbuf = 0;
			put(s, o->v, o->len);
			buffered = true;
		}
		if (breaks)
			putc_n(s, '\n', breaks);
		else
			putc_n(s, ' ', 1);
		how = plain_run(s, flow, &end);
		if (how == RUN_BAD || how == RUN_KEY)
			return STOP; /* a key cannot span lines */
		put(s, s->t + q, end - q);
		o->end = (struct cur){end, s->c.ls, s->c.line};
		o->multi = true;
	}
	if (buffered) {
		o->v = s->buf;
		o->len = s->nbuf;
	}
	return 0;
}

/* ---- quoted scalars ---- */

/* The escape at the cursor (a backslash not before a line break). */
static int escape(struct fs *s)
{
	static const char simple[] =
	    "0\0a\ab\bt\tn\nv\vf\fr\re\033  \"\"//\\\\";
	char c = at(s, s->c.p + 1);
	uint32_t v;
	size_t digits;

	for (size_t i = 0; i + 1 < sizeof(simple); i += 2)
		if (simple[i] == c && c) {
			put(s, &simple[i + 1], 1);
			s->c.p += 2;
			return 0;
		}
	if ((v = cg_yaml_named_escape(c))) {
		put_utf8(s, v);
		s->c.p += 2;
		return 0;
	}
	if (!(digits = cg_yaml_escape_digits(c)))
		return STOP;
	s->c.p += 2;
	v = 0;
	for (size_t k = 0; k < digits; k++) {
		int h = cg_hex_value((unsigned char)at(s, s->c.p + k));

		if (h < 0)
			return STOP;
		v = (v << 4) + (unsigned)h;
	}
	if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return STOP;
	put_utf8(s, v);
	s->c.p += digits;
	return 0;
}

/* A quoted scalar at the cursor; the cursor ends past its closing quote. */
static int scan_quoted(struct fs *s, struct scal *o)
{
	const char *t = s->t;
	char q = t[s->c.p];
	bool single = q == '\'';
	size_t r = s->c.p + 1;

	o->start = s->c;
	o->style = single ? CG_STYLE_SINGLE : CG_STYLE_DOUBLE;
	o->key = o->multi = false;
	/* most: one line, no escape */
	while (r < s->n && t[r] != q && t[r] != '\n' &&
	       (single || t[r] != '\\'))
		r++;
	if (r < s->n && t[r] == q && !(single && at(s, r + 1) == '\'')) {
		o->v = t + s->c.p + 1;
		o->len = r - s->c.p - 1;
		s->c.p = r + 1;
		o->end = s->c;
		return 0;
	}
	s->nbuf = 0;
	s->c.p++;
	for (;;) {
		bool leading_blanks = false, leading_break = false;
		size_t spaces = 0, breaks = 0;

		if (any_marker(s) || eof(s))
			return STOP;
		while (!eof(s) && t[s->c.p] != ' ' && t[s->c.p] != '\n') {
			char c = t[s->c.p];

			if (single && c == '\'' && at(s, s->c.p + 1) == '\'') {
				put(s, "'", 1);
				s->c.p += 2;
			} else if (c == q) {
				break;
			} else if (!single && c == '\\' &&
				   at(s, s->c.p + 1) == '\n') {
				s->c.p++;
				newline(s);
				leading_blanks = true;
				o->multi = true;
				break;
			} else if (!single && c == '\\') {
				if (escape(s))
					return STOP;
			} else {
				put(s, &t[s->c.p], 1);
				s->c.p++;
			}
		}
		if (!eof(s) && t[s->c.p] == q)
			break;
		while (!eof(s) && (t[s->c.p] == ' ' || t[s->c.p] == '\n')) {
			if (t[s->c.p] == ' ') {
				if (!leading_blanks)
					spaces++;
				s->c.p++;
				continue;
			}
			if (!leading_blanks) {
				spaces = 0;
				leading_break = true;
				leading_blanks = true;
			} else {
				breaks++;
			}
			o->multi = true;
			newline(s);
		}
		if (leading_blanks) {
			if (leading_break && !breaks)
				putc_n(s, ' ', 1);
			else if (breaks)
				putc_n(s, '\n', breaks);
		} else if (spaces) {
			putc_n(s, ' ', spaces);
		}
	}
	s->c.p++;
	o->end = s->c;
	o->v = s->buf;
	o->len = s->nbuf;
	return 0;
}

/* ---- block scalars ---- */

/*
 * Indentation spaces and empty lines (libyaml's
 * yaml_parser_scan_block_scalar_breaks): counts the line breaks, moves
 * *end past each, and settles the indentation when it is still open.
 */
static void block_breaks(struct fs *s, int *ind, int indent, size_t *breaks,
			 struct cur *end)
{
	int max = 0;

	*end = s->c;
	for (;;) {
		while ((!*ind || col(s) < *ind) && at(s, s->c.p) == ' ')
			s->c.p++;
		if (col(s) > max)
			max = col(s);
		if (eof(s) || s->t[s->c.p] != '\n')
			break;
		(*breaks)++;
		newline(s);
		*end = s->c;
	}
	if (!*ind) {
		*ind = max;
		if (*ind < indent + 1)
			*ind = indent + 1;
		if (*ind < 1)
			*ind = 1;
	}
}

/* `|` or `>` at the cursor, in a block whose collection is at `indent`. */
static int scan_block(struct fs *s, int indent, struct scal *o)
{
	const char *t = s->t;
	bool literal = t[s->c.p] == '|';
	int chomp = 0, inc = 0, ind;
	size_t trailing = 0;
	bool leading_break = false, leading_blank = false;
	char c;

	o->start = s->c;
	o->style = literal ? CG_STYLE_LITERAL : CG_STYLE_FOLDED;
	o->key = false;
	o->multi = true;
	s->c.p++;
	c = at(s, s->c.p);
	if (c == '+' || c == '-') {
		chomp = c == '+' ? 1 : -1;
		c = at(s, ++s->c.p);
		if (c >= '0' && c <= '9') {
			if (c == '0')
				return STOP;
			inc = c - '0';
			s->c.p++;
		}
	} else if (c >= '0' && c <= '9') {
		if (c == '0')
			return STOP;
		inc = c - '0';
		c = at(s, ++s->c.p);
		if (c == '+' || c == '-') {
			chomp = c == '+' ? 1 : -1;
			s->c.p++;
		}
	}
	while (at(s, s->c.p) == ' ')
		s->c.p++;
	if (at(s, s->c.p) == '#') {
		const char *nl = memchr(t + s->c.p, '\n', s->n - s->c.p);

		s->c.p = nl ? (size_t)(nl - t) : s->n;
	}
	if (!eof(s) && t[s->c.p] != '\n')
		return STOP;
	if (!eof(s))
		newline(s);
	ind = inc ? (indent >= 0 ? indent + inc : inc) : 0;
	s->nbuf = 0;
	block_breaks(s, &ind, indent, &trailing, &o->end);
	while (col(s) == ind && !eof(s)) {
		bool trailing_blank = t[s->c.p] == ' ';
		const char *nl;
		size_t e;

		if (!literal && leading_break && !leading_blank &&
		    !trailing_blank) {
			if (!trailing)
				putc_n(s, ' ', 1);
		} else if (leading_break) {
			putc_n(s, '\n', 1);
		}
		leading_break = false;
		putc_n(s, '\n', trailing);
		trailing = 0;
		leading_blank = trailing_blank;
		nl = memchr(t + s->c.p, '\n', s->n - s->c.p);
		e = nl ? (size_t)(nl - t) : s->n;
		put(s, t + s->c.p, e - s->c.p);
		s->c.p = e;
		if (!eof(s)) {
			newline(s);
			leading_break = true;
		}
		block_breaks(s, &ind, indent, &trailing, &o->end);
	}
	if (chomp != -1 && leading_break)
		putc_n(s, '\n', 1);
	if (chomp == 1)
		putc_n(s, '\n', trailing);
	o->v = s->buf;
	o->len = s->nbuf;
	return 0;
}

/* ---- aliases ---- */

static int alias(struct fs *s, const struct props *pr)
{
	struct cur a = s->c;
	size_t p = s->c.p + 1, q;
	struct cg_yev ev;

	if (pr->any)
		return STOP;
	for (q = p; q < s->n && cg_yaml_anchor_char(s->t[q]); q++)
		;
	if (q == p || q - p > MAX_NAME)
		return STOP;
	memcpy(s->anchor, s->t + p, q - p);
	s->anchor[q - p] = '\0';
	s->c.p = q;
	memset(&ev, 0, sizeof(ev));
	ev.type = CG_YEV_ALIAS;
	ev.start = mark(s, &a);
	ev.end = mark(s, &s->c);
	ev.anchor = s->anchor;
	return cg_ybuild_event(s->b, &ev);
}

/* ---- flow collections ---- */

static int flow_node(struct fs *s);

/* A ':' after a flow node: a key (a pair in a sequence) — left to libyaml. */
static int no_colon(struct fs *s)
{
	if (skip_ws(s))
		return STOP;
	return at(s, s->c.p) == ':' ? STOP : 0;
}

static int flow_end(struct fs *s, enum cg_yev_type type)
{
	struct cur a = s->c;

	s->c.p++;
	return emit(s, type, &a, &s->c, NULL);
}

/* The `[` or `{` at the cursor: its start event. */
static int flow_open(struct fs *s, enum cg_yev_type type,
		     const struct cur *start, const struct props *pr)
{
	struct cur st = *start;

	s->c.p++;
	return emit(s, type, &st, &s->c, pr);
}

/* After an entry: its ',' (stepped over), or the collection's `close`
 * (left for flow_end); anything else is left to libyaml. */
static int flow_next(struct fs *s, char close)
{
	if (no_colon(s) || eof(s))
		return STOP;
	if (s->t[s->c.p] == ',')
		s->c.p++;
	else if (s->t[s->c.p] != close)
		return STOP;
	return 0;
}

static int flow_seq(struct fs *s, const struct cur *start,
		    const struct props *pr)
{
	if (flow_open(s, CG_YEV_SEQ_START, start, pr))
		return STOP;
	for (;;) {
		if (skip_ws(s) || eof(s) || any_marker(s))
			return STOP;
		if (s->t[s->c.p] == ']')
			break;
		if (flow_node(s) || flow_next(s, ']'))
			return STOP;
	}
	return flow_end(s, CG_YEV_SEQ_END);
}

static int flow_map(struct fs *s, const struct cur *start,
		    const struct props *pr)
{
	if (flow_open(s, CG_YEV_MAP_START, start, pr))
		return STOP;
	for (;;) {
		struct scal key;
		char c;

		if (skip_ws(s) || eof(s) || any_marker(s))
			return STOP;
		c = s->t[s->c.p];
		if (c == '}')
			break;
		if (c == '"' || c == '\'') {
			if (scan_quoted(s, &key) || key.multi)
				return STOP;
			while (at(s, s->c.p) == ' ')
				s->c.p++;
			if (at(s, s->c.p) != ':')
				return STOP;
		} else if (!plain_start(s, s->c.p, true) ||
			   scan_plain(s, -1, true, &key) || !key.key) {
			return STOP;
		}
		if (s->c.p - key.start.p > MAX_KEY ||
		    emit_scalar(s, &key, NULL))
			return STOP;
		s->c.p++; /* ':' */
		if (skip_ws(s) || eof(s))
			return STOP;
		c = s->t[s->c.p];
		if (c == ',' || c == '}')
			return STOP; /* a value left out */
		if (flow_node(s) || flow_next(s, '}'))
			return STOP;
	}
	return flow_end(s, CG_YEV_MAP_END);
}

static int flow_node_in(struct fs *s)
{
	struct props pr;
	struct scal sc;
	char c;

	/* a document marker ends a flow collection too soon: libyaml's
	 * error (here, or on the line after the properties) */
	if (any_marker(s) || read_props(s, &pr))
		return STOP;
	if (pr.any && (skip_ws(s) || eof(s) || any_marker(s)))
		return STOP;
	c = s->t[s->c.p];
	if (c == '[')
		return flow_seq(s, pr.any ? &pr.start : &s->c, &pr);
	if (c == '{')
		return flow_map(s, pr.any ? &pr.start : &s->c, &pr);
	if (c == '*')
		return alias(s, &pr);
	if (c == '"' || c == '\'') {
		if (scan_quoted(s, &sc))
			return STOP;
	} else if (!plain_start(s, s->c.p, true) ||
		   scan_plain(s, -1, true, &sc) || sc.key) {
		return STOP;
	}
	return emit_scalar(s, &sc, &pr);
}

static int flow_node(struct fs *s)
{
	int r;

	if (s->depth >= MAX_NEST)
		return STOP;
	s->depth++;
	r = flow_node_in(s);
	s->depth--;
	return r;
}

/* ---- block collections ---- */

static int block_node(struct fs *s, int indent, bool key_ok, bool value);

/* After a node in a block collection: the next line's content, or
 * whatever ends the collection. */
static bool block_done(struct fs *s)
{
	return eof(s) || any_marker(s);
}

static bool entry_here(const struct fs *s)
{
	return at(s, s->c.p) == '-' && blankz(s, s->c.p + 1);
}

static int block_seq(struct fs *s, int c, const struct cur *start,
		     const struct props *pr, bool indentless);

/*
 * The node after the "-" of an entry or the ":" of a key (value) of a
 * block collection at column c, the cursor just past it: on the same line
 * (where only an entry's node may be a mapping), on the lines below when
 * they are indented more (or, for a key's value, an indentless sequence at
 * column c), or left out: the empty scalar libyaml makes, at `left_out`.
 */
static int indicated(struct fs *s, int c, const struct cur *left_out,
		     bool value)
{
	while (at(s, s->c.p) == ' ')
		s->c.p++;
	if (!eof(s) && s->t[s->c.p] != '\n' && s->t[s->c.p] != '#')
		return block_node(s, c, !value, value);
	if (skip_ws(s))
		return STOP;
	if (!block_done(s) && col(s) > c)
		return block_node(s, c, true, value);
	if (value && !block_done(s) && col(s) == c && entry_here(s))
		return block_seq(s, c, &s->c, NULL, true);
	return emit_empty(s, left_out);
}

/*
 * A block sequence at column c whose first '-' is at the cursor. An
 * indentless one (the value of a key at the same column) ends at the first
 * line of that column that is not an entry.
 */
static int block_seq(struct fs *s, int c, const struct cur *start,
		     const struct props *pr, bool indentless)
{
	if (emit(s, CG_YEV_SEQ_START, start, start, pr))
		return STOP;
	for (;;) {
		struct cur dash;

		s->c.p++;
		dash = s->c;
		if (indicated(s, c, &dash, false) || skip_ws(s))
			return STOP;
		if (block_done(s) || col(s) < c)
			break;
		if (col(s) > c)
			return STOP;
		if (!entry_here(s)) {
			if (indentless)
				break;
			return STOP;
		}
	}
	return emit(s, CG_YEV_SEQ_END, &s->c, &s->c, NULL);
}

/* A key of a block mapping at the cursor, up to its ':'. */
static int block_key(struct fs *s, int indent, struct scal *key)
{
	char c = at(s, s->c.p);

	if (c == '"' || c == '\'') {
		if (scan_quoted(s, key) || key->multi)
			return STOP;
		while (at(s, s->c.p) == ' ')
			s->c.p++;
		if (at(s, s->c.p) != ':' || !blankz(s, s->c.p + 1))
			return STOP;
		key->key = true;
	} else if (!plain_start(s, s->c.p, false) ||
		   scan_plain(s, indent, false, key) || !key->key) {
		return STOP;
	}
	return s->c.p - key->start.p > MAX_KEY ? STOP : 0;
}

/*
 * A block mapping at column c; its first key is scanned (the cursor is at
 * its ':'). start: where the mapping starts (its properties, or the key).
 */
static int block_map(struct fs *s, int c, const struct cur *start,
		     const struct props *pr, struct scal *key)
{
	if (emit(s, CG_YEV_MAP_START, start, &key->start, pr))
		return STOP;
	for (;;) {
		struct cur colon;

		if (emit_scalar(s, key, NULL))
			return STOP;
		s->c.p++;
		colon = s->c;
		if (indicated(s, c, &colon, true) || skip_ws(s))
			return STOP;
		if (block_done(s) || col(s) < c)
			break;
		if (col(s) > c || block_key(s, c, key))
			return STOP;
	}
	return emit(s, CG_YEV_MAP_END, &s->c, &s->c, NULL);
}

/*
 * A node at the cursor in block context. indent: the column of the
 * innermost block collection (-1: none). key_ok: a mapping may start here
 * (the cursor is the first token of its line, or follows "- "). value: the
 * node is a key's value (which may be a sequence at the key's column).
 */
static int block_node_in(struct fs *s, int indent, bool key_ok, bool value)
{
	struct props pr;
	struct scal sc;
	struct cur start;
	char c;

	if (read_props(s, &pr))
		return STOP;
	if (pr.any) {
		if (eof(s) || s->t[s->c.p] == '\n' || s->t[s->c.p] == '#') {
			if (skip_ws(s))
				return STOP;
			if (block_done(s) || col(s) <= indent) {
				/* an empty node with properties, or, for a
				 * key's value, an indentless sequence's */
				struct scal none = {
				    pr.start,	    pr.end, "",	  0,
				    CG_STYLE_PLAIN, false,  false};

				if (value && !block_done(s) &&
				    col(s) == indent && entry_here(s))
					return block_seq(s, indent, &pr.start,
							 &pr, true);
				return emit_scalar(s, &none, &pr);
			}
			key_ok = true;
		} else {
			/* libyaml gives a key's properties to the key */
			key_ok = false;
		}
	}
	start = pr.any ? pr.start : s->c;
	c = s->t[s->c.p];
	switch (c) {
	case '-':
		if (!blankz(s, s->c.p + 1))
			break;
		if (!key_ok)
			return STOP;
		return block_seq(s, col(s), &start, &pr, false);
	case '[':
	case '{':
		if ((c == '[' ? flow_seq(s, &start, &pr)
			      : flow_map(s, &start, &pr)))
			return STOP;
		return rest_of_line(s) || at(s, s->c.p) == ':';
	case '|':
	case '>':
		if (scan_block(s, indent, &sc))
			return STOP;
		return emit_scalar(s, &sc, &pr);
	case '*':
		if (alias(s, &pr))
			return STOP;
		return rest_of_line(s);
	case '"':
	case '\'':
		if (scan_quoted(s, &sc))
			return STOP;
		while (at(s, s->c.p) == ' ')
			s->c.p++;
		if (at(s, s->c.p) == ':' && blankz(s, s->c.p + 1)) {
			if (!key_ok || sc.multi ||
			    s->c.p - sc.start.p > MAX_KEY)
				return STOP;
			sc.key = true;
			return block_map(s, col_at(&sc.start), &start, &pr,
					 &sc);
		}
		if (emit_scalar(s, &sc, &pr))
			return STOP;
		return rest_of_line(s);
	default:
		break;
	}
	if (!plain_start(s, s->c.p, false) || scan_plain(s, indent, false, &sc))
		return STOP;
	if (sc.key) {
		if (!key_ok || s->c.p - sc.start.p > MAX_KEY)
			return STOP;
		return block_map(s, col_at(&sc.start), &start, &pr, &sc);
	}
	return emit_scalar(s, &sc, &pr);
}

static int block_node(struct fs *s, int indent, bool key_ok, bool value)
{
	int r;

	if (s->depth >= MAX_NEST)
		return STOP;
	s->depth++;
	r = block_node_in(s, indent, key_ok, value);
	s->depth--;
	return r;
}

/* ---- the stream ---- */

/* The ASCII control characters of w but the line feed, and DEL. */
static uint64_t controls(uint64_t w)
{
	return (cg_word_bytes_below(w, 0x20) & ~cg_word_bytes_eq(w, '\n')) |
	       cg_word_bytes_eq(w, 0x7f);
}

/*
 * Only text libyaml reads as it stands: no control character (a tab and a
 * carriage return included: they have rules of their own), valid UTF-8 of
 * printable characters, and none of the characters YAML takes for line
 * breaks or a byte-order mark. Eight bytes at a time where they are ASCII.
 */
static bool plain_text(const char *t, size_t n, bool ascii)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c;
		unsigned v;
		size_t k;

		if (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, t + i, 8);
			if (!(w & CG_WORD_HIGHS)) {
				if (controls(w))
					return false;
				i += 8;
				continue;
			}
		}
		c = (unsigned char)t[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (ascii)
			return false;
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, v = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, v = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, v = c & 0x07;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			unsigned char d = (unsigned char)t[i + j];

			if ((d & 0xc0) != 0x80)
				return false;
			v = (v << 6) | (d & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF, C1 controls
		 * and NEL, LS, PS, BOM, and the non-characters */
		if ((k == 2 && v < 0x800) || (k == 3 && v < 0x10000) ||
		    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v < 0xa0 ||
		    v == 0x2028 || v == 0x2029 || v == 0xfeff || v == 0xfffe ||
		    v == 0xffff)
			return false;
		i += k + 1;
	}
	return true;
}

static int stream(struct fs *s)
{
	for (;;) {
		bool explicit = false;
		struct cur a;

		if (skip_ws(s))
			return STOP;
		if (eof(s))
			return 0;
		if (doc_marker(s, '.') || (col(s) == 0 && s->t[s->c.p] == '%'))
			return STOP;
		if (doc_marker(s, '-')) {
			explicit = true;
			s->c.p += 3;
			if (rest_of_line(s) || skip_ws(s))
				return STOP;
		}
		a = s->c;
		if (emit(s, CG_YEV_DOC_START, &a, &a, NULL))
			return STOP;
		if (eof(s) || doc_marker(s, '-')) {
			if (!explicit || emit_empty(s, &s->c))
				return STOP;
		} else if (doc_marker(s, '.')) {
			return STOP;
		} else if (block_node(s, -1, true, false) || skip_ws(s) ||
			   !(eof(s) || doc_marker(s, '-'))) {
			return STOP;
		}
		if (emit(s, CG_YEV_DOC_END, &s->c, &s->c, NULL))
			return STOP;
	}
}

int cg_yaml_fast_scan(struct cg_ybuilder *b, const struct cg_src *src,
		      bool ascii)
{
	struct fs s;
	int r;

	if (!plain_text(src->text, src->len, ascii))
		return __LINE__;
	memset(&s, 0, sizeof(s));
	s.t = src->text;
	s.n = src->len;
	s.c.line = 1;
	s.ascii = ascii;
	s.b = b;
	r = stream(&s);
	free(s.buf);
	return r ? (s.stop ? s.stop : 1) : 0;
}

/* ---- the comparison the tests and the fuzzer make ---- */

/* Depth-first over both trees; a DAG's shared nodes are compared once per
 * path, bounded by the depth (nodes deeper than 300 are not compared: the
 * loader's own limit is 256). */
static bool same_node(const struct cg_node *a, const struct cg_node *b,
		      int depth, char *why, size_t nwhy)
{
	if (depth > 300)
		return true;
#define DIFF(cond, ...)                                                        \
	do {                                                                   \
		if (cond) {                                                    \
			snprintf(why, nwhy, __VA_ARGS__);                      \
			return false;                                          \
		}                                                              \
	} while (0)
	DIFF(a->kind != b->kind, "kind %d vs %d at %u:%u", a->kind, b->kind,
	     a->pos.line, a->pos.col);
	DIFF(a->pos.line != b->pos.line || a->pos.col != b->pos.col ||
		 a->pos.end_line != b->pos.end_line ||
		 a->pos.end_col != b->pos.end_col || a->start != b->start ||
		 a->end != b->end,
	     "position %u:%u-%u:%u [%u,%u) vs %u:%u-%u:%u [%u,%u)", a->pos.line,
	     a->pos.col, a->pos.end_line, a->pos.end_col, a->start, a->end,
	     b->pos.line, b->pos.col, b->pos.end_line, b->pos.end_col, b->start,
	     b->end);
	DIFF((a->tag == NULL) != (b->tag == NULL) ||
		 (a->tag && strcmp(a->tag, b->tag)),
	     "tag %s vs %s at %u:%u", a->tag ? a->tag : "-",
	     b->tag ? b->tag : "-", a->pos.line, a->pos.col);
	DIFF(a->n != b->n, "size %u vs %u at %u:%u", a->n, b->n, a->pos.line,
	     a->pos.col);
	if (a->kind == CG_NODE_SCALAR) {
		DIFF(a->style != b->style, "style %d vs %d at %u:%u", a->style,
		     b->style, a->pos.line, a->pos.col);
		DIFF(a->len != b->len || memcmp(a->str, b->str, a->len),
		     "value \"%.60s\" vs \"%.60s\" at %u:%u", a->str, b->str,
		     a->pos.line, a->pos.col);
		return true;
	}
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->kind == CG_NODE_SEQ) {
			if (!same_node(a->items[i], b->items[i], depth + 1, why,
				       nwhy))
				return false;
		} else if (!same_node(a->pairs[i].key, b->pairs[i].key,
				      depth + 1, why, nwhy) ||
			   !same_node(a->pairs[i].value, b->pairs[i].value,
				      depth + 1, why, nwhy)) {
			return false;
		}
	}
	return true;
#undef DIFF
}

bool cg_yaml_same_tree(const struct cg_tree *a, const struct cg_tree *b,
		       char *why, size_t nwhy)
{
	if (a->ndocs != b->ndocs) {
		snprintf(why, nwhy, "%zu documents vs %zu", a->ndocs, b->ndocs);
		return false;
	}
	for (size_t i = 0; i < a->ndocs; i++)
		if (!same_node(a->docs[i], b->docs[i], 0, why, nwhy))
			return false;
	return true;
}
