/*
 * `.env` / `.env.example` files, read the way docker compose and
 * python-dotenv read them, one line (or one multi-line quoted value) at a
 * time:
 *
 *   # comment lines, attached to the entry directly below
 *   KEY=value            unquoted: up to ` #` or the end of the line, trimmed
 *                        (after the blanks that follow `=`: `KEY= # x` is
 *                        the value `# x`)
 *   export KEY = value   `export ` and spaces around `=` are tolerated
 *   KEY='literal'        no escapes; may span lines
 *   KEY="a\nb ${X}"      \n \r \t \" \\ \' (and \a \b \f \v) decoded, ${X}
 *                        kept literally; may span lines
 *   KEY=  /  KEY         an entry with the empty value
 *
 * A line that is none of these becomes a problem (position + message) and
 * reading goes on at the next line, so one typo never hides the rest of the
 * file. An unterminated quote is a problem at the quote and only its own
 * line is skipped (python-dotenv does the same), instead of swallowing the
 * rest of the file into one value. Line breaks inside quoted values read as
 * "\n", as python's universal newlines deliver them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

struct span {
	size_t start, end;
};

struct reader {
	const struct cg_src *src;
	const char *s;
	size_t len, i;
	struct cg_dotenv *out;

	struct cg_env_entry *entries;
	size_t nentries, entries_alloc;
	struct cg_dotenv_problem *problems;
	size_t nproblems, problems_alloc;
	/* the comment lines directly above the current line */
	struct span *above;
	size_t nabove, above_alloc;
	struct cg_buf value;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_eol(const struct reader *r, size_t i)
{
	return i >= r->len || r->s[i] == '\n' || r->s[i] == '\r';
}

static bool is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-';
}

static size_t skip_blanks(const struct reader *r, size_t i)
{
	while (i < r->len && is_blank(r->s[i]))
		i++;
	return i;
}

/* End of the line's content at or after i (before its line break). */
static size_t line_end(const struct reader *r, size_t i)
{
	while (!is_eol(r, i))
		i++;
	return i;
}

/* Just past the line break at or after i. */
static size_t next_line(const struct reader *r, size_t i)
{
	i = line_end(r, i);
	if (i < r->len && r->s[i] == '\r')
		i++;
	if (i < r->len && r->s[i] == '\n')
		i++;
	return i;
}

/* The text of a comment from its '#' at i: without '#'s and blanks. */
static struct span comment_text(const struct reader *r, size_t i)
{
	struct span t;

	while (i < r->len && r->s[i] == '#')
		i++;
	t.start = skip_blanks(r, i);
	t.end = line_end(r, t.start);
	while (t.end > t.start && is_blank(r->s[t.end - 1]))
		t.end--;
	return t;
}

static void problem(struct reader *r, size_t at, const char *fmt, ...)
    CG_PRINTF(3, 4);

static void problem(struct reader *r, size_t at, const char *fmt, ...)
{
	struct cg_dotenv_problem *p;
	size_t end = line_end(r, at);
	char msg[160];
	va_list ap;

	while (end > at && is_blank(r->s[end - 1]))
		end--;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CG_GROW(r->problems, r->problems_alloc, r->nproblems + 1);
	p = &r->problems[r->nproblems++];
	p->pos = cg_src_pos(r->src, at, end);
	p->message = cg_arena_strdup(&r->out->arena, msg);
}

/* The character at i for a message: 'x', U+XXXX, or "end of line". */
static void describe(const struct reader *r, size_t i, char *out, size_t n)
{
	unsigned char c;

	if (is_eol(r, i)) {
		snprintf(out, n, "end of line");
		return;
	}
	c = (unsigned char)r->s[i];
	if (c == '\'')
		snprintf(out, n, "\"'\"");
	else if (c > 0x20 && c < 0x7f)
		snprintf(out, n, "'%c'", c);
	else if (c < 0x80)
		snprintf(out, n, "U+%04X", (unsigned)c);
	else
		snprintf(out, n, "a non-ASCII character");
}

/*
 * A quoted value from its quote at r->i, decoded into r->value. Returns the
 * offset just past the closing quote, or 0 when there is none.
 */
static size_t quoted(struct reader *r)
{
	char quote = r->s[r->i];
	size_t i = r->i + 1;

	cg_buf_reset(&r->value);
	while (i < r->len) {
		char c = r->s[i];

		if (c == quote)
			return i + 1;
		if (c == '\r') {
			/* CRLF and CR read as LF */
			cg_buf_addch(&r->value, '\n');
			i += (i + 1 < r->len && r->s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		if (c == '\\' && quote == '"' && i + 1 < r->len) {
			static const char from[] = "nrt\"\\'abfv";
			static const char to[] = "\n\r\t\"\\'\a\b\f\v";
			const char *k = strchr(from, r->s[i + 1]);

			if (k && r->s[i + 1]) {
				cg_buf_addch(&r->value, to[k - from]);
				i += 2;
				continue;
			}
		}
		cg_buf_addch(&r->value, c);
		i++;
	}
	return 0;
}

static const char *join_above(struct reader *r)
{
	struct cg_buf b = CG_BUF_INIT;
	const char *text = NULL;

	for (size_t k = 0; k < r->nabove; k++) {
		if (k)
			cg_buf_addch(&b, '\n');
		cg_buf_add(&b, r->s + r->above[k].start,
			   r->above[k].end - r->above[k].start);
	}
	/* a block of bare '#' lines says nothing */
	for (size_t k = 0; k < b.len; k++)
		if (b.buf[k] != '\n') {
			text = cg_arena_strndup(&r->out->arena, b.buf, b.len);
			break;
		}
	cg_buf_release(&b);
	return text;
}

/*
 * A line that is not an entry: report it (with what is at `at` when
 * `say_found`), forget the comments above, skip the line.
 */
static void bad_line(struct reader *r, size_t at, const char *what,
		     bool say_found)
{
	char found[32];

	describe(r, at, found, sizeof(found));
	if (say_found)
		problem(r, at, "%s, found %s", what, found);
	else
		problem(r, at, "%s", what);
	r->nabove = 0;
	r->i = next_line(r, at);
}

/* Where an entry's value is and what follows it on its last line. */
struct value {
	size_t start, end; /* the raw value, quotes included */
	size_t rest;	   /* on the value's last line, after it */
	size_t junk;	   /* text after a closing quote, 0 when none */
	struct span comment;
};

/*
 * The value after `=` (blanks skipped), from i. Returns false for an
 * unterminated quote (already reported).
 */
static bool read_value(struct reader *r, size_t i, struct cg_env_entry *e,
		       struct value *v)
{
	struct cg_arena *a = &r->out->arena;
	size_t end;
	bool noted;

	if (!is_eol(r, i) && (r->s[i] == '"' || r->s[i] == '\'')) {
		v->start = i;
		r->i = i;
		if (!(v->end = quoted(r))) {
			bad_line(r, i,
				 r->s[i] == '"'
				     ? "unterminated quoted value: no closing "
				       "'\"' before the end of the file"
				     : "unterminated quoted value: no closing "
				       "\"'\" before the end of the file",
				 false);
			return false;
		}
		e->quoted = true;
		e->value = cg_arena_strndup(a, r->value.buf, r->value.len);
		v->rest = skip_blanks(r, v->end);
		if (!is_eol(r, v->rest) && r->s[v->rest] == '#')
			v->comment = comment_text(r, v->rest);
		else if (!is_eol(r, v->rest))
			v->junk = v->rest;
		return true;
	}
	/* unquoted: up to a '#' that follows a blank, then trimmed; s[i - 1]
	 * is '=' or a blank, so looking one back is always in bounds. The
	 * blanks after '=' go first: in `KEY= # note` the value is `# note`
	 * (compose-go and python-dotenv both), though it reads as a note,
	 * and is kept as one for env-no-comment */
	end = i;
	noted = !is_eol(r, end) && r->s[end] == '#';
	if (noted)
		v->comment = comment_text(r, end++);
	while (!is_eol(r, end) &&
	       !(r->s[end] == '#' && is_blank(r->s[end - 1])))
		end++;
	v->rest = end;
	if (!is_eol(r, end) && !noted)
		v->comment = comment_text(r, end);
	while (end > i && is_blank(r->s[end - 1]))
		end--;
	if (end == i) {
		/* `KEY=`: empty, just after the '=' */
		while (r->s[i - 1] != '=')
			i--;
		end = i;
	}
	v->start = i;
	v->end = end;
	e->value = cg_arena_strndup(a, r->s + i, end - i);
	return true;
}

/* One KEY=VALUE line starting at r->i (its first non-blank character). */
static void entry(struct reader *r)
{
	struct cg_env_entry e;
	struct value v;
	struct cg_arena *a = &r->out->arena;
	size_t i = r->i, key_start, key_end;

	memset(&e, 0, sizeof(e));
	memset(&v, 0, sizeof(v));
	if (r->len - i > 6 && !memcmp(r->s + i, "export", 6) &&
	    is_blank(r->s[i + 6])) {
		size_t k = skip_blanks(r, i + 6);

		if (k < r->len && is_key_start(r->s[k])) {
			e.exported = true;
			i = k;
		}
	}
	if (!is_key_start(r->s[i])) {
		bad_line(r, i,
			 "expected a variable name (a letter or '_' first)",
			 true);
		return;
	}
	key_start = i;
	while (i < r->len && is_key_char(r->s[i]))
		i++;
	key_end = i;
	i = skip_blanks(r, i);
	if (is_eol(r, i) || r->s[i] == '#') {
		/* `KEY` alone: present, empty */
		e.value = "";
		v.start = v.end = key_end;
		v.rest = i;
		if (!is_eol(r, i))
			v.comment = comment_text(r, i);
	} else if (r->s[i] == '=') {
		if (!read_value(r, skip_blanks(r, i + 1), &e, &v))
			return;
	} else {
		char what[96];
		int n =
		    (int)(key_end - key_start > 40 ? 40 : key_end - key_start);

		if (i == key_end)
			snprintf(what, sizeof(what),
				 "invalid character in variable name '%.*s'", n,
				 r->s + key_start);
		else
			snprintf(what, sizeof(what),
				 "expected '=' after '%.*s'", n,
				 r->s + key_start);
		bad_line(r, i, what, true);
		return;
	}

	e.key = cg_arena_strndup(a, r->s + key_start, key_end - key_start);
	e.key_pos = cg_src_pos(r->src, key_start, key_end);
	e.value_pos = cg_src_pos(r->src, v.start, v.end);
	if (v.comment.end > v.comment.start)
		e.comment = cg_arena_strndup(a, r->s + v.comment.start,
					     v.comment.end - v.comment.start);
	else
		e.comment = join_above(r);
	r->nabove = 0;
	CG_GROW(r->entries, r->entries_alloc, r->nentries + 1);
	r->entries[r->nentries++] = e;
	if (v.junk) {
		char found[32];

		describe(r, v.junk, found, sizeof(found));
		problem(r, v.junk,
			"unexpected %s after the closing quote; a comment "
			"starts with '#'",
			found);
	}
	/* v.rest is on the entry's last line (quoted values span lines) */
	r->i = next_line(r, v.rest);
}

int cg_dotenv_load(struct cg_dotenv *out, const struct cg_src *src)
{
	struct reader r;

	memset(out, 0, sizeof(*out));
	cg_arena_init(&out->arena);
	memset(&r, 0, sizeof(r));
	r.src = src;
	r.s = src->text;
	r.len = src->len;
	r.out = out;
	cg_buf_init(&r.value, 0);
	if (r.len >= 3 && !memcmp(r.s, "\xef\xbb\xbf", 3))
		r.i = 3;

	while (r.i < r.len) {
		size_t i = skip_blanks(&r, r.i);

		if (is_eol(&r, i)) {
			r.nabove = 0; /* a blank line detaches comments */
			r.i = next_line(&r, i);
		} else if (r.s[i] == '#') {
			CG_GROW(r.above, r.above_alloc, r.nabove + 1);
			r.above[r.nabove++] = comment_text(&r, i);
			r.i = next_line(&r, i);
		} else {
			r.i = i;
			entry(&r);
		}
	}

	if (r.nentries) {
		out->entries = cg_arena_alloc(&out->arena,
					      r.nentries * sizeof(*r.entries));
		memcpy(out->entries, r.entries,
		       r.nentries * sizeof(*r.entries));
		out->n = r.nentries;
	}
	if (r.nproblems) {
		out->problems = cg_arena_alloc(
		    &out->arena, r.nproblems * sizeof(*r.problems));
		memcpy(out->problems, r.problems,
		       r.nproblems * sizeof(*r.problems));
		out->nproblems = r.nproblems;
	}
	free(r.entries);
	free(r.problems);
	free(r.above);
	cg_buf_release(&r.value);
	return 0;
}

void cg_dotenv_release(struct cg_dotenv *d)
{
	cg_arena_release(&d->arena);
	d->entries = NULL;
	d->n = 0;
	d->problems = NULL;
	d->nproblems = 0;
}
