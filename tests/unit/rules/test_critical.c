/* Critical-command matching and the shell failure evaluator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rules/critical.h"
#include "rules/shell_eval.h"

static const char *critical_name(const char *script, struct cg_config *cfg)
{
	static char out[128];
	struct cg_sh_script s;
	struct cg_buf name = CG_BUF_INIT;
	const struct cg_sh_cmd *c;

	assert_int_equal(cg_sh_parse(&s, script, strlen(script), 64), 0);
	c = cg_critical_in_list(s.top, cfg, &name);
	out[0] = '\0';
	if (c)
		snprintf(out, sizeof(out), "%s", name.buf);
	cg_buf_release(&name);
	cg_sh_release(&s);
	return out;
}

static void test_critical__names(void **state)
{
	static const struct {
		const char *script, *name;
	} cases[] = {
	    {"pytest -q", "pytest"},
	    {"python -m pytest tests/", "python -m pytest"},
	    {"python3.12 -u -W error -m pytest", "python3.12 -m pytest"},
	    {"uv run pytest --cov", "pytest"},
	    {"poetry run python -m pytest", "python -m pytest"},
	    {"FOO=1 env BAR=2 timeout 600 pytest", "pytest"},
	    {"coverage run -m pytest", "coverage run -m pytest"},
	    {"coverage run manage.py test", "manage.py test"},
	    {"./manage.py migrate --noinput", "manage.py migrate"},
	    {"python manage.py test app", "manage.py test"},
	    {"make -C backend -j 4 test", "make test"},
	    {"make check", "make check"},
	    {"npm test", "npm test"},
	    {"npm run test:unit", "npm run test:unit"},
	    {"yarn test", "yarn test"},
	    {"go test ./...", "go test"},
	    {"cargo test --all", "cargo test"},
	    {"alembic -c alembic.ini upgrade head", "alembic upgrade"},
	    {"flask db upgrade", "flask db upgrade"},
	    {"npx prisma migrate deploy", "prisma migrate"},
	    {"docker compose exec -T web pytest", "pytest"},
	    {"ciguard check --quick", "ciguard"},
	    {"tox -e py312", "tox"},
	    {"if true; then pytest; fi", "pytest"},
	    /* not critical */
	    {"ruff check .", ""},
	    {"pip install pytest", ""},
	    {"echo pytest", ""},
	    {"python -c 'import pytest'", ""},
	    {"make build", ""},
	    {"npm ci", ""},
	    {"alembic current", ""},
	    {"go build ./...", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *got = critical_name(cases[i].script, NULL);

		if (strcmp(got, cases[i].name))
			fail_msg("'%s': got '%s', want '%s'", cases[i].script,
				 got, cases[i].name);
	}
}

static void test_critical__config_adds_commands(void **state)
{
	struct cg_config cfg;

	cg_config_init(&cfg);
	cg_strlist_add(&cfg.critical_commands, "make integration");
	cg_strlist_add(&cfg.critical_commands, "./scripts/e2e*.sh");
	assert_string_equal(critical_name("make integration -j2", &cfg),
			    "make integration");
	assert_string_equal(critical_name("./scripts/e2e-full.sh", &cfg),
			    "./scripts/e2e*.sh");
	assert_string_equal(critical_name("make integration-docs", &cfg), "");
	cg_config_release(&cfg);
}

static enum cg_outcome after_failure(const char *script, bool errexit)
{
	struct cg_sh_script s;
	struct cg_sim sim;

	assert_int_equal(cg_sh_parse(&s, script, strlen(script), 64), 0);
	assert_true(s.top && s.top->n >= 1);
	sim = cg_sim_failure(&s.top->items[0], 0, errexit);
	cg_sh_release(&s);
	return sim.outcome;
}

static void test_critical__what_follows_a_failure(void **state)
{
	static const struct {
		const char *script;
		enum cg_outcome want;
	} cases[] = {
	    {"pytest || true", CG_OUT_OK},
	    {"pytest || :", CG_OUT_OK},
	    {"pytest || exit 0", CG_OUT_EXIT_OK},
	    {"pytest || echo failed", CG_OUT_OK},
	    {"pytest || printf 'x\\n'", CG_OUT_OK},
	    {"pytest || exit 1", CG_OUT_EXIT_FAIL},
	    {"pytest || exit", CG_OUT_EXIT_FAIL},
	    {"pytest || { echo failed; exit 1; }", CG_OUT_EXIT_FAIL},
	    {"pytest || (echo failed && false)", CG_OUT_FAIL},
	    {"pytest || echo failed && exit 1", CG_OUT_EXIT_FAIL},
	    {"pytest && echo ok", CG_OUT_FAIL},
	    {"pytest || ./report.sh", CG_OUT_UNKNOWN},
	    {"pytest || ! true", CG_OUT_FAIL},
	    {"pytest", CG_OUT_FAIL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum cg_outcome got = after_failure(cases[i].script, true);

		if (got != cases[i].want)
			fail_msg("'%s': got %d, want %d", cases[i].script,
				 (int)got, (int)cases[i].want);
	}
}

static void test_critical__set_options(void **state)
{
	static const struct {
		const char *script;
		bool errexit, pipefail;
	} cases[] = {
	    {"set -e", true, false},
	    {"set +e", false, false},
	    {"set -eo pipefail", true, true},
	    {"set -euxo pipefail", true, true},
	    {"set -o errexit -o pipefail", true, true},
	    {"set +o pipefail", false, false},
	    {"set -x", false, false},
	    {"set -- -e", false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_sh_script s;
		struct cg_shopts st = {0};
		const char *t = cases[i].script;

		assert_int_equal(cg_sh_parse(&s, t, strlen(t), 64), 0);
		assert_true(
		    cg_apply_set(&s.top->items[0].pipes[0].cmds[0], &st));
		if (st.errexit != cases[i].errexit ||
		    st.pipefail != cases[i].pipefail)
			fail_msg("'%s': errexit %d pipefail %d", t, st.errexit,
				 st.pipefail);
		cg_sh_release(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_critical__names),
	    cmocka_unit_test(test_critical__config_adds_commands),
	    cmocka_unit_test(test_critical__what_follows_a_failure),
	    cmocka_unit_test(test_critical__set_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
