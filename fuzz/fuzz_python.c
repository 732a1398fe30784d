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

/* The structure over the tokens: rows inside the text and the tables. */
static void check_module(const char *s, size_t size,
			 const struct cg_py_tokens *t)
{
	struct cg_arena arena;
	struct cg_py_module m;

	cg_arena_init(&arena);
	check(cg_py_module_build(&m, &arena, s, size, t) == 0, "build failed");
	for (size_t i = 0; i < m.ndefs; i++) {
		const struct cg_py_def *d = &m.defs[i];

		check(d->parent == CG_PY_NONE || d->parent < i,
		      "a def's parent after it");
		check(d->start <= d->end && d->end <= size, "def outside");
		check(d->body_first <= t->n && d->body_end <= t->n,
		      "def body outside the tokens");
		check(d->first_decorator + d->ndecorators <= m.ndecorators,
		      "decorators outside");
		check(d->first_base + d->nbases <= m.nargs, "bases outside");
		check(d->first_param + d->nparams <= m.nparams,
		      "params outside");
	}
	for (size_t i = 0; i < m.ncalls; i++) {
		const struct cg_py_call *c = &m.calls[i];

		check(c->start <= c->end && c->end <= size, "call outside");
		check(c->first_arg + c->nargs <= m.nargs, "args outside");
		check(c->func == CG_PY_NONE || c->func < m.ndefs,
		      "call in no def");
		check(strlen(c->callee) <= CG_PY_TEXT_MAX, "callee not cut");
	}
	for (size_t i = 0; i < m.nargs; i++) {
		const struct cg_py_arg *a = &m.args[i];

		check(a->start <= a->end && a->end <= size, "arg outside");
		check(strlen(a->text) <= CG_PY_TEXT_MAX, "arg text not cut");
		check(!a->value || strlen(a->value) <= CG_PY_VALUE_MAX,
		      "value not cut");
		check(a->call == CG_PY_NONE || a->call < m.ncalls,
		      "arg call outside");
		check(a->string == CG_PY_NONE || a->string < m.nstrings,
		      "arg string outside");
	}
	for (size_t i = 0; i < m.nstrings; i++)
		check(m.strings[i].start <= m.strings[i].body &&
			  m.strings[i].body <= m.strings[i].body_end &&
			  m.strings[i].body_end <= m.strings[i].end &&
			  m.strings[i].end <= size,
		      "string outside");
	for (size_t i = 0; i < m.nwiths; i++)
		check(m.withs[i].call == CG_PY_NONE ||
			  m.withs[i].call < m.ncalls,
		      "with call outside");
	for (size_t i = 0; i < m.nassigns; i++)
		check(m.assigns[i].call == CG_PY_NONE ||
			  m.assigns[i].call < m.ncalls,
		      "assign call outside");
	for (size_t i = 0; i < m.nimports; i++)
		check(m.imports[i].module != NULL, "import without module");
	cg_py_module_release(&m);
	cg_arena_release(&arena);
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
	check_module(s, size, &t);
	cg_py_tokens_release(&t);
	return 0;
}
