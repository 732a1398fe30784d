/* The fact tables, filled by the loaders from files given in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n,
		  enum cg_layer layer)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = layer;
	o.mem_files = files;
	o.nmem_files = n;
	assert_int_equal(cg_model_build(m, &o), 0);
}

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

static const struct cg_env_fact *def_in(const struct cg_model *m,
					const char *name, size_t scope)
{
	return cg_env_lookup(m, scope, name);
}

static const struct cg_service_fact *service(const struct cg_model *m,
					     const char *name)
{
	for (size_t i = 0; i < m->facts.nservices; i++)
		if (!strcmp(m->facts.services[i].name, name))
			return &m->facts.services[i];
	return NULL;
}

static void test_facts__github_env_scopes_services_processes(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".github/workflows/ci.yml",
		"on: push\n"
		"env:\n"
		"  REDIS_URL: ${{ secrets.REDIS_URL }}\n"
		"  LOG_LEVEL: debug\n"
		"jobs:\n"
		"  test:\n"
		"    runs-on: ubuntu-latest\n"
		"    services:\n"
		"      redis:\n"
		"        image: redis:7-alpine\n"
		"        ports: ['6380:6379']\n"
		"        options: --health-cmd \"redis-cli ping\"\n"
		"      db:\n"
		"        image: docker.io/library/postgres:16\n"
		"        ports: [5432]\n"
		"    env:\n"
		"      LOG_LEVEL: info\n"
		"      DATABASE_URL: ${{ env.X }}\n"
		"    steps:\n"
		"      - run: |\n"
		"          python -m app.worker.pool > w.log 2>&1 &\n"
		"          nohup celery -A app worker &\n"
		"          python -u -m pytest\n"
		"        env:\n"
		"          LOG_LEVEL: warning\n"
		"  expr:\n"
		"    runs-on: ubuntu-latest\n"
		"    env: ${{ fromJSON(needs.setup.outputs.env) }}\n"
		"    steps:\n"
		"      - run: pytest\n"
		"  other:\n"
		"    runs-on: ubuntu-latest\n"
		"    container:\n"
		"      image: python:3.12\n"
		"      env: {LOG_LEVEL: trace, ONLY_HERE: x}\n"
		"    steps:\n"
		"      - run: PYTHONUNBUFFERED=1 uvicorn app:app\n"),
	    MEM("README.md", "# not read\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;
	const struct cg_script_group *g;
	size_t step;

	(void)state;
	build(&m, files, 2, CG_LAYER_FULL);
	assert_int_equal(m.nfiles, 1);
	assert_int_equal(m.npaths, 2);
	assert_int_equal(m.facts.ngroups, 3);
	g = &m.facts.groups[0];
	assert_string_equal(g->name, "test");
	assert_int_equal(g->pos.line, 6);
	assert_false(m.facts.scopes[g->scope].in_container);
	assert_false(m.facts.scopes[g->scope].env_unknown);
	/* `env:` as one expression: its names cannot be known */
	assert_true(m.facts.scopes[m.facts.groups[1].scope].env_unknown);
	assert_true(m.facts.scopes[m.facts.groups[2].scope].in_container);
	assert_int_equal(g->nitems, 1);
	step = g->items[0].scope;
	/* the step's own value wins, then the job's, then the workflow's */
	assert_string_equal(def_in(&m, "LOG_LEVEL", step)->value, "warning");
	assert_string_equal(def_in(&m, "LOG_LEVEL", g->scope)->value, "info");
	assert_int_equal(def_in(&m, "REDIS_URL", step)->value_kind,
			 CG_VALUE_SECRET);
	assert_string_equal(def_in(&m, "REDIS_URL", step)->ref,
			    "secrets.REDIS_URL");
	assert_int_equal(def_in(&m, "REDIS_URL", step)->pos.line, 3);
	assert_int_equal(def_in(&m, "DATABASE_URL", step)->value_kind,
			 CG_VALUE_VARIABLE);
	assert_null(def_in(&m, "NOPE", step));
	/* a job container's env reaches its steps, under the workflow's */
	{
		size_t other = m.facts.groups[2].scope;

		assert_string_equal(def_in(&m, "ONLY_HERE", other)->value, "x");
		assert_string_equal(def_in(&m, "LOG_LEVEL", other)->value,
				    "debug");
		assert_null(def_in(&m, "ONLY_HERE", g->scope));
	}
	/* services */
	assert_int_equal(g->nservices, 2);
	s = service(&m, "redis");
	assert_non_null(s);
	assert_int_equal(s->kind, CG_SERVICE_REDIS);
	assert_true(s->healthcheck);
	assert_int_equal(s->nports, 1);
	assert_int_equal(s->ports[0].published, 6380);
	assert_int_equal(s->ports[0].container, 6379);
	assert_int_equal(s->pos.line, 9);
	s = service(&m, "db");
	assert_int_equal(s->kind, CG_SERVICE_POSTGRES);
	assert_false(s->healthcheck);
	assert_int_equal(s->ports[0].published, 0);
	assert_int_equal(s->ports[0].container, 5432);
	/* processes: the two background starts and the foreground worker,
	 * not pytest */
	assert_int_equal(m.facts.nprocesses, 3);
	assert_true(m.facts.processes[0].background);
	assert_true(m.facts.processes[0].python);
	assert_false(m.facts.processes[0].unbuffered);
	assert_true(m.facts.processes[0].worker);
	assert_int_equal(m.facts.processes[0].pos.line, 21);
	assert_int_equal(m.facts.processes[0].pos.col, 11);
	assert_string_equal(m.facts.processes[0].command,
			    "python -m app.worker.pool");
	assert_true(m.facts.processes[1].background);
	assert_true(m.facts.processes[1].worker);
	assert_false(m.facts.processes[2].background);
	assert_true(m.facts.processes[2].worker);
	assert_int_equal(m.facts.processes[2].group, 2);
	/* each group knows the process rows its scripts start */
	assert_int_equal(m.facts.groups[0].process_first, 0);
	assert_int_equal(m.facts.groups[0].process_end, 2);
	assert_int_equal(m.facts.groups[1].process_first,
			 m.facts.groups[1].process_end);
	assert_int_equal(m.facts.groups[2].process_first, 2);
	assert_int_equal(m.facts.groups[2].process_end, 3);
	cg_model_release(&m);
}

/* Which commands start something that outlives them, as bash runs them:
 * `nohup cmd` and `setsid cmd` wait (measured with bash 5.2), `setsid -f`
 * and `&` do not. */
/* A GitHub service's `ports:` as Docker publishes them: ranges pair up,
 * an ip and a protocol are read past, and a `${{ }}` host port (or the
 * whole list as one expression) is published where it cannot be told,
 * which is not a random port. */
static void test_facts__github_service_ports_as_docker_reads_them(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".github/workflows/ci.yml",
		"on: push\n"
		"jobs:\n"
		"  test:\n"
		"    runs-on: ubuntu-latest\n"
		"    services:\n"
		"      range:\n"
		"        image: redis:7\n"
		"        ports: ['6379-6380:7379-7380', "
		"'127.0.0.1:5433:5432/tcp']\n"
		"      expr:\n"
		"        image: redis:7\n"
		"        ports: ['${{ vars.P }}:6379', 8080]\n"
		"      whole:\n"
		"        image: postgres:16\n"
		"        ports: ${{ fromJSON(vars.PORTS) }}\n"
		"    steps:\n"
		"      - run: pytest\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	s = service(&m, "range");
	assert_non_null(s);
	assert_int_equal(s->nports, 3);
	assert_int_equal(s->ports[0].container, 7379);
	assert_int_equal(s->ports[0].published, 6379);
	assert_int_equal(s->ports[1].container, 7380);
	assert_int_equal(s->ports[1].published, 6380);
	assert_int_equal(s->ports[2].container, 5432);
	assert_int_equal(s->ports[2].published, 5433);
	assert_false(s->ports[2].published_unknown);
	s = service(&m, "expr");
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->ports[0].container, 6379);
	assert_int_equal(s->ports[0].published, 0);
	assert_true(s->ports[0].published_unknown);
	/* a bare container port: published on a random port */
	assert_int_equal(s->ports[1].container, 8080);
	assert_false(s->ports[1].published_unknown);
	s = service(&m, "whole");
	assert_int_equal(s->nports, 1);
	assert_int_equal(s->ports[0].container, 0);
	assert_true(s->ports[0].published_unknown);
	cg_model_release(&m);
}

static void test_facts__background_starts_as_bash_runs_them(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".github/workflows/ci.yml",
		"on: push\n"
		"jobs:\n"
		"  t:\n"
		"    runs-on: ubuntu-latest\n"
		"    steps:\n"
		"      - run: |\n"
		"          nohup python -m app.worker\n"
		"          nohup python -m app.worker &\n"
		"          setsid python -m app.worker\n"
		"          setsid -f redis-server\n"
		"          ( cd app && python serve.py ) &\n"
		"          screen -dmS w python w.py\n"
		"          ./manage.py runserver &\n"
		"          f() { redis-server; }\n"
		"          docker compose up -d --wait\n"
		"          docker run -d redis\n"),
	};
	static const struct {
		unsigned line;
		bool background, python;
	} want[] = {
	    /* what screen runs (line 12) is not looked into */
	    {7, false, true},  {8, true, true},	  {9, false, true},
	    {10, true, false}, {11, true, true},  {12, true, false},
	    {13, true, true},  {16, true, false},
	};
	struct cg_model m;

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	assert_int_equal(m.facts.nprocesses, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < m.facts.nprocesses; i++) {
		const struct cg_process_fact *p = &m.facts.processes[i];

		assert_int_equal(p->pos.line, want[i].line);
		assert_int_equal(p->background, want[i].background);
		assert_int_equal(p->python, want[i].python);
	}
	cg_model_release(&m);
}

static void test_facts__gitlab_services_and_variables(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".gitlab-ci.yml", "variables:\n"
				  "  REDIS_URL: redis://redis:6379/0\n"
				  "include: ci/jobs.yml\n"
				  "test:\n"
				  "  services:\n"
				  "    - name: bitnami/redis:7\n"
				  "      alias: cache, kv\n"
				  "    - postgres:16\n"
				  "  variables:\n"
				  "    DATABASE_URL: $PROD_DATABASE_URL\n"
				  "    DB: $REDIS_URL\n"
				  "  script:\n"
				  "    - pytest\n"),
	    MEM("ci/jobs.yml", "lint:\n  script: [ruff check]\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;
	const struct cg_script_group *g;

	(void)state;
	build(&m, files, 2, CG_LAYER_QUICK);
	assert_int_equal(m.nfiles, 2);
	assert_int_equal(m.facts.ngroups, 2);
	g = &m.facts.groups[0];
	assert_string_equal(g->name, "test");
	assert_true(m.facts.scopes[g->scope].in_container);
	assert_int_equal(g->nservices, 2);
	s = &m.facts.services[g->services[0]];
	assert_int_equal(s->kind, CG_SERVICE_REDIS);
	assert_int_equal(s->nhosts, 4);
	assert_string_equal(s->hosts[0], "cache");
	assert_string_equal(s->hosts[1], "kv");
	assert_string_equal(s->hosts[2], "bitnami__redis");
	assert_string_equal(s->hosts[3], "bitnami-redis");
	assert_int_equal(s->ports[0].container, 6379);
	s = &m.facts.services[g->services[1]];
	assert_int_equal(s->kind, CG_SERVICE_POSTGRES);
	assert_string_equal(s->hosts[0], "postgres");
	assert_int_equal(
	    cg_env_lookup(&m, g->scope, "DATABASE_URL")->value_kind,
	    CG_VALUE_SECRET);
	assert_int_equal(cg_env_lookup(&m, g->scope, "DB")->value_kind,
			 CG_VALUE_VARIABLE);
	assert_string_equal(cg_env_lookup(&m, g->scope, "REDIS_URL")->value,
			    "redis://redis:6379/0");
	assert_string_equal(m.facts.groups[1].name, "lint");
	assert_ptr_equal(m.facts.groups[1].src,
			 cg_model_find_src(&m, "ci/jobs.yml"));
	cg_model_release(&m);
}

/* gitlab-runner names a service container after its image without the
 * tag, the digest and a registry's port (SplitNameAndVersion). */
static void test_facts__gitlab_service_hosts_drop_registry_port(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".gitlab-ci.yml",
		"test:\n"
		"  services:\n"
		"    - registry.example.com:5000/team/postgres:16\n"
		"    - localhost:5000/redis@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
		"ef\n"
		"    - docker.io/library/nginx\n"
		"  script:\n"
		"    - pytest\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;
	const struct cg_script_group *g;

	(void)state;
	build(&m, files, 1, CG_LAYER_QUICK);
	g = &m.facts.groups[0];
	assert_int_equal(g->nservices, 3);
	s = &m.facts.services[g->services[0]];
	assert_int_equal(s->nhosts, 2);
	assert_string_equal(s->hosts[0],
			    "registry.example.com__team__postgres");
	assert_string_equal(s->hosts[1], "registry.example.com-team-postgres");
	s = &m.facts.services[g->services[1]];
	assert_int_equal(s->nhosts, 2);
	assert_string_equal(s->hosts[0], "localhost__redis");
	assert_string_equal(s->hosts[1], "localhost-redis");
	s = &m.facts.services[g->services[2]];
	assert_string_equal(s->hosts[0], "docker.io__library__nginx");
	assert_string_equal(s->hosts[1], "docker.io-library-nginx");
	cg_model_release(&m);
}

/* gitlab-runner splits `alias:` at commas and at white space
 * (common.Image.Aliases: strings.Fields after commas become spaces). */
static void test_facts__gitlab_service_aliases(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".gitlab-ci.yml", "test:\n"
				  "  services:\n"
				  "    - name: redis:7\n"
				  "      alias: cache kv,\tstore ,, x\n"
				  "  script:\n"
				  "    - pytest\n"),
	};
	static const char *const want[] = {"cache", "kv", "store", "x",
					   "redis"};
	struct cg_model m;
	const struct cg_service_fact *s;

	(void)state;
	build(&m, files, 1, CG_LAYER_QUICK);
	assert_int_equal(m.facts.groups[0].nservices, 1);
	s = &m.facts.services[m.facts.groups[0].services[0]];
	assert_int_equal(s->nhosts, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(s->hosts[i], want[i]);
	cg_model_release(&m);
}

/* `inherit: variables:` keeps top-level variables out of a job
 * (Entry::Processable#root_variables_inheritance). */
static void test_facts__gitlab_inherit_variables(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".gitlab-ci.yml", "variables: {REDIS_URL: redis://r, A: a}\n"
				  "all: {script: [t]}\n"
				  "none:\n  inherit: {variables: false}\n"
				  "  script: [t]\n"
				  "some:\n  inherit: {variables: [A]}\n"
				  "  script: [t]\n"),
	};
	static const struct {
		const char *job;
		bool redis, a;
	} want[] = {
	    {"all", true, true}, {"none", false, false}, {"some", false, true}};
	struct cg_model m;

	(void)state;
	build(&m, files, 1, CG_LAYER_QUICK);
	assert_int_equal(m.facts.ngroups, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct cg_script_group *g = &m.facts.groups[i];

		assert_string_equal(g->name, want[i].job);
		assert_int_equal(!!cg_env_lookup(&m, g->scope, "REDIS_URL"),
				 want[i].redis);
		assert_int_equal(!!cg_env_lookup(&m, g->scope, "A"), want[i].a);
		assert_true(m.facts.scopes[g->scope].in_container);
	}
	cg_model_release(&m);
}

/* The names a CI file reads itself, once per file, at the first value
 * that reads them (ci_uses.c). */
static void use_names(const struct cg_model *m, const char *path,
		      struct cg_buf *out)
{
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->role == CG_ENV_USE && e->place == CG_PLACE_CI &&
		    !strcmp(e->src->path, path))
			cg_buf_addf(out, "%s@%u ", e->name, e->pos.line);
	}
}

static void test_facts__ci_reads(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".github/workflows/ci.yml",
		"on: push\n"			      /* 1 */
		"env: {IMAGE: ghcr.io/a/b, TAG: x}\n" /* 2 */
		"jobs:\n"			      /* 3 */
		"  build:\n"			      /* 4 */
		"    runs-on: ubuntu-latest\n"	      /* 5 */
		"    steps:\n"			      /* 6 */
		"      - run: docker build -t \"${{ env.IMAGE "
		"}}:$TAG\" .\n" /* 7 */
		"      - run: echo $$NOT ${HOME} "
		"${WITH_DEFAULT:-x} $1 $\n" /* 8 */
		"      - if: env['TOGGLE'] == 'on' && "
		"github.event\n" /* 9 */
		"        run: echo \"${{ env.IMAGE }} ${{ myenv.NO "
		"}}\"\n"	   /* 10 */
		"      - run: |\n" /* 11 */
		"          docker run --rm -e API_KEY --env=DB_URL \\\n" /* 12
									  */
		"            -eTOKEN -e SET=1 --env X=2 app pytest\n" /* 13 */
		"          grep -e PATTERN file\n"),		      /* 14 */
	    MEM(".gitlab-ci.yml", "variables:\n"		      /* 1 */
				  "  IMAGE_NAME: reg/app\n"	      /* 2 */
				  "test:\n"			      /* 3 */
				  "  image: $IMAGE_NAME:latest\n"     /* 4 */
				  "  rules:\n"			      /* 5 */
				  "    - if: $ENABLE_TESTS\n"	      /* 6 */
				  "  script: [pytest]\n"),	      /* 7 */
	};
	struct cg_model m;
	struct cg_buf b = CG_BUF_INIT;

	(void)state;
	build(&m, files, 2, CG_LAYER_FULL);
	use_names(&m, ".github/workflows/ci.yml", &b);
	/* `if:` is an expression without `${{ }}` too; `myenv.NO` is not
	 * env */
	assert_string_equal(b.buf,
			    "IMAGE@7 TAG@7 HOME@8 WITH_DEFAULT@8 TOGGLE@9 "
			    "API_KEY@11 DB_URL@11 TOKEN@11 ");
	cg_buf_reset(&b);
	use_names(&m, ".gitlab-ci.yml", &b);
	assert_string_equal(b.buf, "IMAGE_NAME@4 ENABLE_TESTS@6 ");
	cg_buf_release(&b);
	cg_model_release(&m);
}

static void test_facts__value_kinds(void **state)
{
	static const struct {
		const char *value;
		enum cg_value_kind kind;
		const char *ref;
	} cases[] = {
	    {"plain", CG_VALUE_LITERAL, NULL},
	    {"${{ secrets.A }}", CG_VALUE_SECRET, "secrets.A"},
	    {"${{secrets['B']}}", CG_VALUE_SECRET, "secrets.B"},
	    {"${{ vars.C }}", CG_VALUE_SECRET, "vars.C"},
	    {"redis://${{ secrets.HOST }}:6379", CG_VALUE_SECRET,
	     "secrets.HOST"},
	    {"${{ env.D }}", CG_VALUE_VARIABLE, "D"},
	    {"${{ matrix.py }}", CG_VALUE_EXPRESSION, NULL},
	    /* the secret is the value whenever it is set */
	    {"${{ secrets.DB_URL || 'postgres://localhost/ci' }}",
	     CG_VALUE_SECRET, "secrets.DB_URL"},
	    {"${{ env.X || vars.Y }}", CG_VALUE_SECRET, "vars.Y"},
	    {"${{ inputs.url || (github.event_name == 'schedule' && "
	     "vars.PROD_URL || vars.URL) }}",
	     CG_VALUE_SECRET, "vars.PROD_URL"},
	    {"${{ inputs.x || vars.Y == 'True' }}", CG_VALUE_EXPRESSION, NULL},
	    {"${{ github.ref == 'refs/heads/main' && secrets.PROD || "
	     "secrets.STAGE }}",
	     CG_VALUE_SECRET, "secrets.PROD"},
	    /* it only picks, tests or fills in the value */
	    {"${{ secrets.DB_URL && 'a' || 'b' }}", CG_VALUE_EXPRESSION, NULL},
	    {"${{ secrets.DB_URL != '' && 'a' || 'b' }}", CG_VALUE_EXPRESSION,
	     NULL},
	    {"${{ !secrets.X }}", CG_VALUE_EXPRESSION, NULL},
	    {"${{ format('pg://u:{0}@localhost/ci', secrets.PW) }}",
	     CG_VALUE_EXPRESSION, NULL},
	    {"${{ 'secrets.X' || 'b' }}", CG_VALUE_EXPRESSION, NULL},
	    {"${{ github.secrets.X }}", CG_VALUE_EXPRESSION, NULL},
	    {"$E", CG_VALUE_VARIABLE, "E"},
	    {"${F}", CG_VALUE_VARIABLE, "F"},
	    {"x${G}y", CG_VALUE_INTERP, NULL},
	    {"${H:-d}", CG_VALUE_INTERP_DEFAULT, NULL},
	    {"${H:?required}", CG_VALUE_INTERP, NULL},
	    {"$$literal", CG_VALUE_LITERAL, NULL},
	    {"50$", CG_VALUE_LITERAL, NULL},
	};
	struct cg_model m;
	struct cg_model_options o = {0};
	static const struct cg_mem_file none[] = {MEM("x", "x")};

	(void)state;
	o.root = "mem";
	o.mem_files = none;
	o.nmem_files = 1;
	assert_int_equal(cg_model_build(&m, &o), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *ref;

		assert_int_equal(cg_value_classify(&m, cases[i].value, &ref),
				 cases[i].kind);
		if (cases[i].ref)
			assert_string_equal(ref, cases[i].ref);
	}
	cg_model_release(&m);
}

static void test_facts__pythonunbuffered_as_cpython_reads_it(void **state)
{
	/* measured with CPython 3.11: sys.stdout.write_through */
	static const struct {
		const char *v;
		bool on;
	} cases[] = {
	    {"", false},   {"0", false},  {"00", false},   {" 0", false},
	    {"+0", false}, {"-0", false}, {"1", true},	   {"-1", true},
	    {"0 ", true},  {"0x0", true}, {"false", true}, {" ", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(cg_python_unbuffered_value(cases[i].v),
				 cases[i].on);
}

static void test_facts__service_kind_of_image(void **state)
{
	static const struct {
		const char *image;
		enum cg_service_kind kind;
	} cases[] = {
	    {"redis", CG_SERVICE_REDIS},
	    {"redis:7-alpine", CG_SERVICE_REDIS},
	    {"valkey/valkey:8", CG_SERVICE_REDIS},
	    {"bitnami/redis:7.2", CG_SERVICE_REDIS},
	    {"docker.io/library/postgres:16", CG_SERVICE_POSTGRES},
	    {"postgis/postgis:16-3.4", CG_SERVICE_POSTGRES},
	    {"timescale/timescaledb:latest-pg16", CG_SERVICE_POSTGRES},
	    {"wiremock/wiremock:3.9.1", CG_SERVICE_WIREMOCK},
	    {"localhost:5000/redis@sha256:abc", CG_SERVICE_REDIS},
	    {"rabbitmq:3-management", CG_SERVICE_RABBITMQ},
	    {"python:3.12", CG_SERVICE_OTHER},
	    {"oliver006/redis_exporter", CG_SERVICE_OTHER},
	    {"ghcr.io/acme/redis-exporter", CG_SERVICE_OTHER},
	    {"bitnami/postgresql-repmgr:16", CG_SERVICE_POSTGRES},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(cg_service_kind_of_image(cases[i].image),
				 cases[i].kind);
}

/* What cg_process_python_entry names for `words` (NULL-terminated). */
static void entry_of(const char *const *words, struct cg_py_entry *e,
		     struct cg_process_fact *p)
{
	memset(p, 0, sizeof(*p));
	p->argv = (const char **)words;
	while (words[p->argc])
		p->argc++;
	cg_process_python_entry(p, e);
}

static void expect_entry(enum cg_py_entry_kind kind, const char *target,
			 bool runner_logs, const char *const *words)
{
	struct cg_process_fact p;
	struct cg_py_entry e;

	entry_of(words, &e, &p);
	assert_int_equal(e.kind, kind);
	if (target) {
		assert_int_equal(e.target_len, strlen(target));
		assert_memory_equal(e.target, target, strlen(target));
	}
	assert_int_equal(e.runner_logs_start, runner_logs);
}

static void test_facts__python_entry_points(void **state)
{
	(void)state;
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})
	expect_entry(CG_PY_ENTRY_MODULE, "app.worker.pool", false,
		     W("python", "-m", "app.worker.pool"));
	/* flags cluster; -W takes a value; wrappers are looked through */
	expect_entry(CG_PY_ENTRY_MODULE, "app.w", false,
		     W("nohup", "env", "A=1", "python3.12", "-W", "ignore",
		       "-um", "app.w"));
	expect_entry(CG_PY_ENTRY_MODULE, "pkg", false,
		     W("poetry", "run", "python", "-mpkg"));
	/* -X with a value that holds an m is no -m */
	expect_entry(CG_PY_ENTRY_SCRIPT, "run.py", false,
		     W("python", "-Xfrozen_modules=off", "run.py"));
	expect_entry(CG_PY_ENTRY_NONE, NULL, false,
		     W("python", "-c", "import app; app.main()"));
	expect_entry(CG_PY_ENTRY_SCRIPT, "./tools/worker.py", false,
		     W("./tools/worker.py", "--queue", "x"));
	expect_entry(CG_PY_ENTRY_APP, "proj", true,
		     W("celery", "-A", "proj", "worker", "-l", "info"));
	expect_entry(CG_PY_ENTRY_APP, "proj.app", true,
		     W("celery", "--app=proj.app:celery", "worker"));
	expect_entry(CG_PY_ENTRY_APP, "app.main", true,
		     W("uvicorn", "--host", "0.0.0.0", "app.main:app"));
	expect_entry(CG_PY_ENTRY_APP, "app.wsgi", true,
		     W("gunicorn", "-w", "4", "-b", ":8000", "app.wsgi:app"));
	expect_entry(CG_PY_ENTRY_APP, "app.worker.WorkerSettings", true,
		     W("arq", "app.worker.WorkerSettings"));
	/* rq finds its jobs by name at run time: nothing to name */
	expect_entry(CG_PY_ENTRY_NONE, NULL, true, W("rq", "worker", "high"));
	expect_entry(CG_PY_ENTRY_NONE, NULL, false, W("node", "server.js"));
#undef W
}

static void test_facts__python_script_workers(void **state)
{
	const char *const a[] = {"python", "scripts/queue_worker.py", NULL};
	const char *const b[] = {"python", "scripts/report.py", NULL};
	struct cg_process_fact p;
	struct cg_py_entry e;

	(void)state;
	entry_of(a, &e, &p);
	cg_process_classify(NULL, &p);
	assert_true(p.python);
	assert_true(p.worker); /* as ./scripts/queue_worker.py would be */
	entry_of(b, &e, &p);
	cg_process_classify(NULL, &p);
	assert_true(p.python);
	assert_false(p.worker);
}

/* -u among CPython's options as its getopt reads them (checked against
 * python3 with sys.stdout.write_through under a pipe): -W and -X take a
 * value, so `-X dev -u` is unbuffered and `-Xfrozen_modules=off` names no
 * module; -E and -I make it ignore PYTHONUNBUFFERED, `env` prefix too. */
static void test_facts__python_options_as_cpython_reads_them(void **state)
{
#define W(...) ((const char *const[]){__VA_ARGS__, NULL})
	const struct {
		const char *const *argv;
		bool unbuffered, ignores_env, worker;
	} cases[] = {
	    {W("python3", "-X", "dev", "-u", "app.py"), true, false, false},
	    {W("python", "-W", "ignore", "-u", "-m", "app.worker"), true, false,
	     true},
	    {W("python", "-Xfrozen_modules=off", "app/worker.py"), false, false,
	     true},
	    {W("python", "-Bu", "app.py"), true, false, false},
	    {W("python", "--check-hash-based-pycs", "never", "-u", "a.py"),
	     true, false, false},
	    {W("python", "-mapp.worker"), false, false, true},
	    {W("python", "app.py", "-u"), false, false, false},
	    {W("python", "-c", "import app", "-u"), false, false, false},
	    {W("python", "-E", "-m", "app.worker"), false, true, true},
	    {W("python", "-Iu", "app.py"), true, true, false},
	    {W("env", "PYTHONUNBUFFERED=1", "python", "app.py"), true, false,
	     false},
	    {W("env", "PYTHONUNBUFFERED=1", "python", "-E", "app.py"), false,
	     true, false},
	};
#undef W
	struct cg_process_fact p;
	struct cg_py_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		entry_of(cases[i].argv, &e, &p);
		cg_process_classify(NULL, &p);
		assert_true(p.python);
		if (p.unbuffered != cases[i].unbuffered ||
		    p.ignores_env != cases[i].ignores_env ||
		    p.worker != cases[i].worker)
			fail_msg("case %zu (%s %s): unbuffered %d ignores_env "
				 "%d worker %d",
				 i, cases[i].argv[0], cases[i].argv[1],
				 p.unbuffered, p.ignores_env, p.worker);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_facts__github_env_scopes_services_processes),
	    cmocka_unit_test(
		test_facts__github_service_ports_as_docker_reads_them),
	    cmocka_unit_test(test_facts__background_starts_as_bash_runs_them),
	    cmocka_unit_test(test_facts__gitlab_services_and_variables),
	    cmocka_unit_test(
		test_facts__gitlab_service_hosts_drop_registry_port),
	    cmocka_unit_test(test_facts__gitlab_service_aliases),
	    cmocka_unit_test(test_facts__gitlab_inherit_variables),
	    cmocka_unit_test(test_facts__ci_reads),
	    cmocka_unit_test(test_facts__value_kinds),
	    cmocka_unit_test(test_facts__pythonunbuffered_as_cpython_reads_it),
	    cmocka_unit_test(test_facts__service_kind_of_image),
	    cmocka_unit_test(test_facts__python_entry_points),
	    cmocka_unit_test(test_facts__python_script_workers),
	    cmocka_unit_test(test_facts__python_options_as_cpython_reads_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
