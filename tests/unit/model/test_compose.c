/* The compose loader's facts, from compose files given in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

static void build_with(struct cg_model *m, const struct cg_mem_file *files,
		       size_t n, const struct cg_config *config)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = CG_LAYER_QUICK;
	o.mem_files = files;
	o.nmem_files = n;
	o.config = config;
	assert_int_equal(cg_model_build(m, &o), 0);
}

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n)
{
	build_with(m, files, n, NULL);
}

static const struct cg_service_fact *service(const struct cg_model *m,
					     const char *name)
{
	for (size_t i = 0; i < m->facts.nservices; i++)
		if (!strcmp(m->facts.services[i].name, name))
			return &m->facts.services[i];
	fail_msg("no service %s", name);
	return NULL;
}

/* The k-th env row (0 first) named `name` with `role`. */
static const struct cg_env_fact *env_row(const struct cg_model *m,
					 const char *name,
					 enum cg_env_role role, size_t k)
{
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->role == role && !strcmp(e->name, name) && k-- == 0)
			return e;
	}
	fail_msg("no %s row %s", role == CG_ENV_USE ? "use" : "def", name);
	return NULL;
}

static size_t count_rows(const struct cg_model *m, const char *name,
			 enum cg_env_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < m->facts.nenv; i++)
		if (m->facts.env[i].role == role &&
		    !strcmp(m->facts.env[i].name, name))
			n++;
	return n;
}

static void assert_pos(struct cg_pos p, uint32_t line, uint32_t col,
		       uint32_t end_col)
{
	if (p.line != line || p.col != col || p.end_line != line ||
	    p.end_col != end_col)
		fail_msg("position %u:%u-%u:%u, expected %u:%u-%u:%u", p.line,
			 p.col, p.end_line, p.end_col, line, col, line,
			 end_col);
}

static const struct cg_file_ref *file_ref(const struct cg_model *m,
					  const char *path)
{
	for (size_t i = 0; i < m->facts.nfile_refs; i++)
		if (!strcmp(m->facts.file_refs[i].path, path))
			return &m->facts.file_refs[i];
	return NULL;
}

static const struct cg_process_fact *process_of(const struct cg_model *m,
						size_t scope)
{
	for (size_t i = 0; i < m->facts.nprocesses; i++)
		if (m->facts.processes[i].scope == scope)
			return &m->facts.processes[i];
	return NULL;
}

static bool has_note(const struct cg_model *m, const char *text)
{
	for (size_t i = 0; i < m->nnotes; i++)
		if (strstr(m->notes[i].message, text))
			return true;
	return false;
}

/* Services, ports, hosts, health checks, volumes, env_file imports and
 * depends_on, in a compose file in a folder. */
static void test_compose__services_ports_and_files(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("deploy/compose.yaml",
		"x-env: &env\n"					      /* 1 */
		"  LOG_LEVEL: ${LOG_LEVEL:-debug}\n"		      /* 2 */
		"  SHARED: one\n"				      /* 3 */
		"x-base: &base\n"				      /* 4 */
		"  image: redis:7-alpine\n"			      /* 5 */
		"services:\n"					      /* 6 */
		"  cache:\n"					      /* 7 */
		"    <<: *base\n"				      /* 8 */
		"    container_name: my-cache\n"		      /* 9 */
		"    hostname: cachehost\n"			      /* 10 */
		"    networks:\n"				      /* 11 */
		"      back:\n"					      /* 12 */
		"        aliases: [kv, cache]\n"		      /* 13 */
		"    ports:\n"					      /* 14 */
		"      - \"6380:6379\"\n"			      /* 15 */
		"      - 8080\n"				      /* 16 */
		"      - \"127.0.0.1:5432:5432\"\n"		      /* 17 */
		"      - \"8000-8001:8000-8001\"\n"		      /* 18 */
		"      - \"53:53/udp\"\n"			      /* 19 */
		"      - target: 9000\n"			      /* 20 */
		"        published: \"9001\"\n"			      /* 21 */
		"        host_ip: 127.0.0.1\n"			      /* 22 */
		"    healthcheck:\n"				      /* 23 */
		"      test: [\"CMD\", \"redis-cli\", \"ping\"]\n"    /* 24 */
		"  app:\n"					      /* 25 */
		"    build: .\n"				      /* 26 */
		"    environment: *env\n"			      /* 27 */
		"    env_file:\n"				      /* 28 */
		"      - app.env\n"				      /* 29 */
		"      - path: ./local.env\n"			      /* 30 */
		"        required: false\n"			      /* 31 */
		"      - ../shared/common.env\n"		      /* 32 */
		"    volumes:\n"				      /* 33 */
		"      - ./stubs:/home/wiremock:ro\n"		      /* 34 */
		"      - data:/data\n"				      /* 35 */
		"      - /var/run/docker.sock:/var/run/docker.sock\n" /* 36 */
		"      - type: bind\n"				      /* 37 */
		"        source: ../mappings\n"			      /* 38 */
		"        target: /home/wiremock/mappings\n"	      /* 39 */
		"    depends_on:\n"				      /* 40 */
		"      cache:\n"				      /* 41 */
		"        condition: service_healthy\n"		      /* 42 */
		"      db:\n"					      /* 43 */
		"        condition: service_started\n"		      /* 44 */
		"  db:\n"					      /* 45 */
		"    image: postgres:16\n"			      /* 46 */
		"    healthcheck:\n"				      /* 47 */
		"      test: [\"NONE\"]\n"			      /* 48 */
		"  wiremock:\n"					      /* 49 */
		"    image: wiremock/wiremock:3.9.1\n"		      /* 50 */
		"    healthcheck: {disable: true, test: [CMD, x]}\n"  /* 51 */
		"    depends_on: [db]\n"			      /* 52 */
		"volumes:\n"					      /* 53 */
		"  data:\n"),
	    MEM("deploy/app.env", "SHARED=from-app-env\nONLY_FILE=a\n"),
	    MEM("shared/common.env", "ONLY_FILE=common\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;
	const struct cg_file_ref *r;
	const struct cg_env_fact *e;
	size_t app_scope;

	(void)state;
	build(&m, files, 3);
	assert_int_equal(m.nfiles, 3); /* the compose file and two env files */
	assert_int_equal(m.nnotes, 0);

	s = service(&m, "cache");
	assert_int_equal(s->kind, CG_SERVICE_REDIS);
	assert_string_equal(s->image, "redis:7-alpine");
	assert_int_equal(s->environment, CG_ENVIRONMENT_LOCAL);
	assert_int_equal(s->place, CG_PLACE_COMPOSE);
	assert_pos(s->pos, 7, 3, 8);
	assert_int_equal(s->nhosts, 4); /* `cache` once */
	assert_string_equal(s->hosts[0], "cache");
	assert_string_equal(s->hosts[1], "my-cache");
	assert_string_equal(s->hosts[2], "cachehost");
	assert_string_equal(s->hosts[3], "kv");
	assert_true(s->healthcheck);
	assert_int_equal(m.facts.scopes[s->own_scope].kind,
			 CG_SCOPE_COMPOSE_SERVICE);
	assert_string_equal(m.facts.scopes[s->own_scope].image,
			    "redis:7-alpine");
	assert_int_equal(m.facts.scopes[s->scope].kind, CG_SCOPE_FILE);
	assert_int_equal(m.facts.scopes[s->scope].place, CG_PLACE_COMPOSE);
	assert_int_equal(m.facts.scopes[s->scope].environment,
			 CG_ENVIRONMENT_LOCAL);
	{
		static const unsigned want[][2] = {
		    {6379, 6380}, {8080, 0}, {5432, 5432}, {8000, 8000},
		    {8001, 8001}, {53, 53},  {9000, 9001},
		};
		static const uint32_t line[] = {15, 16, 17, 18, 18, 19, 20};

		assert_int_equal(s->nports, 7);
		for (size_t i = 0; i < 7; i++) {
			assert_int_equal(s->ports[i].container, want[i][0]);
			assert_int_equal(s->ports[i].published, want[i][1]);
			assert_int_equal(s->ports[i].pos.line, line[i]);
		}
		assert_int_equal(s->ports[0].pos.col, 9);
	}

	s = service(&m, "app");
	assert_int_equal(s->kind, CG_SERVICE_APP);
	assert_null(s->image);
	assert_false(s->healthcheck);
	assert_int_equal(s->nports, 0);
	assert_int_equal(s->ndepends_on, 2);
	assert_string_equal(s->depends_on[0].name, "cache");
	assert_true(s->depends_on[0].healthy);
	assert_pos(s->depends_on[0].pos, 41, 7, 12);
	assert_string_equal(s->depends_on[1].name, "db");
	assert_false(s->depends_on[1].healthy);
	app_scope = s->own_scope;
	/* `environment:` wins over the env_files; a later env_file over an
	 * earlier one */
	e = cg_env_lookup(&m, app_scope, "SHARED");
	assert_string_equal(e->value, "one");
	assert_int_equal(e->place, CG_PLACE_COMPOSE);
	assert_pos(e->pos, 3, 3, 9);
	assert_pos(e->value_pos, 3, 11, 14);
	assert_string_equal(cg_env_lookup(&m, app_scope, "ONLY_FILE")->value,
			    "common");
	assert_int_equal(cg_env_lookup(&m, app_scope, "ONLY_FILE")->place,
			 CG_PLACE_DOTENV);
	e = cg_env_lookup(&m, app_scope, "LOG_LEVEL");
	assert_int_equal(e->value_kind, CG_VALUE_INTERP_DEFAULT);
	assert_null(
	    cg_env_lookup(&m, service(&m, "cache")->own_scope, "SHARED"));

	/* file references, relative to the repository root */
	r = file_ref(&m, "deploy/app.env");
	assert_non_null(r);
	assert_int_equal(r->kind, CG_REF_ENV_FILE);
	assert_true(r->required);
	assert_pos(r->pos, 29, 9, 16);
	r = file_ref(&m, "deploy/local.env");
	assert_non_null(r);
	assert_false(r->required);
	assert_pos(r->pos, 30, 15, 26);
	assert_non_null(file_ref(&m, "shared/common.env"));
	/* bind mounts into /home/wiremock are WireMock's mappings */
	r = file_ref(&m, "deploy/stubs");
	assert_non_null(r);
	assert_int_equal(r->kind, CG_REF_MAPPINGS);
	assert_true(r->read_only); /* :ro */
	assert_pos(r->pos, 34, 9, 16);
	r = file_ref(&m, "mappings");
	assert_non_null(r);
	assert_int_equal(r->kind, CG_REF_MAPPINGS);
	assert_false(r->read_only);
	assert_pos(r->pos, 38, 17, 28);
	/* `build: .`: the Dockerfile in the context, there or not */
	r = file_ref(&m, "deploy/Dockerfile");
	assert_non_null(r);
	assert_int_equal(r->kind, CG_REF_DOCKERFILE);
	assert_pos(r->pos, 26, 12, 13);
	assert_int_equal(m.facts.nfile_refs, 6); /* no named, no absolute */

	s = service(&m, "db");
	assert_int_equal(s->kind, CG_SERVICE_POSTGRES);
	assert_false(s->healthcheck); /* test: ["NONE"] */
	s = service(&m, "wiremock");
	assert_int_equal(s->kind, CG_SERVICE_WIREMOCK);
	assert_false(s->healthcheck); /* disable: true */
	assert_int_equal(s->ndepends_on, 1);
	assert_false(s->depends_on[0].healthy);
	assert_pos(s->depends_on[0].pos, 52, 18, 20);

	/* the one interpolation, once although two aliases reach it */
	assert_int_equal(count_rows(&m, "LOG_LEVEL", CG_ENV_USE), 1);
	e = env_row(&m, "LOG_LEVEL", CG_ENV_USE, 0);
	assert_pos(e->pos, 2, 16, 25);
	assert_true(e->has_default);
	assert_false(e->required);
	assert_int_equal(e->place, CG_PLACE_COMPOSE);
	assert_int_equal(m.facts.scopes[e->scope].kind, CG_SCOPE_FILE);
	cg_model_release(&m);
}

/* environment in list form, commands, and every interpolation form. */
static void test_compose__environment_commands_interpolation(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("docker-compose.test.yml",
		"services:\n"						 /* 1 */
		"  web:\n"						 /* 2 */
		"    image: \"${REGISTRY:?set it}/web:${TAG-latest}\"\n" /* 3 */
		"    entrypoint: [\"python\", \"-u\"]\n"		 /* 4 */
		"    command: [\"-m\", \"app\", \"$$HOME\"]\n"		 /* 5 */
		"    environment:\n"					 /* 6 */
		"      - DATABASE_URL=postgres://db:5432/x\n"		 /* 7 */
		"      - HOST_PASS\n"					 /* 8 */
		"      - EMPTY=\n"					 /* 9 */
		"      - URL=http://$HOST:${PORT:-80}/${A:+x}${B?e}${C=d}\n"
		"    env_file: .env\n"			 /* 11 */
		"  worker:\n"				 /* 12 */
		"    image: python:3.12\n"		 /* 13 */
		"    command: >\n"			 /* 14 */
		"      celery -A app\n"			 /* 15 */
		"      worker --name \"w 1\" -Q 'a b'\n" /* 16 */
		"    environment:\n"			 /* 17 */
		"      PYTHONUNBUFFERED: 0\n"		 /* 18 */
		"      PASS:\n"				 /* 19 */
		"      NESTED: ${OUTER:-${INNER}}x\n"	 /* 20 */
		"  plain:\n"				 /* 21 */
		"    image: alpine\n"			 /* 22 */
		"    command: sh -c \"echo $$X\"\n"),	 /* 23 */
	    MEM(".env", "TAG=1.2\n"),
	};
	struct cg_model m;
	const struct cg_service_fact *s;
	const struct cg_process_fact *p;
	const struct cg_env_fact *e;
	size_t web, worker;

	(void)state;
	build(&m, files, 2);
	assert_int_equal(m.nnotes, 0);
	s = service(&m, "web");
	assert_int_equal(s->kind, CG_SERVICE_OTHER);
	web = s->own_scope;
	worker = service(&m, "worker")->own_scope;

	/* interpolations: the name's position, required / default */
	e = env_row(&m, "REGISTRY", CG_ENV_USE, 0);
	assert_pos(e->pos, 3, 15, 23);
	assert_true(e->required);
	assert_false(e->has_default);
	e = env_row(&m, "TAG", CG_ENV_USE, 0);
	assert_pos(e->pos, 3, 39, 42);
	assert_true(e->has_default);
	assert_false(e->required);
	e = env_row(&m, "HOST", CG_ENV_USE, 0);
	assert_pos(e->pos, 10, 21, 25);
	assert_false(e->has_default);
	e = env_row(&m, "PORT", CG_ENV_USE, 0);
	assert_pos(e->pos, 10, 28, 32);
	assert_true(e->has_default);
	e = env_row(&m, "A", CG_ENV_USE, 0);
	assert_pos(e->pos, 10, 40, 41);
	assert_true(e->has_default);
	e = env_row(&m, "B", CG_ENV_USE, 0);
	assert_pos(e->pos, 10, 47, 48);
	assert_true(e->required);
	e = env_row(&m, "C", CG_ENV_USE, 0);
	assert_pos(e->pos, 10, 53, 54);
	assert_true(e->has_default);
	e = env_row(&m, "OUTER", CG_ENV_USE, 0);
	assert_pos(e->pos, 20, 17, 22);
	assert_true(e->has_default);
	e = env_row(&m, "INNER", CG_ENV_USE, 0);
	assert_pos(e->pos, 20, 26, 31);
	assert_false(e->has_default);
	/* `$$` is a literal dollar, in lists and strings */
	assert_int_equal(count_rows(&m, "HOME", CG_ENV_USE), 0);
	assert_int_equal(count_rows(&m, "X", CG_ENV_USE), 0);

	/* environment as a list */
	e = cg_env_lookup(&m, web, "DATABASE_URL");
	assert_string_equal(e->value, "postgres://db:5432/x");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_pos(e->pos, 7, 9, 21);
	assert_pos(e->value_pos, 7, 22, 42);
	e = cg_env_lookup(&m, web, "HOST_PASS");
	assert_null(e->value);
	assert_int_equal(e->value_kind, CG_VALUE_VARIABLE);
	assert_string_equal(e->ref, "HOST_PASS");
	assert_pos(e->pos, 8, 9, 18);
	e = cg_env_lookup(&m, web, "EMPTY");
	assert_string_equal(e->value, "");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_pos(e->value_pos, 9, 15, 15);
	e = cg_env_lookup(&m, web, "URL");
	assert_int_equal(e->value_kind, CG_VALUE_INTERP);
	assert_string_equal(e->value,
			    "http://$HOST:${PORT:-80}/${A:+x}${B?e}${C=d}");
	/* `.env` is only for interpolation: its TAG is not the service's,
	 * but env_file: .env imports it */
	assert_non_null(cg_env_lookup(&m, web, "TAG"));
	assert_null(cg_env_lookup(&m, worker, "TAG"));
	/* environment as a map */
	e = cg_env_lookup(&m, worker, "PYTHONUNBUFFERED");
	assert_string_equal(e->value, "0");
	e = cg_env_lookup(&m, worker, "PASS");
	assert_int_equal(e->value_kind, CG_VALUE_VARIABLE);
	assert_string_equal(e->ref, "PASS");
	assert_int_equal(cg_env_lookup(&m, worker, "NESTED")->value_kind,
			 CG_VALUE_INTERP_DEFAULT);

	/* entrypoint + command as lists */
	p = process_of(&m, web);
	assert_non_null(p);
	assert_int_equal(p->origin, CG_PROCESS_COMPOSE);
	assert_int_equal(p->argc, 5);
	assert_string_equal(p->argv[0], "python");
	assert_string_equal(p->argv[1], "-u");
	assert_string_equal(p->argv[4], "$$HOME");
	assert_string_equal(p->command, "python -u -m app '$$HOME'");
	assert_true(p->python);
	assert_true(p->unbuffered);
	assert_false(p->background);
	assert_pos(p->pos, 5, 14, 37);
	/* a folded string command, split as a shell splits words */
	p = process_of(&m, worker);
	assert_non_null(p);
	assert_int_equal(p->argc, 8);
	assert_string_equal(p->argv[0], "celery");
	assert_string_equal(p->argv[5], "w 1");
	assert_string_equal(p->argv[7], "a b");
	assert_string_equal(p->command,
			    "celery -A app worker --name \"w 1\" -Q 'a b'");
	assert_true(p->python);
	assert_true(p->worker);
	assert_false(p->unbuffered);
	assert_int_equal(p->pos.line, 14);
	assert_int_equal(p->pos.col, 14);
	/* sh -c: what the string runs */
	p = process_of(&m, service(&m, "plain")->own_scope);
	assert_int_equal(p->argc, 2);
	assert_string_equal(p->argv[0], "echo");
	assert_string_equal(p->command, "echo $$X");
	assert_false(p->python);
	assert_int_equal(m.facts.nprocesses, 3);
	cg_model_release(&m);
}

/* A `sh -c` string's command gets what the string puts in its
 * environment first, as NAME=value words: exports that surely ran before
 * it, its own assignments; `$(unknown)` for an export on some paths. */
static void test_compose__shell_c_environment(void **state)
{
	static const struct cg_mem_file files[] = {MEM(
	    "compose.yaml",
	    "services:\n"
	    "  a:\n"
	    "    command: sh -c \"export A=1 B; X=2; export X; unset C; "
	    "Y=3; D=4 exec python -u app.py\"\n"
	    "  b:\n"
	    "    command: [\"bash\", \"-c\", \"true || export A=1; "
	    "if x; then export B=1; fi; (export C=1); export E=1 | cat; "
	    "export F=1 & export G=1 && H=1 python app.py\"]\n"
	    "  c:\n"
	    "    command: sh -c \"set -a; A=1; set +a; B=1; python app.py\"\n"
	    "  d:\n"
	    "    command: sh -c \"python a.py\"\n"
	    "  e:\n"
	    "    command: sh -c \"export A=1; python a.py 2>&1 | tee log\"\n"
	    "  f:\n"
	    "    command: [\"bash\", \"-c\", \"declare -rx A=1; declare B=2; "
	    "typeset -x C; python a.py\"]\n"
	    "  g:\n"
	    "    command: [\"bash\", \"-c\", \"export A=1 B=2; export -n A; "
	    "declare -x C=3; declare +x C; python a.py\"]\n")};
	static const char *const want_a[] = {"A=1",  "X=2",    "C=", "D=4",
					     "exec", "python", "-u", "app.py"};
	static const char *const want_b[] = {
	    "A=$(unknown)", "B=$(unknown)", "G=1", "H=1", "python", "app.py"};
	struct cg_model m;
	const struct cg_process_fact *p;

	(void)state;
	build(&m, files, sizeof(files) / sizeof(*files));
	p = process_of(&m, service(&m, "a")->own_scope);
	assert_int_equal(p->argc, 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(p->argv[i], want_a[i]);
	assert_string_equal(p->command, "D=4 exec python -u app.py");
	assert_true(p->python);
	assert_true(p->unbuffered);
	assert_string_equal(cg_process_env_word(p, "C"), "");
	assert_string_equal(cg_process_env_word(p, "D"), "4");
	assert_null(cg_process_env_word(p, "B"));
	assert_null(cg_process_env_word(p, "Y"));
	/* b's `export F=1 &` is a row of its own: the last one is python */
	p = process_of(&m, service(&m, "b")->own_scope);
	assert_string_equal(p->command, "export F=1");
	p++;
	assert_int_equal(p->scope, service(&m, "b")->own_scope);
	assert_int_equal(p->argc, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(p->argv[i], want_b[i]);
	assert_true(p->python);
	p = process_of(&m, service(&m, "c")->own_scope);
	assert_int_equal(p->argc, 3);
	assert_string_equal(p->argv[0], "A=1");
	assert_string_equal(p->argv[1], "python");
	assert_null(cg_process_env_word(p, "B"));
	p = process_of(&m, service(&m, "d")->own_scope);
	assert_int_equal(p->argc, 2);
	assert_null(cg_process_env_word(p, "PYTHONUNBUFFERED"));
	/* every command of the last pipeline keeps running */
	p = process_of(&m, service(&m, "e")->own_scope);
	assert_string_equal(p->command, "python a.py 2>&1");
	assert_string_equal(cg_process_env_word(p, "A"), "1");
	assert_true(p->python);
	p++;
	assert_int_equal(p->scope, service(&m, "e")->own_scope);
	assert_string_equal(p->command, "tee log");
	assert_string_equal(p->argv[1], "tee");
	assert_false(p->python);
	/* bash's declare -x exports too; a plain declare does not */
	p = process_of(&m, service(&m, "f")->own_scope);
	assert_int_equal(p->argc, 3);
	assert_string_equal(p->argv[0], "A=1");
	assert_null(cg_process_env_word(p, "B"));
	/* export -n and declare +x take the export away (checked with
	 * bash): python gets neither A nor C */
	p = process_of(&m, service(&m, "g")->own_scope);
	assert_string_equal(cg_process_env_word(p, "B"), "2");
	assert_string_equal(cg_process_env_word(p, "A"), "");
	assert_string_equal(cg_process_env_word(p, "C"), "");
	cg_model_release(&m);
}

/* Which names are compose files, and which content is compose. */
static void test_compose__which_files(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("compose.yml", "services: {a: {image: redis}}\n"),
	    MEM("overrides/compose.redis.yaml",
		"services:\n  b:\n    image: redis\n"),
	    MEM("docker-compose.override.yml", "services: {c: {}}\n"),
	    MEM("ci/docker-compose-local.yaml",
		"version: '3'\nx-y: 1\nservices:\n  d: {image: x}\n"),
	    MEM("portainer/portainer-compose.yml",
		"services:\n  e:\n    image: x\n"),
	    MEM("stack/docker_compose.yml", "services: {f: {image: x}}\n"),
	    /* not compose */
	    MEM("composer.yml", "services: {g: {image: x}}\n"),
	    MEM("ansible/docker-compose.yml", "- hosts: all\n"),
	    MEM("tools/compose-lint.yml", "rules:\n  x: 1\n"),
	    MEM("docs/compose.yaml", "services:\n  - web\n"),
	    MEM("empty/compose.yaml", "# nothing yet\n"),
	    MEM("bad/compose.yaml", "services: [\n"),
	    MEM(".github/workflows/docker-compose.yml", "on: push\njobs: {}\n"),
	};
	struct cg_model m;
	size_t nfile_scopes = 0;

	(void)state;
	build(&m, files, sizeof(files) / sizeof(*files));
	for (const char *n = "abcdef"; *n; n++) {
		char name[2] = {*n, 0};

		assert_non_null(service(&m, name));
	}
	assert_int_equal(m.facts.nservices, 6);
	for (size_t i = 0; i < m.facts.nscopes; i++)
		if (m.facts.scopes[i].kind == CG_SCOPE_FILE &&
		    m.facts.scopes[i].place == CG_PLACE_COMPOSE)
			nfile_scopes++;
	assert_int_equal(nfile_scopes, 6);
	assert_true(has_note(&m, "ansible/docker-compose.yml: not read as a "
				 "compose file: it is not a mapping"));
	assert_true(has_note(&m, "tools/compose-lint.yml: not read as a "
				 "compose file: 'rules' is not a compose "
				 "top-level key"));
	assert_true(has_note(&m, "docs/compose.yaml: not read as a compose "
				 "file: its services: is not a mapping"));
	assert_true(has_note(&m, "empty/compose.yaml: not read as a compose "
				 "file: it is empty"));
	assert_true(has_note(&m, "bad/compose.yaml:"));
	assert_int_equal(m.nnotes, 5);
	assert_null(cg_model_find_src(&m, "composer.yml"));
	cg_model_release(&m);
}

/* An env_file under paths.ignore is neither read nor imported; its
 * reference stays (the file is still needed). */
static void test_compose__env_file_ignored_by_config(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("compose.yaml", "services:\n"
				"  a:\n"
				"    image: x\n"
				"    env_file: [secret.env, missing.env]\n"),
	    MEM("secret.env", "A=1\n"),
	};
	struct cg_config config;
	struct cg_model m;

	(void)state;
	cg_config_init(&config);
	cg_strlist_add(&config.paths_ignore, "secret.env");
	build_with(&m, files, 2, &config);
	assert_int_equal(m.nfiles, 1);
	assert_null(cg_env_lookup(&m, service(&m, "a")->own_scope, "A"));
	assert_non_null(file_ref(&m, "secret.env"));
	assert_non_null(file_ref(&m, "missing.env"));
	assert_int_equal(m.facts.scopes[service(&m, "a")->own_scope].nimports,
			 0);
	cg_model_release(&m);
	cg_config_release(&config);
}

/* Port forms at the edges: IPv6 host addresses, interpolated host ports
 * (a default is read as compose reads it, a bare name stays unknown),
 * long syntax with string ports, ranges too long to list. */
static void test_compose__port_edges(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("compose.yaml", "services:\n"
				"  r:\n"
				"    image: bitnami/redis\n"
				"    build: {context: .}\n"
				"    ports:\n"
				"      - \"[::1]:6381:6379\"\n"
				"      - \"${REDIS_PORT:-6379}:6379\"\n"
				"      - \"127.0.0.1::6379\"\n"
				"      - \"10000-20000:10000-20000\"\n"
				"      - \"9000-9010:80\"\n"
				"      - {target: \"7000\", published: 7001}\n"
				"      - \"::1:6379:6379\"\n"
				"      - \"${PORT}\"\n"),
	};
	static const unsigned want[][2] = {
	    {6379, 6381}, {6379, 6379}, {6379, 0}, {0, 0},
	    {80, 0},	  {7000, 7001}, {0, 0},
	};
	struct cg_model m;
	const struct cg_service_fact *s;

	(void)state;
	build(&m, files, 1);
	s = service(&m, "r");
	/* an image of a known kind stays that kind with a build: */
	assert_int_equal(s->kind, CG_SERVICE_REDIS);
	assert_int_equal(s->nports, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(s->ports[i].container, want[i][0]);
		assert_int_equal(s->ports[i].published, want[i][1]);
	}
	assert_int_equal(env_row(&m, "REDIS_PORT", CG_ENV_USE, 0)->pos.col, 12);
	cg_model_release(&m);
}

/* extends.file: the base's env under the service's own, and a chain of
 * files extending one another followed only so deep */
static void test_compose__extends_files(void **state)
{
	enum { N = 24 };
	struct cg_mem_file files[N];
	char paths[N][32], texts[N][160];
	struct cg_model m;
	bool noted = false;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "c%02d.compose.yml", i);
		if (i + 1 < N)
			snprintf(texts[i], sizeof(texts[i]),
				 "services:\n  s:\n    image: x\n"
				 "    environment: {V%d: \"1\"}\n"
				 "    extends: {file: c%02d.compose.yml, "
				 "service: s}\n",
				 i, i + 1);
		else
			snprintf(texts[i], sizeof(texts[i]),
				 "services:\n  s:\n    image: x\n"
				 "    environment: {V%d: \"1\"}\n",
				 i);
		files[i] =
		    (struct cg_mem_file){paths[i], texts[i], strlen(texts[i])};
	}
	build(&m, files, N);
	for (size_t i = 0; i < m.nnotes; i++)
		noted |= strstr(m.notes[i].message,
				"files extend one another") != NULL;
	assert_true(noted);
	/* the last file's service sees its own, the first sees the next */
	{
		size_t first = CG_NO_SCOPE;

		for (size_t i = 0; i < m.facts.nscopes; i++)
			if (m.facts.scopes[i].kind ==
				CG_SCOPE_COMPOSE_SERVICE &&
			    !strcmp(
				m.facts.scopes[m.facts.scopes[i].parent].name,
				"c00.compose.yml"))
				first = i;
		assert_true(first != CG_NO_SCOPE);
		assert_non_null(cg_env_lookup(&m, first, "V0"));
		assert_non_null(cg_env_lookup(&m, first, "V1"));
	}
	cg_model_release(&m);
}

/* A `sh -c` string nested deeper than the shell parser goes (64): the
 * service's process row is the command as written, the shell itself.
 * (fuzz_check found the parse's memory leaking on this path.) */
static void test_compose__shell_c_too_deep(void **state)
{
	char text[1024], *t = text;
	struct cg_mem_file file = {"compose.yaml", text, 0};
	struct cg_model m;
	const struct cg_process_fact *p;

	(void)state;
	t += sprintf(t, "services:\n  w:\n    command: sh -c \"");
	for (int i = 0; i < 100; i++)
		t += sprintf(t, "( ");
	t += sprintf(t, "python -m app");
	for (int i = 0; i < 100; i++)
		t += sprintf(t, " )");
	t += sprintf(t, "\"\n");
	file.len = (size_t)(t - text);
	build(&m, &file, 1);
	p = process_of(&m, service(&m, "w")->own_scope);
	assert_non_null(p);
	assert_string_equal(p->argv[0], "sh");
	assert_int_equal(p->argc, 3);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compose__services_ports_and_files),
	    cmocka_unit_test(test_compose__environment_commands_interpolation),
	    cmocka_unit_test(test_compose__shell_c_environment),
	    cmocka_unit_test(test_compose__shell_c_too_deep),
	    cmocka_unit_test(test_compose__which_files),
	    cmocka_unit_test(test_compose__env_file_ignored_by_config),
	    cmocka_unit_test(test_compose__port_edges),
	    cmocka_unit_test(test_compose__extends_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
