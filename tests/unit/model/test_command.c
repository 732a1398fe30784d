/*
 * What a command line runs once its wrappers are looked through
 * (src/model/command.c), case by case. Where the wrappers are installed on
 * this machine the case also runs under the real bash, with a stand-in
 * `app` that leaves a mark: the program cg_cmd_unwrap names must be the one
 * that ran (or, when it names none, nothing ran).
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

#include "model/model.h"

struct unwrap_case {
	const char *line;
	unsigned flags;
	const char *want; /* the word it names, or "" for none */
};

static const struct unwrap_case cases[] = {
    {"app x", 0, "app"},
    {"env app", 0, "app"},
    {"env -u HOME app", 0, "app"},
    {"env --unset HOME app", 0, "app"},
    {"env -C / app", 0, "app"},
    {"env A=1 B=2 app x", 0, "app"},
    {"env", 0, ""},
    {"nice app", 0, "app"},
    {"nice -n 5 app", 0, "app"},
    {"nohup app", 0, "app"},
    {"setsid -w app", 0, "app"},
    {"stdbuf -oL app", 0, "app"},
    {"stdbuf -o L -e 0 app", 0, "app"},
    {"timeout 10 app", 0, "app"},
    {"timeout -s KILL 10 app", 0, "app"},
    {"timeout -k 5 10 app", 0, "app"},
    {"timeout --signal=TERM 10 app", 0, "app"},
    {"ionice -c 3 app", 0, "app"},
    {"ionice -c 2 -n 7 app", 0, "app"},
    {"command app", 0, "app"},
    {"command -v app", 0, ""},
    {"exec app", 0, "app"},
    {"exec -a name app", 0, "app"},
    {"nice -n 5 timeout 10 env A=1 app", 0, "app"},
    {"find / -maxdepth 0 -exec app {} \\;", CG_UNWRAP_FANOUT, "app"},
    {"find / -maxdepth 0 -exec app {} \\;", 0, "find"},
    {"find / -maxdepth 0 -name x", CG_UNWRAP_FANOUT, ""},
    {"xargs -n 1 app", CG_UNWRAP_FANOUT, "app"},
    /* wrappers this machine may lack: the table alone */
    {"sudo -u app2 -E app", 0, "app"},
    {"sudo A=1 app", 0, "app"},
    {"setsid -f app", 0, "app"},
    {"uv run --with x -p 3.12 app", 0, "app"},
    {"poetry run app", 0, "app"},
    {"poetry install", 0, "poetry"},
    {"npx -y -p pkg app", 0, "app"},
    {"npx", 0, "npx"},
    {"npm exec -- app", 0, "app"},
    {"npm test", 0, "npm"},
    {"pnpm dlx app", 0, "app"},
    {"yarn dlx app", 0, "app"},
    {"uvx --from pkg app", 0, "app"},
    {"pipx run --spec pkg app", 0, "app"},
    {"conda run -n env app", 0, "app"},
    {"bundle exec app", 0, "app"},
    {"coverage run --source x app.py", 0, "app.py"},
    {"coverage run -m app", 0, "-m"},
    {"xvfb-run -a app", 0, "app"},
    {"xvfb-run -s '-screen 0 1x1x8' app", 0, "app"},
    {"docker compose -f a.yml exec -T web app", CG_UNWRAP_CONTAINER, "app"},
    {"docker compose -f a.yml exec -T web app", 0, "docker"},
    {"docker run --rm -e A=1 img app", CG_UNWRAP_CONTAINER, "app"},
    {"docker run -d img app", CG_UNWRAP_CONTAINER, ""},
    {"docker ps", CG_UNWRAP_CONTAINER, ""},
    {"kubectl exec pod -c c -- app", CG_UNWRAP_CONTAINER, "app"},
    {"sudo docker exec db app", CG_UNWRAP_CONTAINER, "app"},
};

/* The word cg_sh_cmd_unwrap names in `line`, or "". */
static const char *named(const char *line, unsigned flags)
{
	static char out[64];
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;
	size_t i;

	assert_int_equal(cg_sh_parse(&s, line, strlen(line), 64), 0);
	assert_int_equal(s.top->n, 1);
	c = &s.top->items[0].pipes[0].cmds[0];
	i = cg_sh_cmd_unwrap(c, 0, flags);
	snprintf(out, sizeof(out), "%s", i < c->nwords ? c->words[i].text : "");
	cg_sh_release(&s);
	return out;
}

static void test_command__table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (strcmp(named(cases[i].line, cases[i].flags), cases[i].want))
			fail_msg("'%s' (flags %u): names '%s', want '%s'",
				 cases[i].line, cases[i].flags,
				 named(cases[i].line, cases[i].flags),
				 cases[i].want);
}

/* Is `prog` a shell keyword, builtin or installed program here? */
static bool have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static void test_command__table_is_bash(void **state)
{
	char dir[] = "/tmp/cg-unwrap-XXXXXX", app[64], mark[64], cmd[512];
	FILE *f;
	size_t ran_cases = 0;

	(void)state;
	if (!have("bash"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(app, sizeof(app), "%s/app", dir);
	snprintf(mark, sizeof(mark), "%s/ran", dir);
	f = fopen(app, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho app >> '%s'\n", mark);
	fclose(f);
	assert_int_equal(chmod(app, 0755), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct unwrap_case *k = &cases[i];
		char first[32];
		bool ran;

		/* the programs of the fanout and container cases run other
		 * things than `app` first (find's root, docker) */
		if (k->flags & CG_UNWRAP_CONTAINER)
			continue;
		sscanf(k->line, "%31s", first);
		if (!have(first) || (!k->flags && (!strcmp(first, "find") ||
						   !strcmp(first, "xargs"))))
			continue;
		/* package runners find their program their own way (npm
		 * exec fetches a package named `app`), not on PATH */
		if (strstr(" npm npx pnpm pnpx yarn bunx uv uvx pipx poetry "
			   "conda bundle coverage ",
			   first) &&
		    strlen(first) > 1)
			continue;
		unlink(mark);
		snprintf(cmd, sizeof(cmd),
			 "cd '%s' && PATH='%s':\"$PATH\" bash -c '%s' "
			 "</dev/null >/dev/null 2>&1",
			 dir, dir, k->line);
		(void)system(cmd);
		ran = access(mark, F_OK) == 0;
		/* `setsid -f` returns while its child starts */
		for (int t = 0; !ran && !strcmp(k->want, "app") && t < 300;
		     t++) {
			usleep(10000);
			ran = access(mark, F_OK) == 0;
		}
		if (ran != !strcmp(k->want, "app"))
			fail_msg("'%s': bash %s app, the table says '%s'",
				 k->line, ran ? "ran" : "did not run", k->want);
		ran_cases++;
	}
	unlink(mark);
	unlink(app);
	snprintf(cmd, sizeof(cmd), "%s/nohup.out", dir);
	unlink(cmd);
	rmdir(dir);
	/* env, nice, timeout, command... are on every Debian */
	assert_true(ran_cases >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command__table),
	    cmocka_unit_test(test_command__table_is_bash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
