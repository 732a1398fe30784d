/*
 * dirty-worktree (the full layer without --staged: the pre-push hook):
 * tracked files with changes that are not committed, staged or not. A push
 * sends commits; the check, and the tests before it, read the work tree.
 * One finding per file, at line 1; beyond MANY files one more, a note,
 * gives the count (a checkout mid-way through a large change).
 *
 * git decides: `git diff HEAD` (work tree against the last commit), read
 * by the model; before the first commit nothing is pushed, nor reported.
 * Untracked files are not changes to tracked ones (untracked-required-file
 * judges those that CI would need).
 */
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

#define MANY 20

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_pos line1 = {1, 1, 1, 1};
	size_t n = 0;

	if (m->opt.staged || !m->git_changes_known)
		return;
	for (size_t i = 0; i < m->ngit_changes; i++) {
		const struct cg_git_change *c = &m->git_changes[i];
		struct cg_src at;

		if (!c->uncommitted)
			continue;
		memset(&at, 0, sizeof(at));
		at.path = c->path;
		cg_report(ctx, &at, &line1, c->path, NULL,
			  "`%s` has uncommitted changes: what is pushed is "
			  "not what was checked",
			  c->path);
		n++;
	}
	if (n > MANY) {
		struct cg_src at;

		memset(&at, 0, sizeof(at));
		at.path = m->git_changes[0].path;
		cg_report_note(ctx, &at, &line1, "dirty-worktree-summary",
			       "commit or stash them, then check again",
			       "%zu tracked files have uncommitted changes", n);
	}
}

const struct cg_rule cg_rule_dirty_worktree = {
    .id = "dirty-worktree",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "(pre-push) tracked files have uncommitted changes: what is "
	       "pushed is not what was checked",
    .explain =
	"A push sends commits. The full check, and whatever ran before the "
	"push, read the work tree. When tracked files have changes that are "
	"not committed (staged or not), the check passed on something CI "
	"will never see, and CI judges commits that were never checked as "
	"they are.\n"
	"\n"
	"The full layer without `--staged` reports each such file once, at "
	"line 1, and adds a note with the count when there are more than "
	"20. Untracked files are not reported here "
	"(untracked-required-file reports those CI would need).\n"
	"\n"
	"Bad:\n"
	"\n"
	"    $ vim .github/workflows/ci.yml   # not committed\n"
	"    $ git push                        # pushes the old workflow\n"
	"\n"
	"Good:\n"
	"\n"
	"    $ git commit -am 'ci: ...' && git push\n",
    .hint = "commit the change (or `git stash`) and check again",
    .check = check,
};
