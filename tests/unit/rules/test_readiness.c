/* What checks that a started process is up (rules/readiness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rules/readiness.h"

/* The kind of the first command of `text`, and its target. */
static enum cg_ready_kind kind_of(const char *text, struct cg_ready_target *t)
{
	struct cg_script s;
	enum cg_ready_kind k;

	memset(&s, 0, sizeof(s));
	assert_int_equal(cg_sh_parse(&s.sh, text, strlen(text), 64), 0);
	assert_true(s.sh.top->n > 0);
	k = cg_ready_classify(&s, &s.sh.top->items[0].pipes[0].cmds[0], t);
	cg_sh_release(&s.sh);
	return k;
}

static void test_readiness__classify(void **state)
{
	static const struct {
		const char *text;
		enum cg_ready_kind kind;
		enum cg_service_kind target;
		unsigned port;
	} cases[] = {
	    {"sleep 5", CG_READY_SLEEP, CG_SERVICE_OTHER, 0},
	    {"wait", CG_READY_JOIN, CG_SERVICE_OTHER, 0},
	    {"echo started", CG_READY_NEUTRAL, CG_SERVICE_OTHER, 0},
	    {"export X=1", CG_READY_NEUTRAL, CG_SERVICE_OTHER, 0},
	    {"docker compose ps", CG_READY_NEUTRAL, CG_SERVICE_OTHER, 0},
	    {"docker compose -f ci.yml logs api", CG_READY_NEUTRAL,
	     CG_SERVICE_OTHER, 0},
	    {"pg_isready -h localhost -p 5433", CG_READY_CHECK,
	     CG_SERVICE_POSTGRES, 5433},
	    {"redis-cli -p 6380 ping", CG_READY_CHECK, CG_SERVICE_REDIS, 6380},
	    {"redis-cli -u redis://localhost:6390/0 PING", CG_READY_CHECK,
	     CG_SERVICE_REDIS, 6390},
	    {"redis-cli set a b", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"mysqladmin ping -h 127.0.0.1 -P 3307", CG_READY_CHECK,
	     CG_SERVICE_MYSQL, 3307},
	    {"curl -fsS http://localhost:8080/__admin/health", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 8080},
	    {"curl -fsS -o out.json -H 'A: b' localhost:9000/x", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 9000},
	    {"curl -s http://api/health", CG_READY_CHECK, CG_SERVICE_OTHER, 80},
	    {"curl -fsS \"$API_URL/health\"", CG_READY_CHECK, CG_SERVICE_OTHER,
	     0},
	    {"curl -fsSL https://github.com/o/r/releases/download/v1/x -o x",
	     CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"wget -q --spider http://127.0.0.1:3000/", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 3000},
	    {"nc -z localhost 5432", CG_READY_CHECK, CG_SERVICE_OTHER, 5432},
	    {"nc -vz db 6379", CG_READY_CHECK, CG_SERVICE_OTHER, 6379},
	    {"nc localhost 5432", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"pgrep -f app.worker", CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"echo > /dev/tcp/localhost/5432", CG_READY_CHECK, CG_SERVICE_OTHER,
	     5432},
	    {"exec 3<>/dev/tcp/db/6379", CG_READY_CHECK, CG_SERVICE_OTHER,
	     6379},
	    {"kill -0 $!", CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"kill $!", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"ciguard wait --timeout 60s redis://localhost:6379",
	     CG_READY_CHECK, CG_SERVICE_REDIS, 6379},
	    {"ciguard check --quick", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"dockerize -wait tcp://db:5432 -timeout 60s", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 5432},
	    {"./scripts/wait-for-it.sh localhost:5672 -t 60", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 5672},
	    {"bash scripts/wait_for_db.sh", CG_READY_CHECK, CG_SERVICE_OTHER,
	     0},
	    {"python -m app.wait_ready --port 8001", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 8001},
	    {"python -m app.worker", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"bash -c 'echo hi'", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"./bin/healthcheck", CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"npx wait-on http://localhost:3000", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 3000},
	    {"make wait-for-db", CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"docker compose up -d --wait", CG_READY_CHECK, CG_SERVICE_OTHER,
	     0},
	    {"docker compose up -d", CG_READY_USE, CG_SERVICE_OTHER, 0},
	    {"docker compose exec -T db pg_isready -U postgres", CG_READY_CHECK,
	     CG_SERVICE_POSTGRES, 0},
	    {"docker run -d --name healthcheck-demo nginx", CG_READY_USE,
	     CG_SERVICE_OTHER, 0},
	    {"docker run --rm --network host curlimages/curl curl -f "
	     "http://localhost:8000",
	     CG_READY_CHECK, CG_SERVICE_OTHER, 8000},
	    {"kubectl wait --for=condition=ready pod -l app=api",
	     CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"kubectl exec deploy/db -- pg_isready", CG_READY_CHECK,
	     CG_SERVICE_POSTGRES, 0},
	    {"timeout 30 env A=1 pg_isready", CG_READY_CHECK,
	     CG_SERVICE_POSTGRES, 0},
	    {"until curl -fs localhost:8000; do sleep 1; done", CG_READY_CHECK,
	     CG_SERVICE_OTHER, 8000},
	    {"while ! grep -q started worker.log; do sleep 1; done",
	     CG_READY_CHECK, CG_SERVICE_OTHER, 0},
	    {"while read -r f; do echo $f; done < list", CG_READY_USE,
	     CG_SERVICE_OTHER, 0},
	    {"for i in $(seq 30); do pg_isready && break; sleep 1; done",
	     CG_READY_CHECK, CG_SERVICE_POSTGRES, 0},
	    {"for f in *.json; do sleep 1; done", CG_READY_USE,
	     CG_SERVICE_OTHER, 0},
	    {"pytest -q", CG_READY_USE, CG_SERVICE_OTHER, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_ready_target t;
		enum cg_ready_kind k = kind_of(cases[i].text, &t);

		if (k != cases[i].kind ||
		    (k == CG_READY_CHECK &&
		     (t.kind != cases[i].target || t.port != cases[i].port)))
			fail_msg("%s: kind %d target %d port %u, want %d %d %u",
				 cases[i].text, (int)k, (int)t.kind, t.port,
				 (int)cases[i].kind, (int)cases[i].target,
				 cases[i].port);
	}
}

static void test_readiness__action_names(void **state)
{
	assert_true(cg_ready_action_checks("iFaxity/wait-on-action@v1"));
	assert_true(cg_ready_action_checks("jakejarvis/wait-action@master"));
	assert_true(cg_ready_action_checks("o/r/healthcheck@v2"));
	assert_false(cg_ready_action_checks("actions/checkout@v4"));
	assert_false(cg_ready_action_checks("waiter/checkout@v4"));
	assert_false(cg_ready_action_checks("docker://wait-for:1"));
	assert_false(cg_ready_action_checks(NULL));
}

/* ------------------------------------------------ over a built model */

static void build(struct cg_model *m, const char *workflow)
{
	struct cg_model_options o = {0};
	struct cg_mem_file f = {".github/workflows/ci.yml", workflow,
				strlen(workflow)};

	o.root = "mem";
	o.layer = CG_LAYER_QUICK;
	o.mem_files = &f;
	o.nmem_files = 1;
	assert_int_equal(cg_model_build(m, &o), 0);
}

struct trace {
	char text[1024];
};

static bool record(void *ctx, const struct cg_ready_event *ev)
{
	struct trace *t = ctx;
	static const char *const names[] = {"use", "neutral", "sleep", "check",
					    "join"};
	size_t n = strlen(t->text);

	snprintf(t->text + n, sizeof(t->text) - n, "%zu:%s%s%s%s ", ev->item,
		 ev->cmd && ev->cmd->kind == CG_SH_SIMPLE && ev->cmd->nwords
		     ? ev->cmd->words[0].text
		 : ev->cmd ? "{}"
			   : "step",
		 ev->background ? "&" : "", "=", names[ev->kind]);
	return true;
}

static void test_readiness__walk_order(void **state)
{
	struct cg_model m;
	struct trace t = {""};

	build(&m, "on: push\n"
		  "jobs:\n"
		  "  t:\n"
		  "    runs-on: ubuntu-latest\n"
		  "    steps:\n"
		  "      - uses: actions/checkout@v4\n"
		  "      - run: |\n"
		  "          up() { curl -fs localhost:8000; }\n"
		  "          ./server &\n"
		  "          X=$(pgrep server)\n"
		  "          up\n"
		  "          bash -c 'sleep 2; pytest'\n"
		  "          ps aux | grep server\n"
		  "          until nc -z localhost 1; do sleep 1; done\n"
		  "      - uses: iFaxity/wait-on-action@v1\n");
	assert_int_equal(m.facts.ngroups, 1);
	cg_ready_walk(&m.facts.groups[0], record, &t);
	assert_string_equal(t.text, "0:step=use 1:./server&=use 1:pgrep=check "
				    "1:{}=neutral 1:curl=check 1:sleep=sleep "
				    "1:pytest=use 1:ps=check 1:{}=check "
				    "2:step=check ");
	cg_model_release(&m);
}

static void test_readiness__group_checks_match_the_service(void **state)
{
	struct cg_model m;
	const unsigned wiremock[] = {8080}, postgres[] = {5432};

	build(&m,
	      "on: push\n"
	      "jobs:\n"
	      "  t:\n"
	      "    runs-on: ubuntu-latest\n"
	      "    steps:\n"
	      "      - run: |\n"
	      "          for f in mappings/*.json; do\n"
	      "            curl -fsS -X POST localhost:8080/__admin/mappings"
	      " --data-binary @$f\n"
	      "          done\n"
	      "      - run: curl -fsS localhost:5432 &\n");
	assert_true(cg_ready_group_checks(&m.facts.groups[0],
					  CG_SERVICE_WIREMOCK, wiremock, 1));
	/* a check of another port, and one in the background, do not
	 * count for postgres */
	assert_false(cg_ready_group_checks(&m.facts.groups[0],
					   CG_SERVICE_POSTGRES, postgres, 1));
	cg_model_release(&m);
	build(&m, "on: push\n"
		  "jobs:\n"
		  "  t:\n"
		  "    runs-on: ubuntu-latest\n"
		  "    steps:\n"
		  "      - run: ./scripts/wait-for-services.sh\n");
	/* a wait script of unknown target counts for every service */
	assert_true(cg_ready_group_checks(&m.facts.groups[0],
					  CG_SERVICE_POSTGRES, postgres, 1));
	cg_model_release(&m);
	build(&m, "on: push\n"
		  "jobs:\n"
		  "  t:\n"
		  "    runs-on: ubuntu-latest\n"
		  "    steps:\n"
		  "      - run: pg_isready -h localhost\n");
	assert_true(cg_ready_group_checks(&m.facts.groups[0],
					  CG_SERVICE_POSTGRES, NULL, 0));
	assert_false(cg_ready_group_checks(&m.facts.groups[0], CG_SERVICE_REDIS,
					   NULL, 0));
	cg_model_release(&m);
}

struct starts {
	const struct cg_model *m;
	const struct cg_process_fact *rows[16];
	size_t nrows;
	char text[512];
};

static bool collect_starts(void *ctx, const struct cg_ready_event *ev)
{
	struct starts *st = ctx;
	const struct cg_process_fact *p =
	    cg_ready_start(st->m, ev, st->rows, st->nrows);
	size_t n = strlen(st->text);

	if (p)
		snprintf(st->text + n, sizeof(st->text) - n, "[%s] ",
			 p->command);
	return true;
}

static void test_readiness__starts(void **state)
{
	struct cg_model m;
	struct starts st = {0};

	build(&m, "on: push\n"
		  "jobs:\n"
		  "  t:\n"
		  "    runs-on: ubuntu-latest\n"
		  "    steps:\n"
		  "      - run: |\n"
		  "          cd app && python -m app.server > s.log 2>&1 &\n"
		  "          python -m app.worker | tee w.log &\n"
		  "          pytest tests/a &\n"
		  "          sleep 600 &\n"
		  "          tail -f s.log &\n"
		  "          nohup ./build.sh\n"
		  "          setsid ./build.sh\n"
		  "          setsid --fork ./daemon\n"
		  "          docker compose up -d\n"
		  "          docker compose up -d --wait\n"
		  "          docker run -d redis:7\n");
	st.m = &m;
	for (size_t i = 0; i < m.facts.nprocesses && st.nrows < 16; i++)
		st.rows[st.nrows++] = &m.facts.processes[i];
	cg_ready_walk(&m.facts.groups[0], collect_starts, &st);
	assert_string_equal(st.text,
			    "[python -m app.server] [python -m app.worker] "
			    "[setsid --fork ./daemon] [docker compose up -d] "
			    "[docker run -d redis:7] ");
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readiness__classify),
	    cmocka_unit_test(test_readiness__action_names),
	    cmocka_unit_test(test_readiness__walk_order),
	    cmocka_unit_test(test_readiness__group_checks_match_the_service),
	    cmocka_unit_test(test_readiness__starts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
