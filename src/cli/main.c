/* ciguard: the command table and top-level options [git's git.c]. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/core.h"
#if CG_ASAN
#include <sanitizer/lsan_interface.h>
#endif
#include "core/banned.h"

static const char usage[] =
    "usage: ciguard <command> [options]\n"
    "\n"
    "Stops \"green on my machine, red in CI\" failures before they reach "
    "CI.\n"
    "\n"
    "commands:\n"
    "  check [PATH]   lint the repository's CI, compose and env files\n"
    "  rules          list every rule with its layer and severity\n"
    "  explain ID     show what a rule finds, with a bad and a good "
    "example\n"
    "  env [PATH]     the env-variable checklist: each app variable and "
    "where\n"
    "                 .env.example, code, compose, CI and k8s name it\n"
    "  matrix [PATH]  print the service connectivity matrix (Markdown "
    "or JSON)\n"
    "  wait TARGET... wait until services are really ready (Redis, "
    "PostgreSQL,\n"
    "                 HTTP, TCP, processes, log lines), then run a "
    "command\n"
    "  slots VERB KEY at most N holders of KEY at once, kept in Redis "
    "(acquire,\n"
    "                 release, refresh, status, run -- COMMAND)\n"
    "  hooks VERB     install, uninstall or show the pre-commit and "
    "pre-push\n"
    "                 git hooks (VERB: install, uninstall, status)\n"
    "  doctor [PATH]  the incident checklist: services, workers, repository\n"
    "  flaky -- CMD   run CMD N times: pass/fail counts, durations, "
    "distinct\n"
    "                 failures; flaky or broken?\n"
    "  rca new TITLE  write a root-cause analysis from the template, "
    "filled in\n"
    "                 with doctor, the last commits and the findings "
    "(rca list)\n"
    "  completion SHELL\n"
    "                 print the bash or zsh completion script\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (also: ciguard <command> --help)\n"
    "  --version      print the version\n"
    "\n"
    "exit status: 0 clean, 1 findings, 2 usage error or ciguard could "
    "not do its job\n";

static const char *const slots_verbs[] = {"acquire", "release", "refresh",
					  "status",  "run",	NULL};
static const char *const hooks_verbs[] = {"install", "uninstall", "status",
					  NULL};
static const char *const shells[] = {"bash", "zsh", NULL};
static const char *const rca_verbs[] = {"new", "list", NULL};

const struct cli_command cli_commands[] = {
    {"check", cmd_check, &cli_check_spec, NULL,
     "lint the repository's CI, compose and env files"},
    {"rules", cmd_rules, &cli_rules_spec, NULL,
     "list every rule with its layer and severity"},
    {"explain", cmd_explain, &cli_explain_spec, NULL,
     "show what a rule finds, with a bad and a good example"},
    {"env", cmd_env, &cli_env_spec, NULL, "the env-variable checklist"},
    {"matrix", cmd_matrix, &cli_matrix_spec, NULL,
     "print the service connectivity matrix"},
    {"wait", cmd_wait, &cli_wait_spec, NULL,
     "wait until services are really ready, then run a command"},
    {"slots", cmd_slots, &cli_slots_spec, slots_verbs,
     "at most N holders of a key at once, kept in Redis"},
    {"hooks", cmd_hooks, &cli_hooks_spec, hooks_verbs,
     "install, uninstall or show ciguard's git hooks"},
    {"doctor", cmd_doctor, &cli_doctor_spec, NULL,
     "the incident checklist: services, workers, repository"},
    {"flaky", cmd_flaky, &cli_flaky_spec, NULL,
     "run a command N times: flaky or broken?"},
    {"rca", cmd_rca, &cli_rca_spec, rca_verbs,
     "write or list root-cause analyses"},
    {"completion", cmd_completion, NULL, shells,
     "print the bash or zsh completion script"},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(*cli_commands);

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ciguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/*
 * Out of memory, on any thread (cg_oom): one line on stderr, exit status 2.
 * The process ends with _exit, not exit: exit would flush what a report
 * has put in stdout's buffer so far (half a report, which a pipeline
 * could take for a whole one) and run the atexit handlers while the other
 * threads of check --jobs still run. A report is therefore complete or
 * absent. The leak check that exit would have run in a sanitizer build
 * runs here, first: what is in use is still reachable from the threads'
 * stacks, and anything lost before is reported (the exit status is then
 * the sanitizer's), unless a stale copy of its pointer still lies in a
 * live stack frame, the limit of any such scan. A second thread out of
 * memory at the same time waits for the first to end the process.
 */
static void out_of_memory(size_t n)
{
	static atomic_flag reported = ATOMIC_FLAG_INIT;
	char line[96];
	int len;

	if (atomic_flag_test_and_set(&reported))
		for (;;)
			pause();
	if (n)
		len = snprintf(line, sizeof(line),
			       "ciguard: out of memory allocating %zu bytes\n",
			       n);
	else
		len = snprintf(line, sizeof(line), "ciguard: out of memory\n");
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0) {
		/* no other way to say it: the exit status still does */
	}
#if CG_ASAN
	__lsan_do_leak_check();
#endif
	_exit(2);
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int main(int argc, char **argv)
{
	cg_set_oom_handler(out_of_memory);
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (size_t i = 0; i < cli_ncommands; i++)
				if (!strcmp(argv[2], cli_commands[i].name)) {
					char *args[] = {argv[2], "--help",
							NULL};

					return cli_commands[i].fn(2, args);
				}
		}
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ciguard %s\n", CIGUARD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strcmp(argv[1], cli_commands[i].name))
			return cli_commands[i].fn(argc - 1, argv + 1);
	cli_fail("'%s' is not a ciguard command (see 'ciguard --help')",
		 argv[1]);
	return 2;
}
