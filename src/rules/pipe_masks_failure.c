/*
 * pipe-masks-failure: `pytest | tee log` where the shell has no pipefail. A
 * pipeline's status is its last command's, so the test failure disappears.
 * Whether the failure is really lost is rules/shell_flow.c's judgement (a
 * `${PIPESTATUS[0]}` read afterwards keeps it); this rule reports the losses
 * that happen at a `|`. The shell's pipefail comes from the step's shell
 * (GitHub's default `bash -e {0}` has none; `shell: bash` has it),
 * `set -o pipefail` and `shopt -so pipefail`.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/shell_flow.h"
#include "core/banned.h"

static const char *first_word(const struct cg_sh_cmd *c)
{
	if (c && c->kind == CG_SH_SIMPLE && c->nwords)
		return c->words[0].text;
	return "a command";
}

static void report_pipe(void *data, const struct cg_masked *mk)
{
	struct cg_rule_ctx *ctx = data;
	const struct cg_loss *l = &mk->loss;
	const struct cg_shell *sh = l->shell;
	const char *last = first_word(l->cmd);
	struct cg_pos pos;
	char *subject, *how, *msg;
	const char *hint;

	if (l->kind != CG_LOSS_PIPE || !sh)
		return;
	pos = cg_script_pos(l->s, l->start, l->start + 1);
	subject = cg_xasprintf("%s | %s", mk->name, last);
	if (sh->pipefail) /* on at the start: a set turned it off */
		how = cg_xstrdup("after `set +o pipefail`");
	else if (sh->node)
		how = cg_xasprintf("`shell: %s`", sh->node->str);
	else if (sh->by_script)
		how = cg_xasprintf("`%s`", sh->describe);
	else
		how = cg_xasprintf("%s", sh->describe);
	hint = sh->pipefail ? "keep pipefail on for the pipeline"
	       : sh->dash && !sh->by_script
		   ? "use `shell: bash` (sh may be dash, which has no "
		     "pipefail)"
	       : sh->node ? "add `set -o pipefail` before the pipeline"
	       : sh->by_script
		   ? "run it with `bash -o pipefail -c` (sh may be dash, "
		     "which has no pipefail), or start a bash script with "
		     "`set -o pipefail;`"
		   : "add `shell: bash` to the step (bash -eo pipefail), or "
		     "`set -o pipefail` before the pipeline";
	msg = cg_xasprintf("`%s` is piped into `%s` without pipefail (%s): "
			   "the job gets `%s`'s status, so a failure of `%s` "
			   "passes",
			   mk->name, last, how, last, mk->name);
	cg_report(ctx, cg_script_src(l->s, l->start), &pos, subject, hint, "%s",
		  msg);
	free(how);
	free(subject);
	free(msg);
}

struct script_ctx {
	struct cg_rule_ctx *ctx;
	struct cg_flow *flow;
};

static void check_script(void *data, const struct cg_script *s,
			 const struct cg_shell *shell,
			 const struct cg_script_at *at)
{
	struct script_ctx *sc = data;

	/* most scripts have no pipe: nothing to judge there */
	if (cg_flow_has_pipe(s))
		cg_flow_check(sc->flow, s, shell, at,
			      cg_rule_model(sc->ctx)->config, report_pipe,
			      sc->ctx);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct script_ctx sc = {ctx, cg_flow_new()};

	cg_flow_each_script(m, check_script, &sc);
	cg_flow_free(sc.flow);
}

const struct cg_rule cg_rule_pipe_masks_failure = {
    .id = "pipe-masks-failure",
    .weight = 1,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a critical command piped into another without pipefail",
    .explain = "A pipeline's exit status is the status of its last command "
	       "unless the shell runs with `set -o pipefail`. GitHub Actions "
	       "runs a `run:` step with no `shell:` as `bash -e {0}` (`sh -e "
	       "{0}` in a job container, where sh is often dash), which "
	       "has no pipefail, so `pytest | tee test.log` succeeds whenever "
	       "`tee` does, failing tests or not. `shell: bash` runs `bash "
	       "--noprofile --norc -eo pipefail {0}`, which has it; `shell: "
	       "sh` does not. A script given to `bash -c` or `sh -c` as a "
	       "literal string runs without pipefail unless the flags say "
	       "`-o pipefail` (and sh may be dash, which has none). Reading "
	       "`${PIPESTATUS[0]}` afterwards and failing with it is fine.\n"
	       "\n"
	       "Bad:\n"
	       "\n"
	       "    - run: pytest -q | tee test.log\n"
	       "\n"
	       "Good:\n"
	       "\n"
	       "    - shell: bash\n"
	       "      run: pytest -q | tee test.log\n"
	       "\n"
	       "    - run: |\n"
	       "        set -o pipefail\n"
	       "        pytest -q | tee test.log\n",
    .hint = "turn on pipefail for the pipeline",
    .check = check,
};
