/*
 * The code rules seeing Python modules go by while the model is built
 * (cg_check_begin / cg_check_code / cg_check_finish, what `ciguard check`
 * does) find exactly what they find over a model that kept its code
 * (cg_check_run); the streamed model keeps no structure and no text of
 * a module, and gives the text back when a report asks for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules/rule.h"
#include "core/diag_list.h"

static const char limiter_py[] = "import redis\n"
				 "r = redis.Redis()\n"
				 "\n"
				 "def acquire(key, job, limit):\n"
				 "    if r.zcard(key) < limit:\n"
				 "        r.zadd(key, {job: 1})\n"
				 "        return True\n"
				 "    return False\n";

static const char main_py[] = "import time\n"
			      "\n"
			      "async def status():\n"
			      "    time.sleep(1)\n"
			      "    return 'ok'\n";

/* a worker with neither a health route nor a startup line */
static const char pool_py[] = "def run():\n"
			      "    while True:\n"
			      "        pass\n"
			      "\n"
			      "if __name__ == '__main__':\n"
			      "    run()\n";

/* one with both: its marks must hold until the check */
static const char web_py[] = "import logging\n"
			     "from fastapi import FastAPI\n"
			     "log = logging.getLogger(__name__)\n"
			     "app = FastAPI()\n"
			     "\n"
			     "@app.get('/healthz')\n"
			     "def health():\n"
			     "    return {'ok': True}\n"
			     "\n"
			     "def main():\n"
			     "    log.info('web worker started')\n";

static const char compose_yml[] = "services:\n"
				  "  worker:\n"
				  "    build: .\n"
				  "    command: python -u -m app.worker.pool\n"
				  "  web:\n"
				  "    build: .\n"
				  "    command: python -u -m app.web_worker\n";

static const struct cg_mem_file repo[] = {
    {"app/__init__.py", "", 0},
    {"app/main.py", main_py, sizeof(main_py) - 1},
    {"app/web_worker.py", web_py, sizeof(web_py) - 1},
    {"app/worker/__init__.py", "", 0},
    {"app/worker/limiter.py", limiter_py, sizeof(limiter_py) - 1},
    {"app/worker/pool.py", pool_py, sizeof(pool_py) - 1},
    {"docker-compose.yml", compose_yml, sizeof(compose_yml) - 1},
};

static void options(struct cg_model_options *mo, struct cg_check_options *co)
{
	memset(mo, 0, sizeof(*mo));
	mo->root = "repo";
	mo->layer = CG_LAYER_FULL;
	mo->jobs = 1;
	mo->mem_files = repo;
	mo->nmem_files = sizeof(repo) / sizeof(repo[0]);
	memset(co, 0, sizeof(*co));
	co->layer = CG_LAYER_FULL;
	co->jobs = 1;
}

/* One line per finding: rule path:line:col message. */
static char *lines_of(struct cg_diag_list *l)
{
	size_t size = 1;
	char *out;

	cg_diag_list_sort(l);
	for (size_t i = 0; i < l->n; i++)
		size += strlen(l->items[i].rule) + strlen(l->items[i].path) +
			strlen(l->items[i].message) + 64;
	out = calloc(1, size);
	assert_non_null(out);
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_diag *d = &l->items[i];

		snprintf(out + strlen(out), size - strlen(out),
			 "%s %s:%u:%u %s\n", d->rule, d->path, d->pos.line,
			 d->pos.col, d->message);
	}
	return out;
}

static void test_streamed_check_finds_what_a_kept_model_does(void **state)
{
	struct cg_model_options mo;
	struct cg_check_options co;
	struct cg_check_session *s;
	struct cg_model kept, streamed;
	struct cg_diag_list a, b;
	char *want, *got;

	(void)state;
	options(&mo, &co);
	assert_int_equal(cg_model_build(&kept, &mo), 0);
	cg_diag_list_init(&a);
	cg_check_run(&a, &kept, &co);
	want = lines_of(&a);

	s = cg_check_begin(&streamed, &co);
	mo.code_visit = cg_check_code;
	mo.code_arg = s;
	assert_int_equal(cg_model_build(&streamed, &mo), 0);
	cg_diag_list_init(&b);
	cg_check_finish(s, &b);
	got = lines_of(&b);

	assert_string_equal(got, want);
	assert_non_null(strstr(got, "redis-check-then-act "
				    "app/worker/limiter.py:6:9 "));
	assert_non_null(strstr(got, "async-blocking-call app/main.py:4:5 "));
	assert_non_null(strstr(got, "worker-missing-health "
				    "docker-compose.yml:4:"));
	assert_non_null(strstr(got, "worker-missing-startup-log "
				    "docker-compose.yml:4:"));
	assert_null(strstr(got, "app.web_worker"));
	free(want);
	free(got);
	cg_diag_list_release(&a);
	cg_diag_list_release(&b);
	cg_model_release(&kept);
	cg_model_release(&streamed);
}

static void test_streamed_model_keeps_no_code_and_reads_it_again(void **state)
{
	struct cg_model_options mo;
	struct cg_check_options co;
	struct cg_check_session *s;
	struct cg_model m;
	struct cg_diag_list out;
	const struct cg_src *src;
	size_t nfiles;

	(void)state;
	options(&mo, &co);
	s = cg_check_begin(&m, &co);
	mo.code_visit = cg_check_code;
	mo.code_arg = s;
	assert_int_equal(cg_model_build(&m, &mo), 0);
	nfiles = m.facts.python.nfiles;
	assert_int_equal(nfiles, 6);
	for (size_t i = 0; i < nfiles; i++) {
		const struct cg_py_file *f = &m.facts.python.files[i];

		assert_int_equal(f->code.ncalls + f->code.ndefs, 0);
		assert_int_equal(f->src->len, 0);
		assert_non_null(f->module);
	}
	/* the text report's source lines */
	src = cg_model_find_src(&m, "app/main.py");
	assert_non_null(src);
	assert_int_equal(src->len, sizeof(main_py) - 1);
	assert_memory_equal(src->text, main_py, src->len);
	assert_int_equal(src->nlines, 6);
	cg_diag_list_init(&out);
	cg_check_finish(s, &out);
	cg_diag_list_release(&out);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_streamed_check_finds_what_a_kept_model_does),
	    cmocka_unit_test(
		test_streamed_model_keeps_no_code_and_reads_it_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
