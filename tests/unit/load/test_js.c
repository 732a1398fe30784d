/*
 * Unit tests for src/load/js.c. Each case renders its tokens as
 * `KIND=text` separated by spaces (END last, without text) and compares
 * the whole rendering, so a case shows at once what is code and what is
 * a comment (no token), a string, template text, a regex or JSX text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

/* Every token inside the text, after the one before it; END last. */
static void check_invariants(const struct cg_js_tokens *t, size_t len)
{
	size_t nerrors = 0;

	assert_true(t->n >= 1);
	assert_int_equal(t->toks[t->n - 1].kind, CG_JS_END);
	for (size_t k = 0; k < t->n; k++) {
		const struct cg_js_token *tok = &t->toks[k];

		assert_true(tok->start <= tok->end && tok->end <= len);
		if (k > 0)
			assert_true(t->toks[k - 1].end <= tok->start);
		nerrors += tok->kind == CG_JS_ERROR;
	}
	assert_int_equal(nerrors, t->nerrors);
	assert_true(!nerrors || t->message);
}

/* The rendering of the tokens of `text`; caller frees. */
static char *render_flags(const char *text, unsigned flags)
{
	struct cg_js_tokens t;
	struct cg_buf b = CG_BUF_INIT;
	size_t len = strlen(text);

	assert_int_equal(cg_js_tokenize(&t, text, len, flags), 0);
	check_invariants(&t, len);
	for (size_t k = 0; k < t.n; k++) {
		const struct cg_js_token *tok = &t.toks[k];

		if (k)
			cg_buf_addch(&b, ' ');
		cg_buf_addstr(&b, cg_js_tok_name(tok->kind));
		if (tok->kind == CG_JS_END)
			continue;
		cg_buf_addch(&b, '=');
		for (uint32_t i = tok->start; i < tok->end; i++)
			if (text[i] == '\n')
				cg_buf_addstr(&b, "\\n");
			else
				cg_buf_addch(&b, text[i]);
	}
	cg_js_tokens_release(&t);
	return cg_buf_detach(&b, NULL);
}

struct lex_case {
	const char *text;
	const char *tokens;
};

static void run_cases(const struct lex_case *cases, size_t n, unsigned flags)
{
	for (size_t i = 0; i < n; i++) {
		char *got = render_flags(cases[i].text, flags);

		if (strcmp(got, cases[i].tokens))
			fail_msg("case %zu: %s\n  want: %s\n  got:  %s", i,
				 cases[i].text, cases[i].tokens, got);
		free(got);
	}
}

#define RUN(cases, flags)                                                      \
	run_cases(cases, sizeof(cases) / sizeof(*cases), flags)

static void test_js__names_and_puncts(void **state)
{
	static const struct lex_case cases[] = {
	    {"process.env.X",
	     "NAME=process PUNCT=. NAME=env PUNCT=. NAME=X END"},
	    {"process?.env?.[\"X\"]",
	     "NAME=process PUNCT=?. NAME=env PUNCT=?. PUNCT=[ STRING=\"X\" "
	     "PUNCT=] END"},
	    {"a ?\? b ?\?= c", "NAME=a PUNCT=?\? NAME=b PUNCT=?\?= NAME=c END"},
	    {"a?.5:1", "NAME=a PUNCT=? NUMBER=.5 PUNCT=: NUMBER=1 END"},
	    {"x >>>= 1e-3n", "NAME=x PUNCT=>>>= NUMBER=1e-3n END"},
	    {"this.#p = $_", "NAME=this PUNCT=. NAME=#p PUNCT== NAME=$_ END"},
	    {"#!/usr/bin/env node\nx", "NAME=x END"},
	    {"\xef\xbb\xbfx\xc2\xa0y", "NAME=x NAME=y END"},
	    {"caf\xc3\xa9 \\u0041b", "NAME=caf\xc3\xa9 NAME=\\u0041b END"},
	    {"...a => b", "PUNCT=... NAME=a PUNCT==> NAME=b END"},
	};

	(void)state;
	RUN(cases, 0);
}

static void test_js__comments(void **state)
{
	static const struct lex_case cases[] = {
	    {"// process.env.A\nx", "NAME=x END"},
	    {"/* process.env.A\n */ x", "NAME=x END"},
	    {"a /* c */ / b", "NAME=a PUNCT=/ NAME=b END"},
	    {"x = 1 // a 'quote\ny", "NAME=x PUNCT== NUMBER=1 NAME=y END"},
	    {"x /* never closed", "NAME=x ERROR=/* never closed END"},
	    {"'// not a comment'", "STRING='// not a comment' END"},
	};

	(void)state;
	RUN(cases, 0);
}

static void test_js__strings(void **state)
{
	static const struct lex_case cases[] = {
	    {"'process.env.A' + \"b\"",
	     "STRING='process.env.A' PUNCT=+ STRING=\"b\" END"},
	    {"'it\\'s' x", "STRING='it\\'s' NAME=x END"},
	    {"\"a\\\"b\" x", "STRING=\"a\\\"b\" NAME=x END"},
	    {"'line\\\ncontinued' x", "STRING='line\\\\ncontinued' NAME=x END"},
	    {"'open\nx", "ERROR='open NAME=x END"},
	    {"\"a /* b\" c", "STRING=\"a /* b\" NAME=c END"},
	    {"'a`${x}`'", "STRING='a`${x}`' END"},
	};

	(void)state;
	RUN(cases, 0);
}

static void test_js__templates(void **state)
{
	static const struct lex_case cases[] = {
	    {"`process.env.A`", "TEMPLATE=`process.env.A` END"},
	    {"`a ${process.env.B} c`",
	     "TEMPLATE_HEAD=`a ${ NAME=process PUNCT=. NAME=env PUNCT=. "
	     "NAME=B TEMPLATE_TAIL=} c` END"},
	    {"`${a}${b}`", "TEMPLATE_HEAD=`${ NAME=a TEMPLATE_MIDDLE=}${ "
			   "NAME=b TEMPLATE_TAIL=}` END"},
	    /* a block and an object inside a field do not end it */
	    {"`${ {a: 1}.a } x`",
	     "TEMPLATE_HEAD=`${ PUNCT={ NAME=a PUNCT=: NUMBER=1 PUNCT=} "
	     "PUNCT=. NAME=a TEMPLATE_TAIL=} x` END"},
	    /* nested templates, and a `}` inside a string in a field */
	    {"`a${`b${c}`}d` / 2",
	     "TEMPLATE_HEAD=`a${ TEMPLATE_HEAD=`b${ NAME=c TEMPLATE_TAIL=}` "
	     "TEMPLATE_TAIL=}d` PUNCT=/ NUMBER=2 END"},
	    {"`${'}'}`", "TEMPLATE_HEAD=`${ STRING='}' TEMPLATE_TAIL=}` END"},
	    {"`\\${x} \\` y`", "TEMPLATE=`\\${x} \\` y` END"},
	    {"`multi\nline` x", "TEMPLATE=`multi\\nline` NAME=x END"},
	    {"`open ${x", "TEMPLATE_HEAD=`open ${ NAME=x ERROR= END"},
	    {"`open", "ERROR=`open END"},
	};

	(void)state;
	RUN(cases, 0);
}

static void test_js__regex_or_division(void **state)
{
	static const struct lex_case cases[] = {
	    {"x = /process.env.A/g",
	     "NAME=x PUNCT== REGEX=/process.env.A/g END"},
	    {"a / b / c", "NAME=a PUNCT=/ NAME=b PUNCT=/ NAME=c END"},
	    {"(a) / 2", "PUNCT=( NAME=a PUNCT=) PUNCT=/ NUMBER=2 END"},
	    {"a[0] / 2",
	     "NAME=a PUNCT=[ NUMBER=0 PUNCT=] PUNCT=/ NUMBER=2 END"},
	    {"f(/[/]/)", "NAME=f PUNCT=( REGEX=/[/]/ PUNCT=) END"},
	    {"/a\\/b/.test(s)",
	     "REGEX=/a\\/b/ PUNCT=. NAME=test PUNCT=( NAME=s PUNCT=) END"},
	    {"return /x/", "NAME=return REGEX=/x/ END"},
	    {"typeof /x/", "NAME=typeof REGEX=/x/ END"},
	    {"a.return / 2", "NAME=a PUNCT=. NAME=return PUNCT=/ NUMBER=2 END"},
	    {"if (a) /x/.test(b)",
	     "NAME=if PUNCT=( NAME=a PUNCT=) REGEX=/x/ PUNCT=. NAME=test "
	     "PUNCT=( NAME=b PUNCT=) END"},
	    {"f(a) /x/i",
	     "NAME=f PUNCT=( NAME=a PUNCT=) PUNCT=/ NAME=x PUNCT=/ "
	     "NAME=i END"},
	    {"}\n/x/", "PUNCT=} REGEX=/x/ END"},
	    {"{}\n/x/", "PUNCT={ PUNCT=} REGEX=/x/ END"},
	    {"x = {} / 2",
	     "NAME=x PUNCT== PUNCT={ PUNCT=} PUNCT=/ NUMBER=2 END"},
	    {"a++ / 2", "NAME=a PUNCT=++ PUNCT=/ NUMBER=2 END"},
	    {"a /= 2", "NAME=a PUNCT=/= NUMBER=2 END"},
	    {"x = a\n/b/g", "NAME=x PUNCT== NAME=a PUNCT=/ NAME=b PUNCT=/ "
			    "NAME=g END"},
	    {"/'/ + 'a'", "REGEX=/'/ PUNCT=+ STRING='a' END"},
	    {"/open\nx", "ERROR=/open NAME=x END"},
	    {"`${a}` / 2", "TEMPLATE_HEAD=`${ NAME=a TEMPLATE_TAIL=}` PUNCT=/ "
			   "NUMBER=2 END"},
	};

	(void)state;
	RUN(cases, 0);
}

static void test_js__jsx(void **state)
{
	static const struct lex_case on[] = {
	    {"x = <p>Don't {a}</p>;",
	     "NAME=x PUNCT== JSX=<p>Don't { NAME=a JSX=}</p> PUNCT=; END"},
	    {"<a href=\"//x\" b={c}>t</a>",
	     "JSX=<a href=\"//x\" b={ NAME=c JSX=}>t</a> END"},
	    {"f(<X.Y a='}' />) / 2",
	     "NAME=f PUNCT=( JSX=<X.Y a='}' /> PUNCT=) PUNCT=/ NUMBER=2 END"},
	    {"<><b>{`${c}`}</b></>",
	     "JSX=<><b>{ TEMPLATE_HEAD=`${ NAME=c TEMPLATE_TAIL=}` "
	     "JSX=}</b></> END"},
	    {"<p>{/* c */}</p>", "JSX=<p>{ JSX=}</p> END"},
	    {"<p>{<q>{r}</q>}</p>",
	     "JSX=<p>{ JSX=<q>{ NAME=r JSX=}</q> JSX=}</p> END"},
	    /* a comparison, and a generic arrow function of .tsx */
	    {"a < b", "NAME=a PUNCT=< NAME=b END"},
	    {"<T,>(x) => x",
	     "PUNCT=< NAME=T PUNCT=, PUNCT=> PUNCT=( NAME=x PUNCT=) PUNCT==> "
	     "NAME=x END"},
	    {"<p>open", "ERROR=<p>open END"},
	};
	static const struct lex_case off[] = {
	    {"x = <T>y", "NAME=x PUNCT== PUNCT=< NAME=T PUNCT=> NAME=y END"},
	};

	(void)state;
	RUN(on, CG_JS_JSX_ON);
	RUN(off, 0);
}

static void test_js__errors_and_recovery(void **state)
{
	static const struct lex_case cases[] = {
	    {"a \x01 b", "NAME=a ERROR=\x01 NAME=b END"},
	    {"a ) ] } b", "NAME=a PUNCT=) PUNCT=] PUNCT=} NAME=b END"},
	    {"\\x", "ERROR=\\ NAME=x END"},
	    {"", "END"},
	};

	(void)state;
	RUN(cases, 0);
}

/* Hostile nesting ends the reading with an ERROR, never a crash. */
static void test_js__nesting_limits(void **state)
{
	struct cg_js_tokens t;
	struct cg_buf b = CG_BUF_INIT;

	(void)state;
	for (int i = 0; i < CG_JS_MAX_BRACKETS + 10; i++)
		cg_buf_addch(&b, '(');
	assert_int_equal(cg_js_tokenize(&t, b.buf, b.len, 0), 0);
	check_invariants(&t, b.len);
	assert_true(t.stopped);
	assert_int_equal(t.nerrors, 1);
	cg_js_tokens_release(&t);

	cg_buf_reset(&b);
	for (int i = 0; i < CG_JS_MAX_NESTING + 10; i++)
		cg_buf_addstr(&b, "`${");
	assert_int_equal(cg_js_tokenize(&t, b.buf, b.len, 0), 0);
	check_invariants(&t, b.len);
	assert_true(t.stopped);
	cg_js_tokens_release(&t);

	cg_buf_reset(&b);
	for (int i = 0; i < CG_JS_MAX_NESTING + 10; i++)
		cg_buf_addstr(&b, "<a>{");
	assert_int_equal(cg_js_tokenize(&t, b.buf, b.len, CG_JS_JSX_ON), 0);
	check_invariants(&t, b.len);
	assert_true(t.stopped);
	cg_js_tokens_release(&t);
	cg_buf_release(&b);
}

/* Text need not be NUL-terminated: nothing is read past len. */
static void test_js__length_bound(void **state)
{
	static const char text[] = "'abc";
	struct cg_js_tokens t;

	(void)state;
	assert_int_equal(cg_js_tokenize(&t, text, 2, 0), 0);
	check_invariants(&t, 2);
	assert_int_equal(t.toks[0].kind, CG_JS_ERROR);
	assert_int_equal(t.toks[0].end, 2);
	cg_js_tokens_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_js__names_and_puncts),
	    cmocka_unit_test(test_js__comments),
	    cmocka_unit_test(test_js__strings),
	    cmocka_unit_test(test_js__templates),
	    cmocka_unit_test(test_js__regex_or_division),
	    cmocka_unit_test(test_js__jsx),
	    cmocka_unit_test(test_js__errors_and_recovery),
	    cmocka_unit_test(test_js__nesting_limits),
	    cmocka_unit_test(test_js__length_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
