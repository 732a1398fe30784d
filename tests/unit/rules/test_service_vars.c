/* What the service rules share: names, values read as endpoints, reaching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/service_vars.h"

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

static const struct cg_mem_file workflow[] = {
    MEM(".github/workflows/ci.yml",
	"on: push\n"
	"env:\n"
	"  BASE: redis://localhost:6380\n"
	"jobs:\n"
	"  runner:\n"
	"    runs-on: ubuntu-latest\n"
	"    services:\n"
	"      redis:\n"
	"        image: redis:7\n"
	"        ports: ['6380:6379']\n"
	"      pg:\n"
	"        image: postgres:16\n"
	"        ports: [5432]\n"
	"      mock:\n"
	"        image: wiremock/wiremock:3\n"
	"    env:\n"
	"      DATABASE_URL: ${{ secrets.DB }}\n"
	"    steps:\n"
	"      - run: pip install -r requirements.txt\n"
	"      - run: pytest\n"
	"        env:\n"
	"          DATABASE_URL: postgresql://ci:ci@localhost/ci\n"
	"  boxed:\n"
	"    runs-on: ubuntu-latest\n"
	"    container: python:3.12\n"
	"    services:\n"
	"      cache:\n"
	"        image: valkey/valkey:8\n"
	"        ports: ['6380:6379']\n"
	"    steps:\n"
	"      - run: pytest\n"),
    MEM(".gitlab-ci.yml", "variables:\n"
			  "  HOST: db\n"
			  "test:\n"
			  "  services:\n"
			  "    - name: postgres:16\n"
			  "      alias: db\n"
			  "    - bitnami/redis:7\n"
			  "  variables:\n"
			  "    DATABASE_URL: postgresql://ci@$HOST:5432/ci\n"
			  "    PROD: $PROD_DATABASE_URL\n"
			  "  script:\n"
			  "    - pytest\n"),
};

struct fixture {
	struct cg_model m;
	struct cg_config config;
	size_t runner, boxed, gitlab; /* group indices */
};

static size_t group(const struct cg_model *m, const char *name)
{
	for (size_t i = 0; i < m->facts.ngroups; i++)
		if (!strcmp(m->facts.groups[i].name, name))
			return i;
	fail_msg("no group %s", name);
	return 0;
}

static size_t service(const struct cg_model *m, const char *name)
{
	for (size_t i = 0; i < m->facts.nservices; i++)
		if (!strcmp(m->facts.services[i].name, name))
			return i;
	fail_msg("no service %s", name);
	return 0;
}

static int setup(void **state)
{
	static struct fixture f;
	struct cg_model_options o = {0};
	struct cg_config_service *svc;

	memset(&f, 0, sizeof(f));
	cg_config_init(&f.config);
	f.config.services = cg_xcalloc(1, sizeof(*f.config.services));
	f.config.nservices = 1;
	svc = &f.config.services[0];
	svc->kind = cg_xstrdup("wiremock");
	cg_strlist_add(&svc->vars, "PAYMENTS_API_URL");
	cg_strlist_add(&svc->vars, "PAYMENTS_API_HOST");
	o.root = "mem";
	o.layer = CG_LAYER_QUICK;
	o.config = &f.config;
	o.mem_files = workflow;
	o.nmem_files = sizeof(workflow) / sizeof(*workflow);
	assert_int_equal(cg_model_build(&f.m, &o), 0);
	f.runner = group(&f.m, "runner");
	f.boxed = group(&f.m, "boxed");
	f.gitlab = group(&f.m, "test");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cg_model_release(&f->m);
	cg_config_release(&f->config);
	return 0;
}

static void read_ep(struct fixture *f, size_t gi, const char *value,
		    struct cg_svc_endpoint *ep)
{
	const struct cg_script_group *g = &f->m.facts.groups[gi];

	if (!cg_svc_endpoint_read(&f->m, g, g->items[0].scope, value, false,
				  ep))
		fail_msg("'%s' not read", value);
}

static void test_service_vars__urls(void **state)
{
	struct fixture *f = *state;
	struct cg_svc_endpoint ep;
	const struct cg_script_group *g = &f->m.facts.groups[f->runner];

	/* user:pass@, a port */
	read_ep(f, f->runner, "redis://u:p%40ss@cache.example:6390/2", &ep);
	assert_string_equal(ep.scheme, "redis");
	assert_int_equal(ep.scheme_kind, CG_SERVICE_REDIS);
	assert_string_equal(ep.host, "cache.example");
	assert_int_equal(ep.port, 6390);
	assert_false(ep.port_implied);
	assert_string_equal(ep.text + ep.host_start, "cache.example:6390/2");
	assert_int_equal(ep.port_end - ep.host_start, 18);
	cg_svc_endpoint_release(&ep);
	/* no port: the scheme's default; a driver suffix */
	read_ep(f, f->runner, "postgresql+psycopg://ci@localhost/ci", &ep);
	assert_int_equal(ep.scheme_kind, CG_SERVICE_POSTGRES);
	assert_int_equal(ep.port, 5432);
	assert_true(ep.port_implied);
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->runner, "https://api.example.com", &ep);
	assert_true(ep.http);
	assert_int_equal(ep.port, 443);
	cg_svc_endpoint_release(&ep);
	/* IPv6 in brackets, and bare */
	read_ep(f, f->runner, "redis://[::1]:6380", &ep);
	assert_string_equal(ep.host, "::1");
	assert_int_equal(ep.port, 6380);
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->runner, "::1", &ep);
	assert_string_equal(ep.host, "::1");
	assert_int_equal(ep.port, 0);
	cg_svc_endpoint_release(&ep);
	/* host:port without a scheme */
	read_ep(f, f->runner, "localhost:6380", &ep);
	assert_string_equal(ep.host, "localhost");
	assert_int_equal(ep.port, 6380);
	assert_false(ep.network && ep.scheme[0]);
	cg_svc_endpoint_release(&ep);
	/* not endpoints */
	assert_false(cg_svc_endpoint_read(&f->m, g, g->items[0].scope,
					  "--verbose --log-level=debug", false,
					  &ep));
	read_ep(f, f->runner, "sqlite:///tmp/db.sqlite3", &ep);
	assert_false(ep.network);
	cg_svc_endpoint_release(&ep);
}

static void test_service_vars__expressions(void **state)
{
	struct fixture *f = *state;
	struct cg_svc_endpoint ep;

	/* a whole secret: nothing readable, and it is a secret */
	read_ep(f, f->runner, "${{ secrets.REDIS_URL }}", &ep);
	assert_null(ep.host);
	assert_true(ep.from_secret);
	cg_svc_endpoint_release(&ep);
	/* a secret password: the host and port are still read */
	read_ep(f, f->runner,
		"postgresql://ci:${{ secrets.PW }}@localhost:5432/ci", &ep);
	assert_string_equal(ep.host, "localhost");
	assert_int_equal(ep.port, 5432);
	assert_false(ep.from_secret);
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->runner, "redis://${{ vars.REDIS_HOST }}:6379", &ep);
	assert_null(ep.host);
	assert_true(ep.from_secret);
	cg_svc_endpoint_release(&ep);
	/* env.X is read through; a matrix value is not */
	read_ep(f, f->runner, "${{ env.BASE }}/1", &ep);
	assert_string_equal(ep.host, "localhost");
	assert_int_equal(ep.port, 6380);
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->runner, "redis://${{ matrix.host }}:6379", &ep);
	assert_null(ep.host);
	assert_false(ep.from_secret);
	assert_int_equal(ep.port, 6379);
	cg_svc_endpoint_release(&ep);
	/* the port GitHub published for a bare container port */
	read_ep(f, f->runner,
		"postgresql://ci@localhost:${{ job.services.pg.ports[5432] "
		"}}/ci",
		&ep);
	assert_int_equal(ep.port_service, service(&f->m, "pg"));
	assert_int_equal(ep.port, 0);
	cg_svc_endpoint_release(&ep);
	/* ... and one it published on a fixed port is that port */
	read_ep(f, f->runner,
		"redis://localhost:${{ job.services.redis.ports['6379'] }}",
		&ep);
	assert_int_equal(ep.port, 6380);
	cg_svc_endpoint_release(&ep);
	/* a GitHub env value keeps `$X` as written */
	read_ep(f, f->runner, "redis://$HOST:6379", &ep);
	assert_null(ep.host);
	cg_svc_endpoint_release(&ep);
	/* GitLab expands `$X`; an undefined one is a CI/CD setting */
	read_ep(f, f->gitlab, "postgresql://ci@$HOST:5432/ci", &ep);
	assert_string_equal(ep.host, "db");
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->gitlab, "$PROD_DATABASE_URL", &ep);
	assert_true(ep.from_secret);
	cg_svc_endpoint_release(&ep);
	read_ep(f, f->gitlab, "redis://$CI_SERVICE_HOST:6379", &ep);
	assert_false(ep.from_secret);
	cg_svc_endpoint_release(&ep);
}

static void test_service_vars__names(void **state)
{
	struct fixture *f = *state;
	const struct cg_model *m = &f->m;
	struct cg_buf b = CG_BUF_INIT;
	bool needs;

	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_REDIS, "REDIS_URL",
					 CG_SVC_NAMES_APP, &needs),
			 CG_SVC_URL);
	assert_false(needs);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_REDIS, "CACHE_URL",
					 CG_SVC_NAMES_ALL, &needs),
			 CG_SVC_URL);
	assert_true(needs);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_POSTGRES, "PGPORT",
					 CG_SVC_NAMES_ALL, NULL),
			 CG_SVC_PORT);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_POSTGRES, "REDIS_URL",
					 CG_SVC_NAMES_ALL, NULL),
			 CG_SVC_NONE);
	/* the configuration's names replace the built-in ones for what
	 * the code reads, and add to them otherwise */
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_WIREMOCK,
					 "PAYMENTS_API_URL", CG_SVC_NAMES_APP,
					 NULL),
			 CG_SVC_URL);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_WIREMOCK,
					 "PAYMENTS_API_HOST", CG_SVC_NAMES_APP,
					 NULL),
			 CG_SVC_HOST);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_WIREMOCK, "WIREMOCK_URL",
					 CG_SVC_NAMES_APP, NULL),
			 CG_SVC_NONE);
	assert_int_equal(cg_svc_var_role(m, CG_SERVICE_WIREMOCK, "WIREMOCK_URL",
					 CG_SVC_NAMES_ALL, NULL),
			 CG_SVC_URL);
	cg_svc_names_text(m, CG_SERVICE_WIREMOCK, CG_SVC_NAMES_APP, &b);
	assert_string_equal(b.buf, "`PAYMENTS_API_URL`, `PAYMENTS_API_HOST`");
	cg_buf_reset(&b);
	assert_true(cg_svc_port_partner("PGHOST", &b));
	assert_string_equal(b.buf, "PGPORT");
	cg_buf_reset(&b);
	assert_true(cg_svc_port_partner("REDIS_HOST", &b));
	assert_string_equal(b.buf, "REDIS_PORT");
	cg_buf_reset(&b);
	assert_false(cg_svc_port_partner("DATABASE_URL", &b));
	cg_buf_release(&b);
	assert_true(cg_svc_host_is_local("127.0.0.2"));
	assert_true(cg_svc_host_is_local("LOCALHOST"));
	assert_false(cg_svc_host_is_local("127.example.com"));
}

static void test_service_vars__reach(void **state)
{
	struct fixture *f = *state;
	const struct cg_model *m = &f->m;
	const struct cg_script_group *runner = &m->facts.groups[f->runner];
	const struct cg_script_group *boxed = &m->facts.groups[f->boxed];
	const struct cg_script_group *gl = &m->facts.groups[f->gitlab];
	size_t redis = service(m, "redis"), pg = service(m, "pg"),
	       mock = service(m, "mock"), cache = service(m, "cache"),
	       db = service(m, "db");
	struct cg_buf b = CG_BUF_INIT;

	/* on the runner: localhost and the published port */
	assert_int_equal(
	    cg_svc_reach(m, runner, redis, "localhost", 6380, CG_NO_INDEX),
	    CG_SVC_REACHES);
	assert_int_equal(
	    cg_svc_reach(m, runner, redis, "::1", 6379, CG_NO_INDEX),
	    CG_SVC_WRONG_PORT);
	assert_int_equal(
	    cg_svc_reach(m, runner, redis, "redis", 6380, CG_NO_INDEX),
	    CG_SVC_WRONG_HOST);
	assert_int_equal(
	    cg_svc_reach(m, runner, pg, "localhost", 5432, CG_NO_INDEX),
	    CG_SVC_RANDOM_PORT);
	assert_int_equal(cg_svc_reach(m, runner, pg, "localhost", 0, pg),
			 CG_SVC_REACHES);
	assert_int_equal(
	    cg_svc_reach(m, runner, mock, "localhost", 8080, CG_NO_INDEX),
	    CG_SVC_NOT_PUBLISHED);
	/* in a container: the service's name and its container port */
	assert_int_equal(
	    cg_svc_reach(m, boxed, cache, "cache", 6379, CG_NO_INDEX),
	    CG_SVC_REACHES);
	assert_int_equal(
	    cg_svc_reach(m, boxed, cache, "cache", 6380, CG_NO_INDEX),
	    CG_SVC_WRONG_PORT);
	assert_int_equal(
	    cg_svc_reach(m, boxed, cache, "localhost", 6379, CG_NO_INDEX),
	    CG_SVC_WRONG_HOST);
	/* GitLab: the alias, or the names derived from the image */
	assert_int_equal(cg_svc_reach(m, gl, db, "db", 5432, CG_NO_INDEX),
			 CG_SVC_REACHES);
	assert_int_equal(cg_svc_reach(m, gl, db, "postgres", 5432, CG_NO_INDEX),
			 CG_SVC_REACHES);
	assert_int_equal(cg_svc_reach(m, gl, service(m, "bitnami__redis"),
				      "bitnami-redis", 6379, CG_NO_INDEX),
			 CG_SVC_REACHES);
	/* where to reach them */
	assert_true(cg_svc_expected(m, runner, redis, &b));
	assert_string_equal(b.buf, "localhost:6380");
	cg_buf_reset(&b);
	assert_true(cg_svc_expected(m, runner, pg, &b));
	assert_string_equal(b.buf,
			    "localhost:${{ job.services.pg.ports[5432] }}");
	cg_buf_reset(&b);
	assert_false(cg_svc_expected(m, runner, mock, &b));
	cg_buf_reset(&b);
	assert_true(cg_svc_expected(m, boxed, cache, &b));
	assert_string_equal(b.buf, "cache:6379");
	cg_buf_release(&b);
}

static void test_service_vars__seen_defs(void **state)
{
	struct fixture *f = *state;
	struct cg_svc_seen *seen;
	size_t n = cg_svc_seen_defs(&f->m, f->runner, NULL, &seen);
	size_t db = 0;

	/* the job's secret DATABASE_URL reaches only `pip install`; the
	 * step that runs the tests overrides it */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(seen[i].def->name, "DATABASE_URL")) {
			db++;
			assert_int_equal(seen[i].def->value_kind,
					 CG_VALUE_LITERAL);
			assert_int_equal(seen[i].item, 1);
		}
	assert_int_equal(db, 1);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_service_vars__urls),
	    cmocka_unit_test(test_service_vars__expressions),
	    cmocka_unit_test(test_service_vars__names),
	    cmocka_unit_test(test_service_vars__reach),
	    cmocka_unit_test(test_service_vars__seen_defs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
