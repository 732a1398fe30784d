/*
 * cg_check (ciguard/check.h) as a library user calls it, through the public
 * header only: findings and counts, the filter stage (inline suppressions,
 * unused-suppression, the baseline, fail_on), notes, and the errors that
 * stop a check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ciguard/check.h"

#define WORKFLOW_HEAD                                                          \
	"on: push\n"                                                           \
	"jobs:\n"                                                              \
	"  t:\n"                                                               \
	"    runs-on: ubuntu-latest\n"                                         \
	"    steps:\n"

struct repo {
	char root[64];
	char path[256];
};

/* Write `text` to ROOT/rel (its folders made as needed). */
static void put(struct repo *r, const char *rel, const char *text)
{
	FILE *f;
	char *slash;

	snprintf(r->path, sizeof(r->path), "%s/%s", r->root, rel);
	for (slash = strchr(r->path + strlen(r->root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(r->path, 0755);
		*slash = '/';
	}
	f = fopen(r->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct repo *r = calloc(1, sizeof(*r));

	snprintf(r->root, sizeof(r->root), "/tmp/ciguard-check-XXXXXX");
	if (!mkdtemp(r->root))
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct repo *r = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->root);
	if (system(cmd) != 0)
		return -1;
	free(r);
	return 0;
}

static struct cg_check_result *check(struct repo *r, struct cg_check_opts *o)
{
	struct cg_check_result *res = (struct cg_check_result *)1;

	o->root = r->root;
	if (cg_check(&res, o) < 0)
		fail_msg("cg_check: %s", cg_check_last_error());
	assert_non_null(res);
	return res;
}

/* The one finding of `rule` (fails the test when it is not exactly one). */
static const struct cg_diag *only(const struct cg_check_result *res,
				  const char *rule)
{
	size_t n, hits = 0;
	const struct cg_diag *d = cg_check_result_findings(res, &n),
			     *hit = NULL;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i].rule, rule)) {
			hit = &d[i];
			hits++;
		}
	assert_int_equal(hits, 1);
	return hit;
}

static void test_check__finding_counts_and_fails(void **state)
{
	struct repo *r = *state;
	struct cg_check_opts o = {0};
	struct cg_check_result *res;
	const struct cg_check_summary *s;
	const struct cg_diag *d;

	put(r, ".github/workflows/ci.yml",
	    WORKFLOW_HEAD "      - run: pytest -q || true\n");
	res = check(r, &o);
	s = cg_check_result_summary(res);
	assert_int_equal(s->files, 1);
	assert_int_equal(s->errors, 1);
	assert_int_equal(s->warnings + s->notes + s->suppressed + s->baselined,
			 0);
	assert_true(s->failed);
	d = only(res, "masked-failure");
	assert_string_equal(d->path, ".github/workflows/ci.yml");
	assert_int_equal(d->pos.line, 6);
	assert_int_equal(d->pos.col, 24);
	assert_int_equal(d->severity, CG_SEV_ERROR);
	assert_int_equal(strspn(d->fingerprint, "0123456789abcdef"), 16);
	assert_int_equal(d->suppressed, 0);
	cg_check_result_free(res);

	/* only another rule: nothing found, nothing fails */
	{
		const char *ids[] = {"pipe-masks-failure"};

		o.rules = ids;
		o.nrules = 1;
		res = check(r, &o);
		s = cg_check_result_summary(res);
		assert_int_equal(s->errors, 0);
		assert_false(s->failed);
		cg_check_result_free(res);
	}
}

static void test_check__fail_on_follows_config_severity(void **state)
{
	struct repo *r = *state;
	static const struct {
		enum cg_severity fail_on;
		bool failed;
	} cases[] = {
	    {CG_SEV_OFF, false}, /* the default: error */
	    {CG_SEV_ERROR, false},
	    {CG_SEV_WARNING, true},
	    {CG_SEV_NOTE, true},
	};

	put(r, ".github/workflows/ci.yml",
	    WORKFLOW_HEAD "      - run: pytest -q || true\n");
	put(r, ".ciguard.yml",
	    "version: 1\nrules:\n  masked-failure: warning\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_check_opts o = {.fail_on = cases[i].fail_on};
		struct cg_check_result *res = check(r, &o);
		const struct cg_check_summary *s = cg_check_result_summary(res);

		assert_int_equal(s->errors, 0);
		assert_int_equal(s->warnings, 1);
		assert_int_equal(s->failed, cases[i].failed);
		cg_check_result_free(res);
	}
}

static void test_check__inline_suppression_and_unused(void **state)
{
	struct repo *r = *state;
	struct cg_check_opts o = {0};
	struct cg_check_result *res;
	const struct cg_check_summary *s;
	const struct cg_diag *d;

	put(r, ".github/workflows/ci.yml",
	    WORKFLOW_HEAD
	    "      - run: pytest -q || true  # ciguard: ignore[masked-failure] "
	    "flaky\n"
	    "      # ciguard: ignore[masked-failure] nothing here\n"
	    "      - run: pytest -q\n");
	res = check(r, &o);
	s = cg_check_result_summary(res);
	/* the masked pytest is hidden, still listed, and counted */
	d = only(res, "masked-failure");
	assert_int_equal(d->suppressed, 1);
	assert_int_equal(s->suppressed, 1);
	assert_int_equal(s->errors, 0);
	/* the second comment covers a clean line */
	d = only(res, "unused-suppression");
	assert_int_equal(d->pos.line, 7);
	assert_int_equal(d->severity, CG_SEV_NOTE);
	assert_int_equal(d->suppressed, 0);
	assert_int_equal(s->notes, 1);
	assert_false(s->failed);
	cg_check_result_free(res);

	o.fail_on = CG_SEV_NOTE;
	res = check(r, &o);
	assert_true(cg_check_result_summary(res)->failed);
	cg_check_result_free(res);

	/* the quick layer does not judge suppressions */
	o.quick = true;
	res = check(r, &o);
	s = cg_check_result_summary(res);
	assert_int_equal(s->notes, 0);
	assert_int_equal(s->suppressed, 1);
	assert_false(s->failed);
	cg_check_result_free(res);
}

static void test_check__baseline_round_trip(void **state)
{
	struct repo *r = *state;
	struct cg_check_opts o = {0};
	struct cg_check_result *res;
	const struct cg_check_summary *s;
	char base[96];
	size_t n = 99;

	snprintf(base, sizeof(base), "%s.baseline.json", r->root);
	put(r, ".github/workflows/ci.yml",
	    WORKFLOW_HEAD "      - run: pytest -q || true\n");
	res = check(r, &o);
	assert_int_equal(cg_check_write_baseline(res, base, &n), 0);
	assert_int_equal(n, 1);
	cg_check_result_free(res);

	/* recorded: hidden, counted as baselined, no failure; a line added
	 * above does not change its fingerprint */
	put(r, ".github/workflows/ci.yml",
	    "# a comment line\n" WORKFLOW_HEAD
	    "      - run: pytest -q || true\n");
	o.baseline = base;
	res = check(r, &o);
	s = cg_check_result_summary(res);
	assert_int_equal(s->baselined, 1);
	assert_int_equal(s->suppressed, 0);
	assert_int_equal(s->errors, 0);
	assert_false(s->failed);
	assert_int_equal(only(res, "masked-failure")->suppressed, 2);
	/* written again, the baseline holds only what is shown: nothing */
	assert_int_equal(cg_check_write_baseline(res, base, &n), 0);
	assert_int_equal(n, 0);
	cg_check_result_free(res);
	res = check(r, &o);
	assert_true(cg_check_result_summary(res)->failed);
	cg_check_result_free(res);
	unlink(base);
}

static void test_check__errors_stop_the_check(void **state)
{
	struct repo *r = *state;
	char missing[96], bad[96];
	const char *no_such_rule[] = {"no-such-rule"};
	static const struct {
		const char *config_text; /* .ciguard.yml, or NULL */
		int which;		 /* 0 root, 1 baseline, 2 --rule */
		const char *message;
	} cases[] = {
	    {NULL, 0, "cannot read '"},
	    {NULL, 1, ": not a ciguard baseline (no \"findings\" list)"},
	    {NULL, 2, "no rule 'no-such-rule'"},
	    {"version: 1\nrules:\n  masked-failur: warning\n", -1,
	     ".ciguard.yml:3:3: unknown rule 'masked-failur' in 'rules'"},
	};

	snprintf(missing, sizeof(missing), "%s/missing", r->root);
	snprintf(bad, sizeof(bad), "%s.bad.json", r->root);
	put(r, ".github/workflows/ci.yml",
	    WORKFLOW_HEAD "      - run: pytest -q\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_check_opts o = {.root = r->root};
		struct cg_check_result *res = (struct cg_check_result *)1;
		FILE *f;

		if (cases[i].config_text)
			put(r, ".ciguard.yml", cases[i].config_text);
		if (cases[i].which == 0)
			o.root = missing;
		if (cases[i].which == 1) {
			assert_non_null(f = fopen(bad, "w"));
			fputs("{\"nope\": 1}\n", f);
			fclose(f);
			o.baseline = bad;
		}
		if (cases[i].which == 2) {
			o.rules = no_such_rule;
			o.nrules = 1;
		}
		assert_true(cg_check(&res, &o) < 0);
		assert_null(res);
		assert_non_null(
		    strstr(cg_check_last_error(), cases[i].message));
		cg_check_result_free(res);
	}
	unlink(bad);
}

static void test_check__notes_name_skipped_files(void **state)
{
	struct repo *r = *state;
	struct cg_check_opts o = {0};
	struct cg_check_result *res;
	const char *const *notes;
	size_t n;
	bool named = false;

	put(r, ".github/workflows/ci.yml", "on: push\njobs: [\n");
	res = check(r, &o);
	notes = cg_check_result_notes(res, &n);
	for (size_t i = 0; i < n; i++)
		named = named || strstr(notes[i], ".github/workflows/ci.yml");
	assert_true(named);
	assert_false(cg_check_result_summary(res)->failed);
	cg_check_result_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_check__finding_counts_and_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_check__fail_on_follows_config_severity, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_check__inline_suppression_and_unused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check__baseline_round_trip,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check__errors_stop_the_check,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_check__notes_name_skipped_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
