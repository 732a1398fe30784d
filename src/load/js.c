/*
 * A JavaScript/TypeScript lexer, for reading code, never for running it:
 * enough of the language to tell code from comments, strings, template
 * text, regular expressions and JSX text, so that a reader of the tokens
 * sees `process.env.X` only where it is code.
 *
 * One pass, left to right. Two things in JavaScript cannot be told from
 * the bytes alone, and are decided as a parser would:
 *
 *   - `/` starts a regex where an expression starts (after an operator,
 *     `(`, `,`, `return`, `typeof`...), and divides after a value (a
 *     name, a literal, `)`, `]`). After `)` it starts one when the
 *     parentheses were those of `if`/`while`/`for`/`with`, and after `}`
 *     when the braces were a block rather than an object literal: a `{`
 *     opens a block at the start of a statement (after `;`, `{`, `}`,
 *     `)`, `=>`, a keyword such as `else`), an object elsewhere. So the
 *     lexer keeps a stack of the open brackets with their kind.
 *   - `}` ends a block or object, or the field of a template literal
 *     (`${...}`) or a JSX expression (`{...}`). Fields are read by a
 *     recursive call that returns at the `}` closing them, so template
 *     text around them is text and the code inside is code, to any
 *     nesting up to CG_JS_MAX_NESTING.
 *
 * JSX (when asked for: .js, .jsx, .tsx) starts at a `<` where an
 * expression starts followed by a name or `>`; tags, attribute strings
 * and text between elements are one JSX token up to the next `{`, whose
 * expression is code; the element ends when its tags balance. A generic
 * arrow function in .tsx (`<T,>(x) =>`, `<T extends U>`) is not JSX.
 *
 * What is not valid JavaScript becomes an ERROR token and reading goes
 * on: a string or regex not closed ends at its line break, a comment or
 * template not closed at the end of the text, a stray byte is one ERROR.
 * Nesting deeper than the bracket stack or the field recursion is an
 * ERROR and ends the reading, so every byte is looked at a bounded
 * number of times and the C stack stays small.
 *
 * Not done, because nothing here needs it: Unicode categories (every
 * byte >= 0x80 may be part of a name, except the spaces U+00A0, U+2028,
 * U+2029 and U+FEFF); Annex B HTML comments (`<!--`, `-->`); escapes in
 * strings are skipped, not checked.
 */
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

/* kinds of open bracket */
enum {
	B_PAREN = 'p',
	B_CONTROL = 'c', /* the parentheses of if/while/for/with */
	B_SQUARE = '[',
	B_BLOCK = 'b',
	B_OBJECT = 'o',
};

struct lexer {
	const char *s;
	size_t len, i;
	unsigned flags;
	struct cg_js_tokens *out;
	bool stop; /* a limit was reached: nothing more is read */
	bool full; /* CG_JS_MAX_TOKENS reached */

	/* the token before, for `/`, `{`, `(` and `<` */
	bool regex_ok;
	bool have_last;
	enum cg_js_tok_kind last_kind;
	size_t last_start, last_end;
	bool last_member; /* a NAME right after `.` or `?.` */

	char stack[CG_JS_MAX_BRACKETS];
	unsigned depth;
	unsigned nesting; /* template fields and JSX expressions */
};

static void lex_code(struct lexer *t, bool in_field);

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '$' || (unsigned char)c >= 0x80;
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

static bool is_break(char c)
{
	return c == '\n' || c == '\r';
}

/* Bytes of the Unicode space at i (U+00A0, U+2028, U+2029, U+FEFF), or
 * 0. */
static size_t unicode_space(const struct lexer *t, size_t i)
{
	const unsigned char *u = (const unsigned char *)t->s + i;
	size_t left = t->len - i;

	if (left >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	if (left >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return 3;
	return 0;
}

static void emit(struct lexer *t, enum cg_js_tok_kind kind, size_t start,
		 size_t end, const char *message)
{
	struct cg_js_tokens *out = t->out;
	struct cg_js_token *k;

	if (t->full)
		return;
	if (out->n >= CG_JS_MAX_TOKENS) {
		t->full = true;
		t->stop = true;
		out->stopped = true;
		return;
	}
	CG_GROW(out->toks, out->alloc, out->n + 1);
	k = &out->toks[out->n++];
	k->kind = kind;
	k->start = (uint32_t)start;
	k->end = (uint32_t)end;
	if (kind == CG_JS_ERROR) {
		out->nerrors++;
		if (!out->message)
			out->message = message;
		return; /* an error says nothing of what comes next */
	}
	t->last_member =
	    kind == CG_JS_NAME && t->have_last && t->last_kind == CG_JS_PUNCT &&
	    ((t->last_end - t->last_start == 1 && t->s[t->last_start] == '.') ||
	     (t->last_end - t->last_start == 2 &&
	      !memcmp(t->s + t->last_start, "?.", 2)));
	t->have_last = true;
	t->last_kind = kind;
	t->last_start = start;
	t->last_end = end;
}

/* The last token is PUNCT `p`. */
static bool last_punct(const struct lexer *t, const char *p)
{
	size_t n = strlen(p);

	return t->have_last && t->last_kind == CG_JS_PUNCT &&
	       t->last_end - t->last_start == n &&
	       !memcmp(t->s + t->last_start, p, n);
}

/* The last token is a keyword among `words` (a NAME not after a dot). */
static bool last_keyword(const struct lexer *t, const char *const *words)
{
	size_t n;

	if (!t->have_last || t->last_kind != CG_JS_NAME || t->last_member)
		return false;
	n = t->last_end - t->last_start;
	for (size_t k = 0; words[k]; k++)
		if (strlen(words[k]) == n &&
		    !memcmp(t->s + t->last_start, words[k], n))
			return true;
	return false;
}

/* Keywords after which an expression starts: a `/` there is a regex, a
 * `{` an object. */
static const char *const expr_keywords[] = {
    "return", "typeof", "instanceof", "in",    "of",	"new", "delete",
    "void",   "throw",	"case",	      "yield", "await", NULL};
/* the same, and those after which a statement starts */
static const char *const regex_keywords[] = {
    "return", "typeof", "instanceof", "in",   "of", "new",
    "delete", "void",	"throw",      "case", "do", "else",
    "yield",  "await",	"extends",    NULL};
static const char *const control_keywords[] = {"if", "while", "for", "with",
					       NULL};

static void error_stop(struct lexer *t, const char *message)
{
	emit(t, CG_JS_ERROR, t->i, t->i, message);
	t->stop = true;
	t->out->stopped = true;
}

static bool push(struct lexer *t, char kind)
{
	if (t->depth >= CG_JS_MAX_BRACKETS) {
		error_stop(t, "brackets nested too deep");
		return false;
	}
	t->stack[t->depth++] = kind;
	return true;
}

/* After the whitespace and comments at t->i; an unclosed block comment is
 * an ERROR. */
static void skip_space(struct lexer *t)
{
	while (t->i < t->len) {
		char c = t->s[t->i];
		size_t u;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\v' || c == '\f') {
			t->i++;
		} else if ((u = unicode_space(t, t->i))) {
			t->i += u;
		} else if (c == '/' && t->i + 1 < t->len &&
			   t->s[t->i + 1] == '/') {
			while (t->i < t->len && !is_break(t->s[t->i]))
				t->i++;
		} else if (c == '/' && t->i + 1 < t->len &&
			   t->s[t->i + 1] == '*') {
			size_t start = t->i;
			const char *end = NULL;

			for (size_t j = t->i + 2; j + 1 < t->len; j++)
				if (t->s[j] == '*' && t->s[j + 1] == '/') {
					end = t->s + j;
					break;
				}
			if (!end) {
				t->i = t->len;
				emit(t, CG_JS_ERROR, start, t->len,
				     "unterminated comment");
				return;
			}
			t->i = (size_t)(end - t->s) + 2;
		} else {
			return;
		}
	}
}

static void lex_string(struct lexer *t)
{
	char q = t->s[t->i];
	size_t start = t->i, j = t->i + 1;

	t->regex_ok = false;
	while (j < t->len) {
		char c = t->s[j];

		if (c == q) {
			t->i = j + 1;
			emit(t, CG_JS_STRING, start, t->i, NULL);
			return;
		}
		if (is_break(c))
			break;
		if (c == '\\') {
			/* an escaped line break continues the string */
			j++;
			if (j < t->len && t->s[j] == '\r' && j + 1 < t->len &&
			    t->s[j + 1] == '\n')
				j++;
		}
		j++;
	}
	if (j > t->len)
		j = t->len;
	t->i = j;
	emit(t, CG_JS_ERROR, start, j, "unterminated string");
}

/* A field (`${` of a template, `{` of JSX) was just read: its code, up to
 * the `}` that closes it, which is left at t->i. False when the reading
 * stops (a limit, or the end of the text). */
static bool lex_field(struct lexer *t)
{
	unsigned depth = t->depth;

	if (t->nesting >= CG_JS_MAX_NESTING) {
		error_stop(t, "template or JSX fields nested too deep");
		return false;
	}
	t->nesting++;
	t->regex_ok = true;
	lex_code(t, true);
	t->nesting--;
	t->depth = depth;
	return !t->stop && t->i < t->len;
}

static void lex_template(struct lexer *t)
{
	size_t start = t->i, j = t->i + 1;
	bool first = true;

	while (j < t->len) {
		char c = t->s[j];

		if (c == '\\') {
			j += 2;
			continue;
		}
		if (c == '`') {
			t->i = j + 1;
			emit(t, first ? CG_JS_TEMPLATE : CG_JS_TEMPLATE_TAIL,
			     start, t->i, NULL);
			t->regex_ok = false;
			return;
		}
		if (c == '$' && j + 1 < t->len && t->s[j + 1] == '{') {
			t->i = j + 2;
			emit(t,
			     first ? CG_JS_TEMPLATE_HEAD
				   : CG_JS_TEMPLATE_MIDDLE,
			     start, t->i, NULL);
			if (!lex_field(t)) {
				start = t->i;
				goto unterminated;
			}
			/* at the field's `}` */
			start = t->i;
			j = t->i + 1;
			first = false;
			continue;
		}
		j++;
	}
	t->i = t->len;
unterminated:
	if (!t->stop) {
		emit(t, CG_JS_ERROR, start < t->len ? start : t->len, t->len,
		     "unterminated template literal");
		t->i = t->len;
	}
	t->regex_ok = false;
}

static void lex_regex(struct lexer *t)
{
	size_t start = t->i, j = t->i + 1;
	bool in_class = false;

	t->regex_ok = false;
	while (j < t->len && !is_break(t->s[j])) {
		char c = t->s[j];

		if (c == '\\') {
			j++;
			if (j < t->len && is_break(t->s[j]))
				break;
		} else if (c == '[') {
			in_class = true;
		} else if (c == ']') {
			in_class = false;
		} else if (c == '/' && !in_class) {
			j++;
			while (j < t->len && is_name_char(t->s[j]))
				j++;
			t->i = j;
			emit(t, CG_JS_REGEX, start, j, NULL);
			return;
		}
		j++;
	}
	if (j > t->len)
		j = t->len;
	t->i = j;
	emit(t, CG_JS_ERROR, start, j, "unterminated regular expression");
}

static void lex_number(struct lexer *t)
{
	size_t start = t->i, j = t->i;
	bool hex = t->s[j] == '0' && j + 1 < t->len &&
		   (t->s[j + 1] == 'x' || t->s[j + 1] == 'X');

	while (j < t->len) {
		char c = t->s[j];

		if (is_name_char(c) || c == '.')
			j++;
		else if ((c == '+' || c == '-') && !hex &&
			 (t->s[j - 1] == 'e' || t->s[j - 1] == 'E'))
			j++;
		else
			break;
	}
	t->i = j;
	emit(t, CG_JS_NUMBER, start, j, NULL);
	t->regex_ok = false;
}

static void lex_name(struct lexer *t)
{
	size_t start = t->i, j = t->i;

	if (t->s[j] == '#')
		j++;
	while (j < t->len) {
		if (t->s[j] == '\\' && j + 1 < t->len && t->s[j + 1] == 'u') {
			/* \uXXXX (its digits are name bytes) or \u{X...} */
			j += 2;
			if (j < t->len && t->s[j] == '{') {
				j++;
				while (j < t->len && is_hex(t->s[j]))
					j++;
				if (j < t->len && t->s[j] == '}')
					j++;
			}
		} else if (is_name_char(t->s[j]) && !unicode_space(t, j)) {
			j++;
		} else {
			break;
		}
	}
	t->i = j;
	emit(t, CG_JS_NAME, start, j, NULL);
	t->regex_ok = !t->last_member && last_keyword(t, regex_keywords);
}

static const char *const puncts[] = {
    ">>>=", "...",  "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=",
    "||=",  "?\?=", "=>",  "==",  "!=",	 "<=",	">=",  "&&",  "||",
    "?\?",  "?.",   "++",  "--",  "+=",	 "-=",	"*=",  "/=",  "%=",
    "&=",   "|=",   "^=",  "<<",  ">>",	 "**",	NULL};

/* An operator or delimiter other than a bracket, longest match; 0 when
 * the byte is none. */
static size_t punct_len(const struct lexer *t)
{
	size_t left = t->len - t->i;
	const char *p = t->s + t->i;

	for (size_t k = 0; puncts[k]; k++) {
		size_t n = strlen(puncts[k]);

		if (n <= left && !memcmp(p, puncts[k], n)) {
			/* `a?.5:1` is a conditional */
			if (n == 2 && p[0] == '?' && p[1] == '.' && left > 2 &&
			    is_digit(p[2]))
				continue;
			return n;
		}
	}
	return strchr(";,<>+-*/%&|^!~?:=.@", *p) ? 1 : 0;
}

/* A `<` at t->i opens a JSX element: JSX is on, an expression starts
 * here, and a name or `>` follows that is not a type parameter list. */
static bool jsx_starts(const struct lexer *t)
{
	size_t j = t->i + 1;

	if (!(t->flags & CG_JS_JSX_ON) || !t->regex_ok || j >= t->len)
		return false;
	if (t->s[j] == '>')
		return true;
	if (!is_name_start(t->s[j]))
		return false;
	while (j < t->len && (is_name_char(t->s[j]) || t->s[j] == '.' ||
			      t->s[j] == ':' || t->s[j] == '-'))
		j++;
	while (j < t->len && (t->s[j] == ' ' || t->s[j] == '\t'))
		j++;
	if (j < t->len && t->s[j] == ',')
		return false; /* <T,>() => */
	if (t->len - j >= 8 && !memcmp(t->s + j, "extends", 7) &&
	    (t->s[j + 7] == ' ' || t->s[j + 7] == '\t'))
		return false; /* <T extends U>() => */
	return true;
}

/* A JSX element at its `<`. */
static void lex_jsx(struct lexer *t)
{
	size_t start = t->i, j = t->i;
	unsigned open = 0;
	bool in_tag = false;

	while (j < t->len) {
		char c = t->s[j];

		if (!in_tag && c == '<') {
			if (j + 1 < t->len && t->s[j + 1] == '/') {
				while (j < t->len && t->s[j] != '>')
					j++;
				if (j >= t->len)
					break;
				j++;
				if (open > 0)
					open--;
				if (!open) {
					t->i = j;
					emit(t, CG_JS_JSX, start, j, NULL);
					t->regex_ok = false;
					return;
				}
				continue;
			}
			open++;
			in_tag = true;
			j++;
		} else if (in_tag && c == '/' && j + 1 < t->len &&
			   t->s[j + 1] == '>') {
			j += 2;
			in_tag = false;
			if (open > 0)
				open--;
			if (!open) {
				t->i = j;
				emit(t, CG_JS_JSX, start, j, NULL);
				t->regex_ok = false;
				return;
			}
		} else if (in_tag && c == '>') {
			in_tag = false;
			j++;
		} else if (in_tag && (c == '"' || c == '\'')) {
			/* attribute strings have no escapes */
			const char *q = memchr(t->s + j + 1, c, t->len - j - 1);

			j = q ? (size_t)(q - t->s) + 1 : t->len;
		} else if (c == '{') {
			t->i = j + 1;
			emit(t, CG_JS_JSX, start, t->i, NULL);
			if (!lex_field(t)) {
				start = t->i;
				goto unterminated;
			}
			start = t->i;
			j = t->i + 1;
		} else {
			j++;
		}
	}
	t->i = t->len;
unterminated:
	if (!t->stop) {
		emit(t, CG_JS_ERROR, start < t->len ? start : t->len, t->len,
		     "unterminated JSX element");
		t->i = t->len;
	}
	t->regex_ok = false;
}

/* `{` at t->i opens a block (not an object literal): see the top. */
static bool opens_block(const struct lexer *t)
{
	if (!t->have_last)
		return true;
	switch (t->last_kind) {
	case CG_JS_PUNCT:
		return last_punct(t, ";") || last_punct(t, "{") ||
		       last_punct(t, "}") || last_punct(t, ")") ||
		       last_punct(t, "=>");
	case CG_JS_NAME:
		return t->last_member || !last_keyword(t, expr_keywords);
	default:
		return false;
	}
}

/* A closing bracket `c` at t->i. True when it closes the field the
 * caller reads (then it is left at t->i). */
static bool close_bracket(struct lexer *t, unsigned base, bool in_field)
{
	char c = t->s[t->i];
	char kind = 0;

	if (c == '}') {
		/* what is still open inside the braces was never closed */
		while (t->depth > base && t->stack[t->depth - 1] != B_BLOCK &&
		       t->stack[t->depth - 1] != B_OBJECT)
			t->depth--;
		if (t->depth == base && in_field)
			return true;
		if (t->depth > base)
			kind = t->stack[--t->depth];
		emit(t, CG_JS_PUNCT, t->i, t->i + 1, NULL);
		t->i++;
		t->regex_ok = kind != B_OBJECT;
		return false;
	}
	if (t->depth > base) {
		char top = t->stack[t->depth - 1];

		if (c == ')' && (top == B_PAREN || top == B_CONTROL))
			kind = t->stack[--t->depth];
		else if (c == ']' && top == B_SQUARE)
			kind = t->stack[--t->depth];
	}
	emit(t, CG_JS_PUNCT, t->i, t->i + 1, NULL);
	t->i++;
	t->regex_ok = kind == B_CONTROL;
	return false;
}

/* Code up to the end of the text, or (in_field) up to the `}` closing the
 * field, left at t->i. */
static void lex_code(struct lexer *t, bool in_field)
{
	unsigned base = t->depth;

	while (!t->stop) {
		char c;
		size_t n;

		skip_space(t);
		if (t->stop || t->i >= t->len)
			return;
		c = t->s[t->i];
		if (c == '}' || c == ')' || c == ']') {
			if (close_bracket(t, base, in_field))
				return;
		} else if (c == '(' || c == '[' || c == '{') {
			char kind = c == '[' ? B_SQUARE : B_PAREN;

			if (c == '(' && last_keyword(t, control_keywords))
				kind = B_CONTROL;
			else if (c == '{')
				kind = opens_block(t) ? B_BLOCK : B_OBJECT;
			if (!push(t, kind))
				return;
			emit(t, CG_JS_PUNCT, t->i, t->i + 1, NULL);
			t->i++;
			t->regex_ok = true;
		} else if (c == '\'' || c == '"') {
			lex_string(t);
		} else if (c == '`') {
			lex_template(t);
		} else if (c == '/' && t->regex_ok) {
			lex_regex(t);
		} else if (c == '<' && jsx_starts(t)) {
			lex_jsx(t);
		} else if (is_digit(c) || (c == '.' && t->i + 1 < t->len &&
					   is_digit(t->s[t->i + 1]))) {
			lex_number(t);
		} else if (is_name_start(c) ||
			   (c == '\\' && t->i + 1 < t->len &&
			    t->s[t->i + 1] == 'u') ||
			   (c == '#' && t->i + 1 < t->len &&
			    is_name_start(t->s[t->i + 1]))) {
			lex_name(t);
		} else if ((n = punct_len(t))) {
			emit(t, CG_JS_PUNCT, t->i, t->i + n, NULL);
			t->i += n;
			t->regex_ok =
			    !last_punct(t, "++") && !last_punct(t, "--");
		} else {
			emit(t, CG_JS_ERROR, t->i, t->i + 1,
			     "unexpected character");
			t->i++;
		}
	}
}

int cg_js_tokenize(struct cg_js_tokens *out, const char *text, size_t len,
		   unsigned flags)
{
	struct lexer t;

	memset(out, 0, sizeof(*out));
	if (len > CG_LOAD_MAX_BYTES)
		return cg_error_set(CG_ELIMIT,
				    "source of %zu bytes is over "
				    "the limit",
				    len);
	memset(&t, 0, sizeof(t));
	t.s = text;
	t.len = len;
	t.flags = flags;
	t.out = out;
	t.regex_ok = true;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		t.i = 3;
	if (t.len - t.i >= 2 && text[t.i] == '#' && text[t.i + 1] == '!')
		while (t.i < t.len && !is_break(text[t.i]))
			t.i++;
	lex_code(&t, false);
	if (t.full)
		return cg_error_set(CG_ELIMIT,
				    "more than %u tokens: the rest is not read",
				    CG_JS_MAX_TOKENS);
	emit(&t, CG_JS_END, len, len, NULL);
	if (t.full)
		return cg_error_set(CG_ELIMIT,
				    "more than %u tokens: the rest is not read",
				    CG_JS_MAX_TOKENS);
	return 0;
}

void cg_js_tokens_release(struct cg_js_tokens *t)
{
	free(t->toks);
	memset(t, 0, sizeof(*t));
}

const char *cg_js_tok_name(enum cg_js_tok_kind kind)
{
	static const char *const names[] = {"END",
					    "NAME",
					    "NUMBER",
					    "STRING",
					    "TEMPLATE",
					    "TEMPLATE_HEAD",
					    "TEMPLATE_MIDDLE",
					    "TEMPLATE_TAIL",
					    "REGEX",
					    "PUNCT",
					    "JSX",
					    "ERROR"};

	return (size_t)kind < sizeof(names) / sizeof(*names) ? names[kind]
							     : "?";
}
