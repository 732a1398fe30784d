/*
 * The one reader of shell option flags (src/model/shellopts.c), case by
 * case, each case also run under the real bash where bash can run it: the
 * options the reader says the words leave on must be those bash has on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/model.h"

/*
 * want: errexit, pipefail, errtrace, inherit_errexit, each '+' (turned
 * on), '-' (turned off) or '.' (not named). A word with a `$` holds an
 * expansion. oracle: run it under bash (cases bash refuses, or
 * whose words expand, are not run).
 */
static const struct {
	enum cg_flag_syntax syntax;
	const char *words;
	const char *want;
	bool c;
	size_t operand;
	bool unreadable, oracle;
} cases[] = {
    /* a shell's command line */
    {CG_FLAGS_INVOKE, "-e", "+...", false, 1, false, true},
    {CG_FLAGS_INVOKE, "+e", "-...", false, 1, false, true},
    {CG_FLAGS_INVOKE, "-e +e", "-...", false, 2, false, true},
    {CG_FLAGS_INVOKE, "+e -e", "+...", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-eo pipefail", "++..", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-oe pipefail", "++..", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-o pipefail", ".+..", false, 2, false, true},
    {CG_FLAGS_INVOKE, "+o pipefail", ".-..", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-o pipefail +o pipefail", ".-..", false, 4, false, true},
    {CG_FLAGS_INVOKE, "-e +o pipefail {0}", "+-..", false, 3, false, true},
    {CG_FLAGS_INVOKE, "-euxo pipefail", "++..", false, 2, false, true},
    {CG_FLAGS_INVOKE, "--noprofile --norc -eo pipefail {0}", "++..", false, 4,
     false, true},
    {CG_FLAGS_INVOKE, "-o errexit", "+...", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-oo pipefail errexit", "++..", false, 3, false, true},
    {CG_FLAGS_INVOKE, "-E", "..+.", false, 1, false, true},
    {CG_FLAGS_INVOKE, "-eO inherit_errexit -o pipefail -c x", "++.+", true, 5,
     false, true},
    {CG_FLAGS_INVOKE, "-O extglob -c x", "....", true, 3, false, true},
    /* -c ends nothing: the script is the first operand */
    {CG_FLAGS_INVOKE, "-ec x", "+...", true, 1, false, true},
    {CG_FLAGS_INVOKE, "-ce x", "+...", true, 1, false, true},
    {CG_FLAGS_INVOKE, "-c -e x", "+...", true, 2, false, true},
    {CG_FLAGS_INVOKE, "+c x", "....", true, 1, false, true},
    {CG_FLAGS_INVOKE, "-lc x", "....", true, 1, false, true},
    {CG_FLAGS_INVOKE, "-e -c x -o pipefail", "+...", true, 2, false, true},
    {CG_FLAGS_INVOKE, "-c -- x", "....", true, 2, false, true},
    {CG_FLAGS_INVOKE, "--rcfile /dev/null -ec x", "+...", true, 3, false, true},
    {CG_FLAGS_INVOKE, "+ -e -c x", "+...", true, 3, false, true},
    {CG_FLAGS_INVOKE, "-e -- {0}", "+...", false, 2, false, true},
    {CG_FLAGS_INVOKE, "-x {0}", "....", false, 1, false, true},
    {CG_FLAGS_INVOKE, "{0} -e", "....", false, 0, false, true},
    {CG_FLAGS_INVOKE, "- -e", "....", false, 1, false, false},
    /* bash takes "-c" as the option name (and refuses it) */
    {CG_FLAGS_INVOKE, "-o -c x", "....", false, 2, false, false},
    /* an expansion is an operand unless it starts as a flag */
    {CG_FLAGS_INVOKE, "-e $FLAGS -c x", "+...", false, 1, false, false},
    {CG_FLAGS_INVOKE, "-e -$X -c x", "+...", false, 1, true, false},
    {CG_FLAGS_INVOKE, "-o $OPT -c x", "....", false, 1, true, false},
    {CG_FLAGS_INVOKE, "-c $cmd", "....", true, 1, false, false},
    /* the set builtin */
    {CG_FLAGS_SET, "-e", "+...", false, 1, false, true},
    {CG_FLAGS_SET, "+e", "-...", false, 1, false, true},
    {CG_FLAGS_SET, "-euo pipefail", "++..", false, 2, false, true},
    {CG_FLAGS_SET, "-euxo pipefail", "++..", false, 2, false, true},
    {CG_FLAGS_SET, "-o errexit", "+...", false, 2, false, true},
    {CG_FLAGS_SET, "+o errexit -e", "+...", false, 3, false, true},
    {CG_FLAGS_SET, "-eo pipefail +e", "-+..", false, 3, false, true},
    {CG_FLAGS_SET, "+eo pipefail", "--..", false, 2, false, true},
    {CG_FLAGS_SET, "-o pipefail -e", "++..", false, 3, false, true},
    {CG_FLAGS_SET, "-oo pipefail errexit", "++..", false, 3, false, true},
    {CG_FLAGS_SET, "-o -e", "+...", false, 2, false, true},
    {CG_FLAGS_SET, "-e -- +e", "+...", false, 2, false, true},
    {CG_FLAGS_SET, "-e foo +e", "+...", false, 1, false, true},
    {CG_FLAGS_SET, "- -e", "....", false, 1, false, true},
    {CG_FLAGS_SET, "+ -e", "+...", false, 2, false, true},
    {CG_FLAGS_SET, "-E", "..+.", false, 1, false, true},
    {CG_FLAGS_SET, "+o errtrace", "..-.", false, 2, false, true},
    {CG_FLAGS_SET, "-e $x", "+...", false, 1, false, false},
    {CG_FLAGS_SET, "-$x -e", "....", false, 0, true, false},
    /* the shopt builtin */
    {CG_FLAGS_SHOPT, "-s inherit_errexit", "...+", false, 1, false, true},
    {CG_FLAGS_SHOPT, "-u inherit_errexit", "...-", false, 1, false, true},
    {CG_FLAGS_SHOPT, "inherit_errexit", "....", false, 0, false, true},
    {CG_FLAGS_SHOPT, "-so pipefail errexit", "++..", false, 1, false, true},
    {CG_FLAGS_SHOPT, "-o -s pipefail", ".+..", false, 2, false, true},
    {CG_FLAGS_SHOPT, "-u -o errexit", "-...", false, 2, false, true},
    {CG_FLAGS_SHOPT, "-o errexit", "....", false, 1, false, true},
    {CG_FLAGS_SHOPT, "-s -u inherit_errexit", "....", false, 2, false, true},
    {CG_FLAGS_SHOPT, "-s inherit_errexit -o pipefail", "...+", false, 1, false,
     true},
};

#define MAX_WORDS 16

/* Split on spaces; a word with a `$` expands. */
static size_t split(char *text, const char **words, bool *expands)
{
	size_t n = 0;

	for (char *w = strtok(text, " "); w; w = strtok(NULL, " ")) {
		assert_true(n < MAX_WORDS);
		expands[n] = strchr(w, '$') != NULL;
		words[n++] = w;
	}
	return n;
}

static char state_char(enum cg_opt o)
{
	return o == CG_OPT_ON ? '+' : o == CG_OPT_OFF ? '-' : '.';
}

static void test_shellopts__table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = strdup(cases[i].words);
		const char *words[MAX_WORDS];
		bool expands[MAX_WORDS];
		size_t n = split(text, words, expands);
		struct cg_shell_flags fl;
		char got[5];

		cg_shell_flags_read(&fl, cases[i].syntax, words, expands, n);
		got[0] = state_char(fl.errexit);
		got[1] = state_char(fl.pipefail);
		got[2] = state_char(fl.errtrace);
		got[3] = state_char(fl.inherit_errexit);
		got[4] = '\0';
		if (strcmp(got, cases[i].want) || fl.c != cases[i].c ||
		    fl.operand != cases[i].operand ||
		    fl.unreadable != cases[i].unreadable)
			fail_msg("%d '%s': got %s c=%d operand=%zu "
				 "unreadable=%d, want %s c=%d operand=%zu "
				 "unreadable=%d",
				 cases[i].syntax, cases[i].words, got, fl.c,
				 fl.operand, fl.unreadable, cases[i].want,
				 cases[i].c, cases[i].operand,
				 cases[i].unreadable);
		free(text);
	}
}

/* Prints errexit, pipefail, errtrace, inherit_errexit as + or -. */
#define REPORT                                                                 \
	"r=; for o in errexit pipefail errtrace; do if [[ -o $o ]]; then "     \
	"r+=+; else r+=-; fi; done; if shopt -q inherit_errexit; then "        \
	"r+=+; else r+=-; fi; echo \"$r\""

/* What bash prints for REPORT after the case's words; "" when it fails */
static void run_bash(const char *cmd, char out[8])
{
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	out[0] = '\0';
	if (!fgets(out, 8, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void oracle_case(size_t i, const char *file)
{
	char *text = strdup(cases[i].words);
	const char *words[MAX_WORDS];
	bool expands[MAX_WORDS];
	size_t n = split(text, words, expands);
	char *cmd = NULL, got[8], want[5];
	size_t len = 0;
	FILE *m = open_memstream(&cmd, &len);

	assert_non_null(m);
	if (cases[i].syntax == CG_FLAGS_INVOKE) {
		/* the options bash starts with are all off */
		fputs("bash", m);
		for (size_t k = 0; k < n; k++)
			if (k != cases[i].operand)
				fprintf(m, " '%s'", words[k]);
			else if (cases[i].c)
				fputs(" '" REPORT "'", m);
			else
				fprintf(m, " '%s'", file);
		if (cases[i].operand == n)
			fputs(" -c '" REPORT "'", m);
		for (int k = 0; k < 4; k++)
			want[k] = cases[i].want[k] == '+' ? '+' : '-';
	} else {
		/* start with all four on, so that off and not named differ */
		fputs(
		    "bash -c 'set -eE -o pipefail; shopt -s inherit_errexit; ",
		    m);
		fputs(cases[i].syntax == CG_FLAGS_SET ? "set" : "shopt", m);
		for (size_t k = 0; k < n; k++)
			fprintf(m, " %s", words[k]);
		fputs(" >/dev/null 2>&1 || true; " REPORT "'", m);
		for (int k = 0; k < 4; k++)
			want[k] = cases[i].want[k] == '-' ? '-' : '+';
	}
	want[4] = '\0';
	fputs(" 2>/dev/null", m);
	fclose(m);
	run_bash(cmd, got);
	if (strcmp(got, want))
		fail_msg("bash says '%s' for %d '%s' (%s), the table '%s'", got,
			 cases[i].syntax, cases[i].words, cmd, want);
	free(cmd);
	free(text);
}

/* The table is bash's: each case that bash can run leaves on (and off)
 * the options the table says. */
static void test_shellopts__table_is_bash(void **state)
{
	char file[] = "/tmp/ciguard-shellopts-XXXXXX";
	int fd = mkstemp(file);
	FILE *f;

	if (system("command -v bash >/dev/null"))
		skip(); /* no bash here */
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(REPORT "\n", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (cases[i].oracle)
			oracle_case(i, file);
	unlink(file);
}

/* A shell name is read from its last path component; sh and dash are
 * dash. */
static void test_shellopts__posix_shell_names(void **state)
{
	static const struct {
		const char *word;
		bool posix, dash;
	} names[] = {
	    {"bash", true, false},	 {"/bin/bash", true, false},
	    {"/usr/bin/sh", true, true}, {"dash", true, true},
	    {"zsh", true, false},	 {"ksh", true, false},
	    {"ash", true, false},	 {"pwsh", false, false},
	    {"python", false, false},	 {"bash/", false, false},
	    {"fish", false, false},	 {"", false, false},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		bool dash = true;

		if (cg_posix_shell_name(names[i].word, &dash) !=
			names[i].posix ||
		    dash != names[i].dash)
			fail_msg("'%s'", names[i].word);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shellopts__table),
	    cmocka_unit_test(test_shellopts__table_is_bash),
	    cmocka_unit_test(test_shellopts__posix_shell_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
