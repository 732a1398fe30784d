/* `ciguard hooks install|uninstall|status [--pre-commit] [--pre-push]`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "hooks/hooks.h"
#include "core/core.h"
#include "core/banned.h"

enum { OPT_PRE_COMMIT, OPT_PRE_PUSH };

static const struct cli_opt hooks_options[] = {
    {"pre-commit", 0, NULL,
     "only the pre-commit hook (`check --quick --staged`)", OPT_PRE_COMMIT},
    {"pre-push", 0, NULL, "only the pre-push hook (`check`)", OPT_PRE_PUSH},
};

const struct cli_spec cli_hooks_spec = {
    .cmd = "hooks",
    .head = "usage: ciguard hooks install|uninstall|status [--pre-commit] "
	    "[--pre-push] [PATH]\n"
	    "\n"
	    "Install, remove or show ciguard's git hooks in the repository at "
	    "PATH\n(default: the current folder): pre-commit runs `ciguard "
	    "check --quick --staged`,\npre-push runs `ciguard check`. Without "
	    "--pre-commit or --pre-push, both.\n"
	    "Hooks go where git runs them from (`git rev-parse --git-path "
	    "hooks`, so\ncore.hooksPath and worktrees count). A hook that is "
	    "not ciguard's is kept:\nciguard's hook runs it first, and its "
	    "failure still blocks; uninstall puts it\nback as it was. "
	    "Installing twice changes nothing.\n"
	    "\n",
    .opts = hooks_options,
    .nopts = sizeof(hooks_options) / sizeof(*hooks_options),
    .column = 16,
};

/* This program's absolute path, for the hook to run (GUI git clients
 * give hooks a short PATH). */
static char *self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return cg_xstrdup("ciguard");
	buf[n] = '\0';
	return cg_xstrdup(buf);
}

int cmd_hooks(int argc, char **argv)
{
	struct cli_parser p;
	const char *verb = NULL, *dir = ".";
	bool want[CG_HOOK_N] = {false, false}, some = false;
	char *hooks_dir, *self;
	int id, rc = 0;

	cli_parser_init(&p, &cli_hooks_spec, argc, argv);
	while ((id = cli_next(&p)) != CLI_END) {
		if (id == CLI_HELP)
			return 0;
		if (id == CLI_ERROR)
			return 2;
		if (id == OPT_PRE_COMMIT || id == OPT_PRE_PUSH) {
			want[id == OPT_PRE_COMMIT ? CG_HOOK_PRE_COMMIT
						  : CG_HOOK_PRE_PUSH] = true;
			some = true;
		} else if (id == CLI_ARG && !verb) {
			verb = p.arg;
		} else if (id == CLI_ARG && !strcmp(dir, ".")) {
			dir = p.arg;
		} else {
			return cli_fail("hooks: unexpected argument '%s' (see "
					"'ciguard hooks --help')",
					p.arg);
		}
	}
	if (!verb || (strcmp(verb, "install") && strcmp(verb, "uninstall") &&
		      strcmp(verb, "status")))
		return cli_fail("hooks: say install, uninstall or status (see "
				"'ciguard hooks --help')");
	if (!some)
		want[CG_HOOK_PRE_COMMIT] = want[CG_HOOK_PRE_PUSH] = true;
	if (!(hooks_dir = cg_hooks_dir(dir)))
		return cli_fail("hooks: %s", cg_error_last());
	self = self_path();
	for (int h = 0; h < CG_HOOK_N; h++) {
		struct cg_hook_status st;
		const char *name = cg_hook_name((enum cg_hook)h);

		if (!want[h])
			continue;
		if (!strcmp(verb, "install") &&
		    cg_hook_install(hooks_dir, (enum cg_hook)h, self) < 0) {
			rc = cli_fail("hooks: %s", cg_error_last());
			continue;
		}
		if (!strcmp(verb, "uninstall") &&
		    cg_hook_uninstall(hooks_dir, (enum cg_hook)h) < 0) {
			rc = cli_fail("hooks: %s", cg_error_last());
			continue;
		}
		cg_hook_status(hooks_dir, (enum cg_hook)h, &st);
		if (st.ours)
			printf("%s: ciguard's, at %s%s\n", name, st.path,
			       st.chained ? "; runs the hook that was there "
					    "before first"
					  : "");
		else if (st.foreign)
			printf("%s: a hook that is not ciguard's is at %s%s\n",
			       name, st.path,
			       strcmp(verb, "status")
				   ? ""
				   : "; `ciguard hooks install` keeps it and "
				     "runs it first");
		else
			printf("%s: not installed (%s)\n", name, st.path);
		free(st.path);
	}
	free(self);
	free(hooks_dir);
	return rc;
}
