/*
 * Unit tests for src/load/python.c. Each case renders its tokens as
 * `KIND@line:col` (plus `=text` for tokens with text, line breaks in it
 * shown as \n) and compares the whole rendering. What Python's tokenize
 * module says for the valid cases is checked by py_tokens.py; the cases
 * here add what it cannot say (errors, recovery, PEP 701 on an older
 * Python, limits).
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

/* Every token inside the text and after the one before it, ENDMARKER
 * last, ERRORTOKENs counted. */
static void check_invariants(const struct cg_py_tokens *t, size_t len)
{
	size_t nerrors = 0;

	assert_true(t->n >= 1);
	assert_int_equal(t->toks[t->n - 1].kind, CG_PY_ENDMARKER);
	for (size_t k = 0; k < t->n; k++) {
		const struct cg_py_token *tok = &t->toks[k];

		assert_true(tok->start <= tok->end && tok->end <= len);
		if (k > 0) {
			const struct cg_py_token *prev = &t->toks[k - 1];

			assert_true(prev->end <= tok->start ||
				    tok->kind == CG_PY_DEDENT ||
				    tok->kind == CG_PY_ENDMARKER);
			assert_true(
			    prev->line < tok->line ||
			    (prev->line == tok->line && prev->col <= tok->col));
		}
		if (tok->kind == CG_PY_ERRORTOKEN) {
			assert_non_null(tok->message);
			nerrors++;
		}
	}
	assert_int_equal(nerrors, t->nerrors);
}

static bool has_text(enum cg_py_tok_kind k)
{
	return k == CG_PY_NAME || k == CG_PY_NUMBER || k == CG_PY_STRING ||
	       k == CG_PY_OP || k == CG_PY_COMMENT || k == CG_PY_ERRORTOKEN;
}

/* The rendering of the tokens of text[0..len); caller frees. */
static char *render(const char *text, size_t len)
{
	struct cg_py_tokens t;
	struct cg_buf b = CG_BUF_INIT;

	assert_int_equal(cg_py_tokenize(&t, text, len), 0);
	check_invariants(&t, len);
	for (size_t k = 0; k < t.n; k++) {
		const struct cg_py_token *tok = &t.toks[k];

		if (k)
			cg_buf_addch(&b, ' ');
		cg_buf_addf(&b, "%s@%u:%u", cg_py_tok_name(tok->kind),
			    tok->line, tok->col);
		if (!has_text(tok->kind))
			continue;
		cg_buf_addch(&b, '=');
		for (uint32_t i = tok->start; i < tok->end; i++) {
			if (text[i] == '\n')
				cg_buf_addstr(&b, "\\n");
			else if (text[i] == '\r')
				cg_buf_addstr(&b, "\\r");
			else if (text[i] == '\0')
				cg_buf_addstr(&b, "\\0");
			else
				cg_buf_addch(&b, text[i]);
		}
	}
	cg_py_tokens_release(&t);
	return cg_buf_detach(&b, NULL);
}

struct tok_case {
	const char *name;
	const char *text;
	const char *want;
};

static void run_cases(const struct tok_case *cases, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char *got = render(cases[k].text, strlen(cases[k].text));

		if (strcmp(got, cases[k].want))
			fail_msg("%s:\n  want %s\n  got  %s", cases[k].name,
				 cases[k].want, got);
		free(got);
	}
}

static void test_python__layout(void **state)
{
	static const struct tok_case cases[] = {
	    {"empty", "", "ENDMARKER@1:1"},
	    {"simple", "x = 1\n",
	     "NAME@1:1=x OP@1:3== NUMBER@1:5=1 NEWLINE@1:6 ENDMARKER@2:1"},
	    {"no final line break", "x",
	     "NAME@1:1=x NEWLINE@1:2 ENDMARKER@2:1"},
	    {"dedent to several levels", "if a:\n  if b:\n    c\nd\n",
	     "NAME@1:1=if NAME@1:4=a OP@1:5=: NEWLINE@1:6 INDENT@2:1 "
	     "NAME@2:3=if NAME@2:6=b OP@2:7=: NEWLINE@2:8 INDENT@3:1 "
	     "NAME@3:5=c NEWLINE@3:6 DEDENT@4:1 DEDENT@4:1 NAME@4:1=d "
	     "NEWLINE@4:2 ENDMARKER@5:1"},
	    {"dedent at end without line break", "if x:\n  y",
	     "NAME@1:1=if NAME@1:4=x OP@1:5=: NEWLINE@1:6 INDENT@2:1 "
	     "NAME@2:3=y NEWLINE@2:4 DEDENT@3:1 ENDMARKER@3:1"},
	    {"blank and comment lines do not indent",
	     "if x:\n\n        # deep\n  y\n# low\n  z\n",
	     "NAME@1:1=if NAME@1:4=x OP@1:5=: NEWLINE@1:6 NL@2:1 "
	     "COMMENT@3:9=# deep NL@3:15 INDENT@4:1 NAME@4:3=y NEWLINE@4:4 "
	     "COMMENT@5:1=# low NL@5:6 NAME@6:3=z NEWLINE@6:4 DEDENT@7:1 "
	     "ENDMARKER@7:1"},
	    {"comments and blank lines in brackets", "f(a,  # one\n\n  b)\n",
	     "NAME@1:1=f OP@1:2=( NAME@1:3=a OP@1:4=, COMMENT@1:7=# one "
	     "NL@1:12 NL@2:1 NAME@3:3=b OP@3:4=) NEWLINE@3:5 ENDMARKER@4:1"},
	    {"backslash continuation", "a = 1 + \\\n    2\nb\n",
	     "NAME@1:1=a OP@1:3== NUMBER@1:5=1 OP@1:7=+ NUMBER@2:5=2 "
	     "NEWLINE@2:6 NAME@3:1=b NEWLINE@3:2 ENDMARKER@4:1"},
	    {"crlf and lone cr", "a\r\nb\rc",
	     "NAME@1:1=a NEWLINE@1:2 NAME@2:1=b NEWLINE@2:2 NAME@3:1=c "
	     "NEWLINE@3:2 ENDMARKER@4:1"},
	    {"bom", "\xef\xbb\xbfx\n", "NAME@1:1=x NEWLINE@1:2 ENDMARKER@2:1"},
	    {"tab to the next multiple of 8", "if x:\n \tA\n        B\n",
	     "NAME@1:1=if NAME@1:4=x OP@1:5=: NEWLINE@1:6 INDENT@2:1 "
	     "NAME@2:3=A NEWLINE@2:4 ERRORTOKEN@3:1=         NAME@3:9=B "
	     "NEWLINE@3:10 DEDENT@4:1 ENDMARKER@4:1"},
	    {"form feed resets the column", "\fif x:\n\f  y\n",
	     "NAME@1:2=if NAME@1:5=x OP@1:6=: NEWLINE@1:7 INDENT@2:1 "
	     "NAME@2:4=y NEWLINE@2:5 DEDENT@3:1 ENDMARKER@3:1"},
	    {"comment last, no line break", "x\n# c",
	     "NAME@1:1=x NEWLINE@1:2 COMMENT@2:1=# c NL@2:4 ENDMARKER@3:1"},
	    {"blank last line", "x\n   ",
	     "NAME@1:1=x NEWLINE@1:2 ENDMARKER@2:1"},
	    {"columns count characters", "s = 'é' + x\n",
	     "NAME@1:1=s OP@1:3== STRING@1:5='é' OP@1:9=+ NAME@1:11=x "
	     "NEWLINE@1:12 ENDMARKER@2:1"},
	    {"decorator, async def, walrus",
	     "@d(1)\nasync def f() -> int:\n  if (n := g()):\n    await n\n",
	     "OP@1:1=@ NAME@1:2=d OP@1:3=( NUMBER@1:4=1 OP@1:5=) NEWLINE@1:6 "
	     "NAME@2:1=async NAME@2:7=def NAME@2:11=f OP@2:12=( OP@2:13=) "
	     "OP@2:15=-> NAME@2:18=int OP@2:21=: NEWLINE@2:22 INDENT@3:1 "
	     "NAME@3:3=if OP@3:6=( NAME@3:7=n OP@3:9=:= NAME@3:12=g "
	     "OP@3:13=( OP@3:14=) OP@3:15=) OP@3:16=: NEWLINE@3:17 "
	     "INDENT@4:1 NAME@4:5=await NAME@4:11=n NEWLINE@4:12 DEDENT@5:1 "
	     "DEDENT@5:1 ENDMARKER@5:1"},
	};

	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_python__operators_and_numbers(void **state)
{
	static const struct tok_case cases[] = {
	    {"longest match", "a**=b//=c>>=d<<=e...f@=g!=h->i:=j**k//l\n",
	     "NAME@1:1=a OP@1:2=**= NAME@1:5=b OP@1:6=//= NAME@1:9=c "
	     "OP@1:10=>>= NAME@1:13=d OP@1:14=<<= NAME@1:17=e OP@1:18=... "
	     "NAME@1:21=f OP@1:22=@= NAME@1:24=g OP@1:25=!= NAME@1:27=h "
	     "OP@1:28=-> NAME@1:30=i OP@1:31=:= NAME@1:33=j OP@1:34=** "
	     "NAME@1:36=k OP@1:37=// NAME@1:39=l NEWLINE@1:40 "
	     "ENDMARKER@2:1"},
	    {"numbers", "1_000.5e-3j 0x_ff 0o17 0b1_0 .5 5. 1E+5 10J 0_0\n",
	     "NUMBER@1:1=1_000.5e-3j NUMBER@1:13=0x_ff NUMBER@1:19=0o17 "
	     "NUMBER@1:24=0b1_0 NUMBER@1:30=.5 NUMBER@1:33=5. "
	     "NUMBER@1:36=1E+5 NUMBER@1:41=10J NUMBER@1:45=0_0 NEWLINE@1:48 "
	     "ENDMARKER@2:1"},
	    {"numbers end where their grammar ends, as in tokenize.py 3.11",
	     "1if x else 1_ 1e\n",
	     "NUMBER@1:1=1 NAME@1:2=if NAME@1:5=x NAME@1:7=else NUMBER@1:12=1 "
	     "NAME@1:13=_ NUMBER@1:15=1 NAME@1:16=e NEWLINE@1:17 "
	     "ENDMARKER@2:1"},
	    {"attribute of a number and of a name", "1 .real x.y\n",
	     "NUMBER@1:1=1 OP@1:3=. NAME@1:4=real NAME@1:9=x OP@1:10=. "
	     "NAME@1:11=y NEWLINE@1:12 ENDMARKER@2:1"},
	};

	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_python__strings(void **state)
{
	static const struct tok_case cases[] = {
	    {"prefixes", "rb'a' Rb\"b\" BR'c' u'd' F'e' fR'f' t'g' ur'h'\n",
	     "STRING@1:1=rb'a' STRING@1:7=Rb\"b\" STRING@1:13=BR'c' "
	     "STRING@1:19=u'd' STRING@1:24=F'e' STRING@1:29=fR'f' "
	     "STRING@1:35=t'g' NAME@1:40=ur STRING@1:42='h' NEWLINE@1:45 "
	     "ENDMARKER@2:1"},
	    {"escaped quotes, raw too", "'a\\'b' r\"\\\"\" '\\\\'\n",
	     "STRING@1:1='a\\'b' STRING@1:8=r\"\\\"\" STRING@1:14='\\\\' "
	     "NEWLINE@1:18 ENDMARKER@2:1"},
	    {"triple quotes over lines",
	     "x = '''a\n'' \"\"\" b\n''' + \"\"\"\"\"\"\n",
	     "NAME@1:1=x OP@1:3== STRING@1:5='''a\\n'' \"\"\" b\\n''' "
	     "OP@3:5=+ STRING@3:7=\"\"\"\"\"\" NEWLINE@3:13 ENDMARKER@4:1"},
	    {"continued single-quoted string", "s = 'a\\\nb'\n",
	     "NAME@1:1=s OP@1:3== STRING@1:5='a\\\\nb' NEWLINE@2:3 "
	     "ENDMARKER@3:1"},
	    {"f-string fields with braces and quotes",
	     "f'{x!r:>{w}} {{lit}} {d[\"k\"]}' f\"{ {'a': 1}['a'] }\"\n",
	     "STRING@1:1=f'{x!r:>{w}} {{lit}} {d[\"k\"]}' "
	     "STRING@1:32=f\"{ {'a': 1}['a'] }\" NEWLINE@1:52 ENDMARKER@2:1"},
	    {"pep 701: a nested string with the same quote",
	     "f\"{ \"}\" }\" + f\"{f\"{1}\"}\"\n",
	     "STRING@1:1=f\"{ \"}\" }\" OP@1:12=+ STRING@1:14=f\"{f\"{1}\"}\" "
	     "NEWLINE@1:25 ENDMARKER@2:1"},
	    {"pep 701: fields over lines, with comments",
	     "f'{\", \".join([\n  'a',  # it's a\n])}'\nx\n",
	     "STRING@1:1=f'{\", \".join([\\n  'a',  # it's a\\n])}' "
	     "NEWLINE@3:5 NAME@4:1=x NEWLINE@4:2 ENDMARKER@5:1"},
	    {"\\N{...} is no field, except in a raw f-string",
	     "f'\\N{BULLET} {x}' rf'\\N{x}'\n",
	     "STRING@1:1=f'\\N{BULLET} {x}' STRING@1:19=rf'\\N{x}' "
	     "NEWLINE@1:28 ENDMARKER@2:1"},
	    {"a backslash before a brace leaves the brace alone",
	     "rf'(\\{{%)({x})' f'\\{x}\\}}'\n",
	     "STRING@1:1=rf'(\\{{%)({x})' STRING@1:17=f'\\{x}\\}}' "
	     "NEWLINE@1:27 ENDMARKER@2:1"},
	    {"triple-quoted f-string", "f'''{x}\n'''\n",
	     "STRING@1:1=f'''{x}\\n''' NEWLINE@2:4 ENDMARKER@3:1"},
	};

	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_python__errors_and_recovery(void **state)
{
	static const struct tok_case cases[] = {
	    {"unterminated string ends at its line", "x = 'abc\ny = 2\n",
	     "NAME@1:1=x OP@1:3== ERRORTOKEN@1:5='abc NEWLINE@1:9 "
	     "NAME@2:1=y OP@2:3== NUMBER@2:5=2 NEWLINE@2:6 ENDMARKER@3:1"},
	    {"unterminated triple-quoted string takes the rest",
	     "x = '''abc\ny = 2\n",
	     "NAME@1:1=x OP@1:3== ERRORTOKEN@1:5='''abc\\ny = 2\\n "
	     "NEWLINE@3:1 ENDMARKER@3:1"},
	    {"unterminated f-string field", "f'{x'\ny\n",
	     "ERRORTOKEN@1:1=f'{x' NEWLINE@1:6 NAME@2:1=y NEWLINE@2:2 "
	     "ENDMARKER@3:1"},
	    {"unmatched and mismatched brackets", "a)\n(b]\n",
	     "NAME@1:1=a ERRORTOKEN@1:2=) NEWLINE@1:3 OP@2:1=( NAME@2:2=b "
	     "ERRORTOKEN@2:3=] NEWLINE@2:4 ENDMARKER@3:1"},
	    {"bracket never closed", "f(\n",
	     "NAME@1:1=f OP@1:2=( NL@1:3 ERRORTOKEN@2:1= NEWLINE@2:1 "
	     "ENDMARKER@2:1"},
	    {"dedent to no level", "if x:\n    a\n  b\n",
	     "NAME@1:1=if NAME@1:4=x OP@1:5=: NEWLINE@1:6 INDENT@2:1 "
	     "NAME@2:5=a NEWLINE@2:6 DEDENT@3:3 ERRORTOKEN@3:3= NAME@3:3=b "
	     "NEWLINE@3:4 ENDMARKER@4:1"},
	    {"characters python has no token for", "a $ ? ! `\n",
	     "NAME@1:1=a ERRORTOKEN@1:3=$ ERRORTOKEN@1:5=? ERRORTOKEN@1:7=! "
	     "ERRORTOKEN@1:9=` NEWLINE@1:10 ENDMARKER@2:1"},
	    {"text after a line continuation", "a \\ b\n",
	     "NAME@1:1=a ERRORTOKEN@1:3=\\ NAME@1:5=b NEWLINE@1:6 "
	     "ENDMARKER@2:1"},
	};

	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_python__nul_bytes_are_data(void **state)
{
	static const char text[] = "x\0y '\0'\n";
	char *got = render(text, sizeof(text) - 1);

	assert_string_equal(got, "NAME@1:1=x ERRORTOKEN@1:2=\\0 NAME@1:3=y "
				 "STRING@1:5='\\0' NEWLINE@1:8 ENDMARKER@2:1");
	free(got);
}

/* A text of `n` copies of `s`, then `tail`. */
static char *repeat(const char *s, size_t n, const char *tail, size_t *len)
{
	struct cg_buf b = CG_BUF_INIT;

	for (size_t k = 0; k < n; k++)
		cg_buf_addstr(&b, s);
	cg_buf_addstr(&b, tail);
	return cg_buf_detach(&b, len);
}

static size_t count_errors(const char *text, size_t len, const char *message)
{
	struct cg_py_tokens t;
	size_t n = 0;

	assert_int_equal(cg_py_tokenize(&t, text, len), 0);
	check_invariants(&t, len);
	for (size_t k = 0; k < t.n; k++)
		if (t.toks[k].kind == CG_PY_ERRORTOKEN &&
		    strstr(t.toks[k].message, message))
			n++;
	cg_py_tokens_release(&t);
	return n;
}

static void test_python__limits(void **state)
{
	struct cg_py_tokens t;
	struct cg_buf b = CG_BUF_INIT;
	size_t len;
	char *text;

	/* brackets: 200 nest, the 201st is an error */
	text = repeat("(", CG_PY_MAX_BRACKETS, "x", &len);
	assert_int_equal(count_errors(text, len, "too many nested"), 0);
	free(text);
	text = repeat("[", CG_PY_MAX_BRACKETS + 5, "x", &len);
	assert_int_equal(count_errors(text, len, "too many nested"), 5);
	free(text);

	/* indentation: 99 levels above the first, then errors */
	for (unsigned k = 0; k < CG_PY_MAX_INDENT + 3; k++) {
		for (unsigned i = 0; i < k; i++)
			cg_buf_addch(&b, ' ');
		cg_buf_addstr(&b, "if x:\n");
	}
	assert_int_equal(count_errors(b.buf, b.len, "levels of indentation"),
			 3);
	cg_buf_release(&b);

	/* f-strings nested deeper than CPython's limit: an error, and the
	 * recursion stays bounded */
	text = repeat("f'{", 1000, "", &len);
	assert_true(count_errors(text, len, "nested f-strings") >= 1);
	free(text);

	/* the token cap: CG_ELIMIT, no ENDMARKER, memory bounded */
	text = repeat(";", CG_PY_MAX_TOKENS + 10, "", &len);
	assert_int_equal(cg_py_tokenize(&t, text, len), CG_ELIMIT);
	assert_int_equal(t.n, CG_PY_MAX_TOKENS);
	assert_int_not_equal(t.toks[t.n - 1].kind, CG_PY_ENDMARKER);
	cg_py_tokens_release(&t);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python__layout),
	    cmocka_unit_test(test_python__operators_and_numbers),
	    cmocka_unit_test(test_python__strings),
	    cmocka_unit_test(test_python__errors_and_recovery),
	    cmocka_unit_test(test_python__nul_bytes_are_data),
	    cmocka_unit_test(test_python__limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
