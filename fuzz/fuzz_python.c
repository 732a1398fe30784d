/*
 * libFuzzer target for the Python tokenizer: on any bytes it must return
 * 0 (or CG_ELIMIT at the token cap) and its tokens must cover the text in
 * order: each inside it, each after the one before, with only blanks and
 * backslash-newline continuations between them; line:col must be where
 * the offset is; a STRING must end in its quote; ENDMARKER comes last.
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

/* Bytes [from, to) hold only blanks and line continuations. */
static void check_gap(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')
			continue;
		check(s[i] == '\\' && i + 1 < to && is_break(s[i + 1]),
		      "a byte between tokens that is no blank");
		i++;
		if (s[i] == '\r' && i + 1 < to && s[i + 1] == '\n')
			i++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cg_py_tokens t;
	size_t prev_end = 0, off = 0;
	uint32_t line = 1, col = 1;
	int err = cg_py_tokenize(&t, s, size);

	check(err == 0, "tokenize failed");
	check(t.n >= 1 && t.toks[t.n - 1].kind == CG_PY_ENDMARKER,
	      "no ENDMARKER at the end");
	if (size >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		prev_end = off = 3;
	for (size_t k = 0; k < t.n; k++) {
		const struct cg_py_token *tok = &t.toks[k];
		bool zero =
		    tok->kind == CG_PY_DEDENT || tok->kind == CG_PY_ENDMARKER;

		check(tok->start <= tok->end && tok->end <= size,
		      "token outside the text");
		check(tok->start >= prev_end ||
			  (zero && tok->start == tok->end),
		      "token before the one before it");
		check(!zero || tok->start == tok->end, "DEDENT with a width");
		if (tok->start >= prev_end)
			check_gap(s, prev_end, tok->start);
		if (tok->end > prev_end)
			prev_end = tok->end;
		check((tok->kind == CG_PY_ERRORTOKEN) == (tok->message != NULL),
		      "message on a token that is no error");
		if (tok->kind == CG_PY_STRING)
			check(tok->end - tok->start >= 2 &&
				  (s[tok->end - 1] == '\'' ||
				   s[tok->end - 1] == '"'),
			      "STRING not ending in a quote");
		if (tok->kind == CG_PY_NEWLINE || tok->kind == CG_PY_NL)
			check(tok->start == tok->end || is_break(s[tok->start]),
			      "NEWLINE not at a line break");
		/* line:col, counted again from the last token's start */
		if (zero && tok->start == size)
			continue; /* on the line after the last one */
		check(tok->start >= off, "positions out of order");
		for (; off < tok->start; off++) {
			char c = s[off];

			if (c == '\n' || (c == '\r' && (off + 1 >= size ||
							s[off + 1] != '\n'))) {
				line++;
				col = 1;
			} else if (((unsigned char)c & 0xc0) != 0x80) {
				col++;
			}
		}
		check(tok->line == line && tok->col == col,
		      "line:col is not where the token starts");
	}
	check_gap(s, prev_end, size);
	cg_py_tokens_release(&t);
	return 0;
}
