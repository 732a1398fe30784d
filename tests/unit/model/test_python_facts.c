/* The Python loader's facts (src/model/python.c), from files given in
 * memory: module names, the env variables code reads, import resolution,
 * and that the quick layer never reads a .py file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

static int cmp_line(const void *a, const void *b)
{
	const struct cg_env_fact *x = a, *y = b;

	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	return x->pos.col < y->pos.col ? -1 : x->pos.col > y->pos.col;
}

/* The code uses of one file, as "NAME@line:col[ default]" lines in the
 * order of the file. */
static char *uses_of(const char *text)
{
	struct cg_mem_file files[] = {{"app/settings.py", text, strlen(text)}};
	struct cg_model m;
	struct cg_buf out = CG_BUF_INIT;

	build(&m, files, 1, CG_LAYER_FULL);
	if (m.facts.nenv)
		qsort(m.facts.env, m.facts.nenv, sizeof(*m.facts.env),
		      cmp_line);
	for (size_t i = 0; i < m.facts.nenv; i++) {
		const struct cg_env_fact *e = &m.facts.env[i];

		assert_int_equal(e->role, CG_ENV_USE);
		assert_int_equal(e->place, CG_PLACE_CODE);
		cg_buf_addf(&out, "%s@%u:%u%s\n", e->name, e->pos.line,
			    e->pos.col, e->has_default ? " default" : "");
	}
	cg_model_release(&m);
	{
		char *got = cg_buf_detach(&out, NULL);

		return got ? got : cg_xstrdup("");
	}
}

static void expect_uses(const char *text, const char *want)
{
	char *got = uses_of(text);

	if (strcmp(got, want)) {
		fprintf(stderr, "for:\n%s\ngot:\n%s\nwant:\n%s\n", text, got,
			want);
		free(got);
		fail();
	}
	free(got);
}

static void test_python_facts__os_environ_reads(void **state)
{
	(void)state;
	expect_uses("import os\n"
		    "a = os.environ['A']\n"
		    "b = os.environ.get(\"B\")\n"
		    "c = os.environ.get('C', 'x')\n"
		    "d = os.getenv('D')\n"
		    "e = os.getenv('E', default='1')\n"
		    "if 'F' in os.environ: pass\n"
		    "os.environ['G'] = '1'\n"
		    "os.environ.setdefault('H', 'h')\n",
		    "A@2:17\n"
		    "B@3:21\n"
		    "C@4:21 default\n"
		    "D@5:16\n"
		    "E@6:16 default\n"
		    "F@7:5 default\n"
		    "H@9:24 default\n");
	/* aliases and from-imports */
	expect_uses("import os as o\n"
		    "from os import environ as env, getenv\n"
		    "a = o.environ['A']\n"
		    "b = env['B']\n"
		    "c = env.get('C')\n"
		    "d = getenv('D', None)\n",
		    "A@3:16\n"
		    "B@4:10\n"
		    "C@5:14\n"
		    "D@6:13 default\n");
	/* near misses: not os, not a literal, an f-string, no import */
	expect_uses("import os\n"
		    "environ = {}\n"
		    "a = environ['A']\n"
		    "b = os.environ.get(name)\n"
		    "c = os.environ.get(f'C_{x}')\n"
		    "d = config.getenv('D')\n"
		    "e = os.environ.get('not a name')\n",
		    "");
	expect_uses("a = os.environ['A']\n", "");
}

static void test_python_facts__django_environ(void **state)
{
	(void)state;
	expect_uses("import environ\n"
		    "env = environ.Env(DEBUG=(bool, False))\n"
		    "SECRET_KEY = env('SECRET_KEY')\n"
		    "DEBUG = env('DEBUG')\n"
		    "DB = env.db_url('DATABASE_URL', default='sqlite://')\n"
		    "HOSTS = env.list('HOSTS', ['x'])\n"
		    "X = env.not_a_reader('X')\n"
		    "Y = other('Y')\n",
		    "SECRET_KEY@3:19\n"
		    "DEBUG@4:14 default\n"
		    "DATABASE_URL@5:18 default\n"
		    "HOSTS@6:19 default\n");
	/* `env` without environ.Env is any function */
	expect_uses("def env(x): return x\nA = env('A')\n", "");
	expect_uses("from .base import env\nA = env.str('A')\n", "A@2:14\n");
}

static void test_python_facts__pydantic_settings(void **state)
{
	(void)state;
	expect_uses("from pydantic_settings import BaseSettings, "
		    "SettingsConfigDict\n"
		    "from pydantic import Field, AliasChoices\n"
		    "class Settings(BaseSettings):\n"
		    "    model_config = SettingsConfigDict(env_prefix='app_')\n"
		    "    database_url: str\n"
		    "    debug: bool = False\n"
		    "    redis: str = Field(alias='REDIS_URL')\n"
		    "    key: str = Field(..., validation_alias=AliasChoices("
		    "'K1', 'K2'))\n"
		    "    port: int = Field(5432)\n"
		    "    _private: int = 1\n"
		    "    names: ClassVar[list] = []\n"
		    "    def method(self):\n"
		    "        local: int = 1\n"
		    "class Child(Settings):\n"
		    "    extra: str\n"
		    "class Plain(BaseModel):\n"
		    "    field: str\n",
		    "APP_DATABASE_URL@5:5\n"
		    "APP_DEBUG@6:5 default\n"
		    "REDIS_URL@7:31\n"
		    "K1@8:58\n"
		    "K2@8:64\n"
		    "APP_PORT@9:5 default\n"
		    "APP_EXTRA@15:5\n");
	/* v1: pydantic.BaseSettings, class Config */
	expect_uses("import pydantic\n"
		    "class S(pydantic.BaseSettings):\n"
		    "    url: str = pydantic.Field(env='THE_URL')\n"
		    "    level: str\n"
		    "    class Config:\n"
		    "        env_prefix = 'svc_'\n",
		    "THE_URL@3:36\n"
		    "SVC_LEVEL@4:5\n");
}

static const char *module_of(const struct cg_model *m, const char *path)
{
	for (size_t i = 0; i < m->facts.python.nfiles; i++)
		if (!strcmp(m->facts.python.files[i].src->path, path))
			return m->facts.python.files[i].module;
	return NULL;
}

static void test_python_facts__module_names(void **state)
{
	static const struct cg_mem_file files[] = {
	    {"svc/app/__init__.py", "", 0},
	    {"svc/app/main.py", "x = 1\n", 6},
	    {"svc/app/worker/__init__.py", "", 0},
	    {"svc/app/worker/__main__.py", "", 0},
	    {"svc/app/worker/pool.py", "", 0},
	    {"scripts/tool.py", "", 0},
	    {"top.py", "", 0},
	    {".venv/lib/python3.12/site-packages/x.py", "", 0},
	    {"env/pyvenv.cfg", "home = /usr/bin\n", 16},
	    {"env/bin/activate_this.py", "", 0},
	    /* the standard library's venv package is code */
	    {"lib/venv/__init__.py", "", 0},
	    {"build/lib/pkg/y.py", "", 0},
	    {"node_modules/z/a.py", "", 0},
	};
	struct cg_model m;
	const struct cg_py_file *f;

	(void)state;
	build(&m, files, sizeof(files) / sizeof(files[0]), CG_LAYER_FULL);
	assert_int_equal(m.facts.python.nfiles, 8);
	assert_string_equal(module_of(&m, "lib/venv/__init__.py"), "venv");
	assert_string_equal(module_of(&m, "svc/app/__init__.py"), "app");
	assert_string_equal(module_of(&m, "svc/app/main.py"), "app.main");
	assert_string_equal(module_of(&m, "svc/app/worker/__init__.py"),
			    "app.worker");
	assert_string_equal(module_of(&m, "svc/app/worker/__main__.py"),
			    "app.worker.__main__");
	assert_string_equal(module_of(&m, "svc/app/worker/pool.py"),
			    "app.worker.pool");
	assert_string_equal(module_of(&m, "scripts/tool.py"), "tool");
	assert_string_equal(module_of(&m, "top.py"), "top");
	f = cg_py_find_module(&m, "app.worker.pool", false);
	assert_non_null(f);
	assert_string_equal(f->src->path, "svc/app/worker/pool.py");
	f = cg_py_find_module(&m, "app.worker", true);
	assert_string_equal(f->src->path, "svc/app/worker/__main__.py");
	f = cg_py_find_module(&m, "app.worker", false);
	assert_string_equal(f->src->path, "svc/app/worker/__init__.py");
	/* by path when the folder is no package */
	f = cg_py_find_module(&m, "scripts.tool", false);
	assert_string_equal(f->src->path, "scripts/tool.py");
	assert_null(cg_py_find_module(&m, "app.nothing", false));
	cg_model_release(&m);
}

static void test_python_facts__canonical_names(void **state)
{
	static const char text[] = "import time as t\n"
				   "import redis.asyncio as aioredis\n"
				   "import urllib.request\n"
				   "from subprocess import run as sh\n"
				   "from . import sibling\n"
				   "def f():\n"
				   "    from requests import get\n"
				   "    get(u)\n"
				   "def g():\n"
				   "    get(u)\n"
				   "def h(t):\n"
				   "    t.sleep(1)\n";
	struct cg_mem_file files[] = {{"m.py", text, strlen(text)}};
	struct cg_model m;
	struct cg_buf out = CG_BUF_INIT;
	const struct cg_py_file *f;
	static const struct {
		uint32_t func;
		const char *in, *want;
		bool resolved;
	} cases[] = {
	    {CG_PY_NONE, "t.sleep", "time.sleep", true},
	    {CG_PY_NONE, "aioredis.Redis", "redis.asyncio.Redis", true},
	    {CG_PY_NONE, "urllib.request.urlopen", "urllib.request.urlopen",
	     true},
	    {CG_PY_NONE, "sh", "subprocess.run", true},
	    {CG_PY_NONE, "sibling.x", ".sibling.x", true},
	    {0, "get", "requests.get", true},
	    {1, "get", "get", false},
	    /* a parameter hides the module's import */
	    {2, "t.sleep", "t.sleep", false},
	    {CG_PY_NONE, "print", "print", false},
	};

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	f = &m.facts.python.files[0];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    cg_py_canonical(f, cases[i].func, cases[i].in, &out),
		    cases[i].resolved);
		assert_string_equal(out.buf, cases[i].want);
	}
	cg_buf_release(&out);
	cg_model_release(&m);
}

/* --quick never reads a .py file: no row, no note, no file. */
static void test_python_facts__quick_layer_reads_no_python(void **state)
{
	static const char code[] = "import os\nX = os.environ['X']\n";
	static const char wf[] = "on: push\njobs:\n  t:\n    runs-on: x\n"
				 "    steps:\n      - run: pytest\n";
	struct cg_mem_file files[] = {
	    {".github/workflows/ci.yml", wf, sizeof(wf) - 1},
	    {"app/main.py", code, sizeof(code) - 1},
	};
	struct cg_model m;

	(void)state;
	build(&m, files, 2, CG_LAYER_QUICK);
	assert_int_equal(m.facts.python.nfiles, 0);
	for (size_t i = 0; i < m.nfiles; i++)
		assert_false(cg_ends_with(m.files[i]->src.path, ".py"));
	for (size_t i = 0; i < m.facts.nenv; i++)
		assert_int_not_equal(m.facts.env[i].place, CG_PLACE_CODE);
	cg_model_release(&m);
	build(&m, files, 2, CG_LAYER_FULL);
	assert_int_equal(m.facts.python.nfiles, 1);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python_facts__os_environ_reads),
	    cmocka_unit_test(test_python_facts__django_environ),
	    cmocka_unit_test(test_python_facts__pydantic_settings),
	    cmocka_unit_test(test_python_facts__module_names),
	    cmocka_unit_test(test_python_facts__canonical_names),
	    cmocka_unit_test(test_python_facts__quick_layer_reads_no_python),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
