/*
 * libFuzzer target for the JavaScript lexer: on any bytes, with JSX on
 * and off, it must return 0 and its tokens must cover the text in order:
 * each inside it and after the one before, with only blanks and comments
 * between them (a hashbang line at the start); each literal must start
 * and end with its delimiters; END comes last, at the end; a stopped
 * reading has an ERROR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

static bool is_break(char c)
{
	return c == '\n' || c == '\r';
}

/* Bytes [from, to) hold only blanks and comments. */
static void check_gap(const char *s, size_t from, size_t to)
{
	size_t i = from;

	if (i == 0 && to >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	if (i <= 3 && to - i >= 2 && s[i] == '#' && s[i + 1] == '!')
		while (i < to && !is_break(s[i]))
			i++;
	while (i < to) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\v' || c == '\f') {
			i++;
		} else if (c == 0xc2 && i + 1 < to &&
			   (unsigned char)s[i + 1] == 0xa0) {
			i += 2;
		} else if (i + 2 < to && (!memcmp(s + i, "\xe2\x80\xa8", 3) ||
					  !memcmp(s + i, "\xe2\x80\xa9", 3) ||
					  !memcmp(s + i, "\xef\xbb\xbf", 3))) {
			i += 3;
		} else if (c == '/' && i + 1 < to && s[i + 1] == '/') {
			while (i < to && !is_break(s[i]))
				i++;
		} else if (c == '/' && i + 1 < to && s[i + 1] == '*') {
			size_t j = i + 2;

			while (j + 1 < to && !(s[j] == '*' && s[j + 1] == '/'))
				j++;
			check(j + 1 < to, "a comment not closed in a gap");
			i = j + 2;
		} else {
			check(false, "a byte between tokens that is no blank");
		}
	}
}

static bool ends(const char *s, const struct cg_js_token *t, const char *x)
{
	size_t n = strlen(x);

	return t->end - t->start >= n && !memcmp(s + t->end - n, x, n);
}

static void run(const char *s, size_t size, unsigned flags)
{
	struct cg_js_tokens t;
	size_t prev_end = 0, nerrors = 0;
	int err = cg_js_tokenize(&t, s, size, flags);

	check(err == 0, "tokenize failed");
	check(t.n >= 1 && t.toks[t.n - 1].kind == CG_JS_END &&
		  t.toks[t.n - 1].start == size,
	      "no END at the end");
	for (size_t k = 0; k < t.n; k++) {
		const struct cg_js_token *tok = &t.toks[k];
		char first = tok->end > tok->start ? s[tok->start] : 0;

		check(tok->start <= tok->end && tok->end <= size,
		      "token outside the text");
		check(tok->start >= prev_end, "token before the one before it");
		if (!t.stopped)
			check_gap(s, prev_end, tok->start);
		prev_end = tok->end;
		nerrors += tok->kind == CG_JS_ERROR;
		switch (tok->kind) {
		case CG_JS_STRING:
			check((first == '\'' || first == '"') &&
				  tok->end - tok->start >= 2 &&
				  s[tok->end - 1] == first,
			      "STRING not in its quotes");
			break;
		case CG_JS_TEMPLATE:
		case CG_JS_TEMPLATE_TAIL:
			check(first == (tok->kind == CG_JS_TEMPLATE ? '`'
								    : '}') &&
				  tok->end - tok->start >= 2 &&
				  ends(s, tok, "`"),
			      "template text not in its delimiters");
			break;
		case CG_JS_TEMPLATE_HEAD:
		case CG_JS_TEMPLATE_MIDDLE:
			check(first == (tok->kind == CG_JS_TEMPLATE_HEAD
					    ? '`'
					    : '}') &&
				  ends(s, tok, "${"),
			      "template head not in its delimiters");
			break;
		case CG_JS_REGEX:
			check(first == '/' && tok->end - tok->start >= 2,
			      "REGEX not starting with /");
			break;
		case CG_JS_NAME:
		case CG_JS_NUMBER:
		case CG_JS_PUNCT:
		case CG_JS_JSX:
			check(tok->end > tok->start, "an empty token");
			break;
		default:
			break;
		}
	}
	check(nerrors == t.nerrors, "ERROR count");
	check(!t.stopped || nerrors, "stopped without an ERROR");
	cg_js_tokens_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run((const char *)data, size, 0);
	run((const char *)data, size, CG_JS_JSX_ON);
	return 0;
}
