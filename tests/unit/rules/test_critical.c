/* Critical-command matching and the shell failure evaluator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rules/critical.h"

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
	    {"yarn workspace @app/api test --ci", "yarn test"},
	    {"yarn --cwd web run test:unit", "yarn run test:unit"},
	    {"pnpm --filter api run-script test", "pnpm run-script test"},
	    {"npm run-script test", "npm run-script test"},
	    {"go test ./...", "go test"},
	    {"cargo test --all", "cargo test"},
	    {"alembic -c alembic.ini upgrade head", "alembic upgrade"},
	    {"flask db upgrade", "flask db upgrade"},
	    {"npx prisma migrate deploy", "prisma migrate"},
	    {"docker compose exec -T web pytest", "pytest"},
	    {"ciguard check --quick", "ciguard"},
	    {"tox -e py312", "tox"},
	    {"if true; then pytest; fi", "pytest"},
	    {"docker compose -f docker-compose.test.yml run --rm app pytest",
	     "pytest"},
	    {"docker compose --project-name ci -f a.yml exec -T web tox",
	     "tox"},
	    {"docker-compose -f x.yml run --rm -e CI=1 app python -m pytest",
	     "python -m pytest"},
	    {"docker run --rm -v $PWD:/src -w /src IMAGE pytest -q", "pytest"},
	    {"docker exec -i app pytest", "pytest"},
	    {"find tests -name '*.py' | xargs -n 1 pytest", "pytest"},
	    {"command pytest", "pytest"},
	    {"find tests -name 'test_*.py' -exec pytest {} +", "pytest"},
	    {"kubectl exec -n ci deploy/api -c app -- python -m pytest",
	     "python -m pytest"},
	    /* wrappers whose options take an argument, or none */
	    {"sudo -u app -E pytest", "pytest"},
	    {"sudo PYTHONPATH=. pytest", "pytest"},
	    {"setsid -f pytest", "pytest"},
	    {"nice -n 10 ionice -c 3 pytest", "pytest"},
	    {"/usr/bin/time -o t.txt pytest", "pytest"},
	    {"xvfb-run -a pytest", "pytest"},
	    {"xvfb-run -s '-screen 0 1280x1024x24' pytest", "pytest"},
	    {"env --unset HOME -C backend pytest", "pytest"},
	    {"uv run --with pytest-xdist --python 3.12 pytest", "pytest"},
	    {"npx -y -p prisma prisma migrate deploy", "prisma migrate"},
	    /* not critical */
	    {"docker run -d --name db IMAGE pytest", ""},
	    {"docker compose up -d", ""},
	    {"command -v pytest", ""},
	    {"find . -name '*.pyc' -delete", ""},
	    {"pytest --version", ""},
	    {"python -m pytest --collect-only -q", ""},
	    {"tox --help", ""},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_critical__names),
	    cmocka_unit_test(test_critical__config_adds_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
