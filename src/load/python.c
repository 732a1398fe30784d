/*
 * A Python tokenizer to CPython's own rules (its C tokenizer as of 3.12,
 * PEP 701 f-strings included), for reading code, never for running it.
 *
 * One pass over the bytes, line by line as CPython does it: at the start
 * of a logical line outside brackets the indentation is measured (a tab
 * goes to the next multiple of 8, a form feed resets the column) and
 * compared with a stack of levels, giving INDENT or DEDENTs; a second
 * measure with tabs as 1 column catches what CPython calls inconsistent
 * use of tabs and spaces. Blank and comment-only lines, and line breaks
 * inside brackets, are NL; other line breaks end the logical line
 * (NEWLINE). A backslash before a line break joins the lines. \n, \r\n
 * and a lone \r are line breaks.
 *
 * A string literal, whatever its prefix and quotes, is one STRING token.
 * Inside an f-string the replacement fields are scanned as code, so that
 * a quote or brace inside `{...}` (a nested string, PEP 701's nested same
 * quotes, a dict, a format spec with its own fields) does not end the
 * string early; fields nest through recursion bounded by
 * CG_PY_MAX_FSTRING. Brackets and indentation are bounded by fixed
 * stacks, the token array by CG_PY_MAX_TOKENS.
 *
 * What CPython rejects becomes an ERRORTOKEN with a message, and reading
 * goes on where the error was found: a string that is not closed ends at
 * the line break it reached (the rest of the file for a triple-quoted
 * one), so every byte is looked at a bounded number of times.
 *
 * Simplifications, none of which moves where a valid file's tokens
 * start or end: every byte >= 0x80 may be part of a name (CPython checks
 * the Unicode categories); a number ends where its grammar ends, so
 * `1if` is NUMBER NAME as in tokenize.py; escapes inside strings are
 * not checked.
 */
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

struct tokenizer {
	const char *s;
	size_t len;
	struct cg_py_tokens *out;
	bool full; /* CG_PY_MAX_TOKENS reached */

	/* line and column of byte `cur`; positions are asked for in order */
	size_t cur, base;
	uint32_t cur_line, cur_col;
	/* the text is ASCII with no \r: a column is a byte count from the
	 * start of its line, lines[line]; lines[] has nlines starts */
	bool plain;
	const size_t *lines;
	size_t nlines, line;

	char brackets[CG_PY_MAX_BRACKETS]; /* the opening ones */
	unsigned depth;
	unsigned indents[CG_PY_MAX_INDENT];	/* columns, indents[0] = 0 */
	unsigned alt_indents[CG_PY_MAX_INDENT]; /* with tabs as 1 column */
	unsigned nindents;
};

static bool is_break(char c)
{
	return c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

/* Bytes of the line break at i: 2 for \r\n, else 1. */
static size_t break_len(const struct tokenizer *t, size_t i)
{
	return t->s[i] == '\r' && i + 1 < t->len && t->s[i + 1] == '\n' ? 2 : 1;
}

/* Line and column of byte `off`, moving the cursor forward. */
static inline void position(struct tokenizer *t, size_t off, uint32_t *line,
			    uint32_t *col)
{
	if (t->plain) {
		while (t->line + 1 < t->nlines && t->lines[t->line + 1] <= off)
			t->line++;
		while (t->line > 0 && t->lines[t->line] > off)
			t->line--;
		*line = (uint32_t)t->line + 1;
		*col = (uint32_t)(off - t->lines[t->line] + 1);
		return;
	}
	if (off < t->cur) { /* only at the end of a file: count again */
		t->cur = t->base;
		t->cur_line = 1;
		t->cur_col = 1;
	}
	while (t->cur < off) {
		char c = t->s[t->cur++];

		if (c == '\n' ||
		    (c == '\r' && (t->cur >= t->len || t->s[t->cur] != '\n'))) {
			t->cur_line++;
			t->cur_col = 1;
		} else if (((unsigned char)c & 0xc0) != 0x80) {
			t->cur_col++;
		}
	}
	*line = t->cur_line;
	*col = t->cur_col;
}

static struct cg_py_token *emit(struct tokenizer *t, enum cg_py_tok_kind kind,
				size_t start, size_t end, const char *message)
{
	struct cg_py_tokens *out = t->out;
	struct cg_py_token *k;

	if (t->full)
		return NULL;
	if (out->n >= CG_PY_MAX_TOKENS) {
		t->full = true;
		return NULL;
	}
	if (out->n >= out->alloc)
		CG_GROW(out->toks, out->alloc, out->n + 1);
	k = &out->toks[out->n++];
	k->kind = kind;
	k->start = (uint32_t)start;
	k->end = (uint32_t)end;
	k->message = message;
	position(t, start, &k->line, &k->col);
	if (kind == CG_PY_NEWLINE || kind == CG_PY_NL ||
	    (t->plain && (kind == CG_PY_NAME || kind == CG_PY_OP ||
			  kind == CG_PY_NUMBER || kind == CG_PY_COMMENT))) {
		/* on one line, and its columns are its bytes */
		k->end_line = k->line;
		k->end_col = k->col + (uint32_t)(end - start);
	} else {
		position(t, end, &k->end_line, &k->end_col);
	}
	if (kind == CG_PY_ERRORTOKEN)
		out->nerrors++;
	return k;
}

/* ------------------------------------------------------------- strings */

/*
 * Whether s[0..n) is a string prefix, and what it says. CPython accepts
 * r u b f (and 3.14's t) in either case, and rb br fr rf tr rt.
 */
static bool string_prefix(const char *s, size_t n, bool *raw, bool *fmt)
{
	char a, b;

	*raw = *fmt = false;
	if (n == 0 || n > 2)
		return false;
	a = (char)(s[0] | 0x20);
	b = n == 2 ? (char)(s[1] | 0x20) : 0;
	if (n == 2 && (a == 'r') == (b == 'r'))
		return false;
	if (n == 2 && a == 'r')
		a = b;
	*raw = n == 2 || a == 'r';
	*fmt = a == 'f' || a == 't';
	return a == 'r' || a == 'b' || a == 'f' || a == 't' ||
	       (a == 'u' && n == 1);
}

struct quote {
	char ch;
	unsigned n; /* 1 or 3 */
};

static const char *scan_string(struct tokenizer *t, size_t i, bool raw,
			       bool fmt, unsigned fdepth, size_t *end);

/*
 * The format spec of a replacement field, from just after its `:`: text
 * with nested fields, up to the `}` that closes the field.
 */
static const char *scan_spec(struct tokenizer *t, size_t i, struct quote q,
			     bool raw, unsigned fdepth, size_t *end);

/*
 * A replacement field of an f-string, from just after its `{` to just
 * after its `}`: code, with strings and brackets of its own. Line breaks
 * are allowed (3.12), as are comments.
 */
static const char *scan_field(struct tokenizer *t, size_t i, struct quote q,
			      bool raw, unsigned fdepth, size_t *end)
{
	const char *s = t->s;
	unsigned depth = 0;
	const char *err;

	if (fdepth >= CG_PY_MAX_FSTRING) {
		*end = i;
		return "too many nested f-strings";
	}
	while (i < t->len) {
		char c = s[i];

		if (c == '#') {
			while (i < t->len && !is_break(s[i]))
				i++;
		} else if (c == '\'' || c == '"') {
			if ((err = scan_string(t, i, false, false, fdepth, &i)))
				goto fail;
		} else if (is_name_start(c)) {
			size_t j = i;
			bool r, f;

			while (j < t->len && is_name_char(s[j]))
				j++;
			if (j < t->len && (s[j] == '\'' || s[j] == '"') &&
			    string_prefix(s + i, j - i, &r, &f)) {
				if ((err = scan_string(t, j, r, f, fdepth + 1,
						       &i)))
					goto fail;
			} else {
				i = j;
			}
		} else if (c == '(' || c == '[' || c == '{') {
			if (++depth > CG_PY_MAX_BRACKETS) {
				err = "too many nested brackets";
				goto fail;
			}
			i++;
		} else if (c == ')' || c == ']') {
			if (depth == 0) {
				err = "f-string: unmatched closing bracket";
				goto fail;
			}
			depth--;
			i++;
		} else if (c == '}') {
			if (depth == 0) {
				*end = i + 1;
				return NULL;
			}
			depth--;
			i++;
		} else if (c == ':' && depth == 0) {
			return scan_spec(t, i + 1, q, raw, fdepth, end);
		} else if (c == '\\' && i + 1 < t->len && is_break(s[i + 1])) {
			i += 1 + break_len(t, i + 1);
		} else {
			i++;
		}
	}
	err = "f-string: expecting '}'";
fail:
	*end = i;
	return err;
}

static const char *scan_spec(struct tokenizer *t, size_t i, struct quote q,
			     bool raw, unsigned fdepth, size_t *end)
{
	const char *s = t->s;
	const char *err;

	while (i < t->len) {
		char c = s[i];

		if (c == '}') {
			*end = i + 1;
			return NULL;
		} else if (c == '{') {
			if ((err = scan_field(t, i + 1, q, raw, fdepth + 1,
					      &i))) {
				*end = i;
				return err;
			}
		} else if (c == '\\' && i + 1 < t->len) {
			/* a backslash never takes a brace with it */
			i += s[i + 1] == '{' || s[i + 1] == '}'
				 ? 1
				 : 1 + break_len(t, i + 1);
		} else if (c == q.ch &&
			   (q.n == 1 || (i + 2 < t->len && s[i + 1] == q.ch &&
					 s[i + 2] == q.ch))) {
			break;
		} else if (is_break(c) && q.n == 1) {
			break;
		} else {
			i++;
		}
	}
	*end = i;
	return "f-string: expecting '}'";
}

/*
 * The string literal whose opening quote is at i: NULL and *end just past
 * its closing quote, or the error and *end where it was found.
 */
static const char *scan_string(struct tokenizer *t, size_t i, bool raw,
			       bool fmt, unsigned fdepth, size_t *end)
{
	const char *s = t->s;
	struct quote q = {s[i], 1};
	const char *err;

	i++;
	if (i + 1 < t->len && s[i] == q.ch && s[i + 1] == q.ch) {
		q.n = 3;
		i += 2;
	}
	while (i < t->len) {
		char c = s[i];

		if (c == '\\' && i + 1 < t->len) {
			if (!raw && fmt && s[i + 1] == 'N' && i + 2 < t->len &&
			    s[i + 2] == '{') {
				/* \N{NAME}: its braces are not a field */
				size_t j = i + 3;

				while (j < t->len && s[j] != '}' &&
				       s[j] != q.ch && !is_break(s[j]))
					j++;
				if (j < t->len && s[j] == '}') {
					i = j + 1;
					continue;
				}
			}
			/* in an f-string, raw or not, a backslash never takes
			 * a brace with it: `\{{` is a backslash and a brace */
			if (fmt && (s[i + 1] == '{' || s[i + 1] == '}'))
				i++;
			else
				i += 1 + break_len(t, i + 1);
		} else if (c == q.ch) {
			if (q.n == 1) {
				*end = i + 1;
				return NULL;
			}
			if (i + 2 < t->len && s[i + 1] == q.ch &&
			    s[i + 2] == q.ch) {
				*end = i + 3;
				return NULL;
			}
			i++;
		} else if (is_break(c) && q.n == 1) {
			*end = i;
			return fmt ? "unterminated f-string literal"
				   : "unterminated string literal";
		} else if (fmt && c == '{') {
			if (i + 1 < t->len && s[i + 1] == '{') {
				i += 2;
				continue;
			}
			if ((err = scan_field(t, i + 1, q, raw, fdepth, &i))) {
				*end = i;
				return err;
			}
		} else {
			i++;
		}
	}
	*end = t->len;
	return q.n == 3 ? "unterminated triple-quoted string literal"
			: "unterminated string literal";
}

/* ------------------------------------------------------------- numbers */

/* Decimal digits with single underscores between them, from i. */
static size_t digits(const struct tokenizer *t, size_t i)
{
	const char *s = t->s;

	if (i >= t->len || !is_digit(s[i]))
		return i;
	i++;
	while (i < t->len) {
		if (is_digit(s[i]))
			i++;
		else if (s[i] == '_' && i + 1 < t->len && is_digit(s[i + 1]))
			i += 2;
		else
			break;
	}
	return i;
}

static bool is_base_digit(char c, char base)
{
	switch (base | 0x20) {
	case 'x':
		return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
	case 'o':
		return c >= '0' && c <= '7';
	default:
		return c == '0' || c == '1';
	}
}

/* The end of the number at i (a digit, or `.` before a digit). */
static size_t scan_number(const struct tokenizer *t, size_t i)
{
	const char *s = t->s;
	size_t j;

	if (s[i] == '0' && i + 1 < t->len &&
	    strchr("xXoObB", s[i + 1]) != NULL && s[i + 1] != '\0') {
		char base = s[i + 1];

		j = i + 2;
		while (j < t->len) {
			if (is_base_digit(s[j], base))
				j++;
			else if (s[j] == '_' && j + 1 < t->len &&
				 is_base_digit(s[j + 1], base))
				j += 2;
			else
				break;
		}
		return j > i + 2 ? j : i + 1;
	}
	j = digits(t, i);
	if (j < t->len && s[j] == '.')
		j = digits(t, j + 1);
	if (j < t->len && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;

		if (k < t->len && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < t->len && is_digit(s[k]))
			j = digits(t, k);
	}
	if (j < t->len && (s[j] == 'j' || s[j] == 'J'))
		j++;
	return j;
}

/* ----------------------------------------------------------- operators */

/* The length of the operator at i (longest match), 0 when none. */
static size_t operator_len(const struct tokenizer *t, size_t i)
{
	static const char *const three[] = {"**=", "//=", ">>=", "<<=", "..."};
	static const char *const two[] = {
	    "!=", "%=", "&=", "**", "*=", "+=", "-=", "->", "//", "/=",
	    ":=", "<<", "<=", "==", ">=", ">>", "@=", "^=", "|="};
	size_t left = t->len - i;
	const char *s = t->s + i;

	/* every longer operator has one of these second */
	if (left < 2 || !memchr("=*></.", s[1], 6))
		goto one;
	if (left >= 3)
		for (size_t k = 0; k < sizeof(three) / sizeof(three[0]); k++)
			if (!memcmp(s, three[k], 3))
				return 3;
	if (left >= 2)
		for (size_t k = 0; k < sizeof(two) / sizeof(two[0]); k++)
			if (!memcmp(s, two[k], 2))
				return 2;
one:
	switch (s[0]) {
	case '%':
	case '&':
	case '(':
	case ')':
	case '*':
	case '+':
	case ',':
	case '-':
	case '.':
	case '/':
	case ':':
	case ';':
	case '<':
	case '=':
	case '>':
	case '@':
	case '[':
	case ']':
	case '^':
	case '{':
	case '|':
	case '}':
	case '~':
		return 1;
	default:
		return 0;
	}
}

static void bracket(struct tokenizer *t, size_t i)
{
	char c = t->s[i], open;

	if (c == '(' || c == '[' || c == '{') {
		if (t->depth >= CG_PY_MAX_BRACKETS) {
			emit(t, CG_PY_ERRORTOKEN, i, i + 1,
			     "too many nested parentheses");
			return;
		}
		t->brackets[t->depth++] = c;
		emit(t, CG_PY_OP, i, i + 1, NULL);
		return;
	}
	if (t->depth == 0) {
		emit(t, CG_PY_ERRORTOKEN, i, i + 1,
		     c == ')'	? "unmatched ')'"
		     : c == ']' ? "unmatched ']'"
				: "unmatched '}'");
		return;
	}
	open = t->brackets[--t->depth];
	if ((open == '(' && c != ')') || (open == '[' && c != ']') ||
	    (open == '{' && c != '}'))
		emit(t, CG_PY_ERRORTOKEN, i, i + 1,
		     "closing parenthesis does not match opening parenthesis");
	else
		emit(t, CG_PY_OP, i, i + 1, NULL);
}

/* --------------------------------------------------------- indentation */

static const char tab_error[] =
    "inconsistent use of tabs and spaces in indentation";

/* A logical line starts at `first` (its indentation from `line_start`)
 * with columns col (tabs to 8) and alt (tabs as 1). */
static void indentation(struct tokenizer *t, size_t line_start, size_t first,
			unsigned col, unsigned alt)
{
	unsigned top = t->nindents - 1;

	if (col == t->indents[top]) {
		if (alt != t->alt_indents[top])
			emit(t, CG_PY_ERRORTOKEN, line_start, first, tab_error);
	} else if (col > t->indents[top]) {
		if (alt <= t->alt_indents[top]) {
			emit(t, CG_PY_ERRORTOKEN, line_start, first, tab_error);
		} else if (t->nindents >= CG_PY_MAX_INDENT) {
			emit(t, CG_PY_ERRORTOKEN, line_start, first,
			     "too many levels of indentation");
		} else {
			t->indents[t->nindents] = col;
			t->alt_indents[t->nindents++] = alt;
			emit(t, CG_PY_INDENT, line_start, first, NULL);
		}
	} else {
		while (t->nindents > 1 && col < t->indents[t->nindents - 1]) {
			t->nindents--;
			emit(t, CG_PY_DEDENT, first, first, NULL);
		}
		top = t->nindents - 1;
		if (col != t->indents[top])
			emit(t, CG_PY_ERRORTOKEN, first, first,
			     "unindent does not match any outer indentation "
			     "level");
		else if (alt != t->alt_indents[top])
			emit(t, CG_PY_ERRORTOKEN, first, first, tab_error);
	}
}

/* ----------------------------------------------------------------- main */

static void tokenize(struct tokenizer *t)
{
	const char *s = t->s;
	size_t i = t->base, eof_line_start = SIZE_MAX;
	bool at_line_start = true;
	bool in_logical = false;   /* a token since the last NEWLINE */
	bool line_content = false; /* a token since the last line break */
	struct cg_py_token *k;
	uint32_t line, col;

	while (!t->full) {
		char c;

		if (at_line_start) {
			size_t line_start = i;
			unsigned ccol = 0, alt = 0;

			at_line_start = false;
			for (; i < t->len; i++) {
				if (s[i] == ' ') {
					ccol++;
					alt++;
				} else if (s[i] == '\t') {
					ccol = (ccol / 8 + 1) * 8;
					alt++;
				} else if (s[i] == '\f') {
					ccol = alt = 0;
				} else {
					break;
				}
			}
			if (i >= t->len) {
				eof_line_start = line_start;
				break;
			}
			if (t->depth == 0 && !in_logical && s[i] != '#' &&
			    !is_break(s[i]))
				indentation(t, line_start, i, ccol, alt);
		}
		while (i < t->len &&
		       (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
			i++;
		if (i >= t->len)
			break;
		c = s[i];
		if (is_break(c)) {
			size_t n = break_len(t, i);

			emit(t,
			     t->depth == 0 && in_logical ? CG_PY_NEWLINE
							 : CG_PY_NL,
			     i, i + n, NULL);
			if (t->depth == 0)
				in_logical = false;
			line_content = false;
			at_line_start = true;
			i += n;
			continue;
		}
		line_content = true;
		if (c == '#') {
			size_t j = i;

			while (j < t->len && !is_break(s[j]))
				j++;
			emit(t, CG_PY_COMMENT, i, j, NULL);
			i = j;
			continue;
		}
		if (c == '\\') {
			if (i + 1 < t->len && is_break(s[i + 1])) {
				i += 1 + break_len(t, i + 1);
				line_content = false;
				continue;
			}
			emit(t, CG_PY_ERRORTOKEN, i, i + 1,
			     i + 1 < t->len
				 ? "unexpected character after line "
				   "continuation character"
				 : "unexpected end of file after line "
				   "continuation character");
			i++;
			continue;
		}
		in_logical = true;
		if (is_name_start(c)) {
			size_t j = i;
			bool raw, fmt;

			while (j < t->len && is_name_char(s[j]))
				j++;
			if (j < t->len && (s[j] == '\'' || s[j] == '"') &&
			    string_prefix(s + i, j - i, &raw, &fmt)) {
				size_t end;
				const char *err =
				    scan_string(t, j, raw, fmt, 0, &end);

				emit(t, err ? CG_PY_ERRORTOKEN : CG_PY_STRING,
				     i, end, err);
				i = end;
			} else {
				emit(t, CG_PY_NAME, i, j, NULL);
				i = j;
			}
		} else if (is_digit(c) ||
			   (c == '.' && i + 1 < t->len && is_digit(s[i + 1]))) {
			size_t j = scan_number(t, i);

			emit(t, CG_PY_NUMBER, i, j, NULL);
			i = j;
		} else if (c == '\'' || c == '"') {
			size_t end;
			const char *err =
			    scan_string(t, i, false, false, 0, &end);

			emit(t, err ? CG_PY_ERRORTOKEN : CG_PY_STRING, i, end,
			     err);
			i = end;
		} else if (c == '(' || c == '[' || c == '{' || c == ')' ||
			   c == ']' || c == '}') {
			bracket(t, i);
			i++;
		} else {
			size_t n = operator_len(t, i);

			if (n)
				emit(t, CG_PY_OP, i, i + n, NULL);
			else
				emit(t, CG_PY_ERRORTOKEN, i, i + 1,
				     "invalid character");
			i += n ? n : 1;
		}
	}
	if (t->full)
		return;

	/* the end of the file: what CPython adds there */
	if (t->depth > 0)
		emit(t, CG_PY_ERRORTOKEN, t->len, t->len,
		     t->brackets[t->depth - 1] == '(' ? "'(' was never closed"
		     : t->brackets[t->depth - 1] == '['
			 ? "'[' was never closed"
			 : "'{' was never closed");
	if (in_logical)
		emit(t, CG_PY_NEWLINE, t->len, t->len, NULL);
	else if (line_content)
		emit(t, CG_PY_NL, t->len, t->len, NULL);
	/* DEDENT and ENDMARKER on the line after the last one; a last line
	 * of blanks only is not a line */
	position(t, eof_line_start != SIZE_MAX ? eof_line_start : t->len, &line,
		 &col);
	if (eof_line_start == SIZE_MAX && t->len > t->base &&
	    !is_break(s[t->len - 1])) {
		line++;
		col = 1;
	}
	while (t->nindents > 1) {
		t->nindents--;
		if ((k = emit(t, CG_PY_DEDENT, t->len, t->len, NULL)))
			k->line = k->end_line = line, k->col = k->end_col = col;
	}
	if ((k = emit(t, CG_PY_ENDMARKER, t->len, t->len, NULL)))
		k->line = k->end_line = line, k->col = k->end_col = col;
}

int cg_py_tokenize(struct cg_py_tokens *out, const char *text, size_t len)
{
	memset(out, 0, sizeof(*out));
	return cg_py_tokenize_again(out, text, len);
}

/* ASCII without a \r (most code): a position is a line's start and a
 * byte count, and t's line table is made here (else false). */
static bool plain(struct tokenizer *t, struct cg_py_tokens *out)
{
	const char *p = t->s, *end = t->s + t->len;
	unsigned char any = 0;
	size_t n = 0;

	for (size_t i = 0; i < t->len; i++)
		any |= (unsigned char)t->s[i];
	if (any >= 0x80 || memchr(t->s, '\r', t->len))
		return false;
	for (;;) {
		const char *nl =
		    p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;

		CG_GROW(out->lines, out->lines_alloc, n + 1);
		out->lines[n++] = (size_t)(p - t->s);
		if (!nl)
			break;
		p = nl + 1;
	}
	t->lines = out->lines;
	t->nlines = n;
	return true;
}

int cg_py_tokenize_again(struct cg_py_tokens *out, const char *text, size_t len)
{
	struct tokenizer t;

	out->n = 0;
	out->nerrors = 0;
	if (len > CG_LOAD_MAX_BYTES)
		return cg_error_set(
		    CG_ELIMIT, "python source of %zu bytes is too large", len);
	memset(&t, 0, sizeof(t));
	t.s = text;
	t.len = len;
	t.out = out;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		t.base = 3;
	t.cur = t.base;
	t.cur_line = t.cur_col = 1;
	t.plain = plain(&t, out);
	t.nindents = 1;
	tokenize(&t);
	if (t.full)
		return cg_error_set(CG_ELIMIT,
				    "python source has over %u tokens",
				    CG_PY_MAX_TOKENS);
	return 0;
}

void cg_py_tokens_release(struct cg_py_tokens *t)
{
	if (!t)
		return;
	free(t->toks);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

const char *cg_py_tok_name(enum cg_py_tok_kind kind)
{
	static const char *const names[] = {
	    [CG_PY_ENDMARKER] = "ENDMARKER",
	    [CG_PY_NAME] = "NAME",
	    [CG_PY_NUMBER] = "NUMBER",
	    [CG_PY_STRING] = "STRING",
	    [CG_PY_OP] = "OP",
	    [CG_PY_NEWLINE] = "NEWLINE",
	    [CG_PY_NL] = "NL",
	    [CG_PY_INDENT] = "INDENT",
	    [CG_PY_DEDENT] = "DEDENT",
	    [CG_PY_COMMENT] = "COMMENT",
	    [CG_PY_ERRORTOKEN] = "ERRORTOKEN",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[kind];
}
