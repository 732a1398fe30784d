/*
 * partially-staged (--staged only): a file with staged changes that also
 * has changes in the work tree. The tests, the linters, the run a
 * developer watched: all saw the work tree, while the commit holds what is
 * staged. One finding per file, at line 1 (what differs may be anywhere,
 * and the file may be one no loader reads: a Python module, a script).
 *
 * git decides both sides: `git diff --cached` (index against HEAD) and
 * `git diff` (work tree against the index), read by the model.
 */
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_pos line1 = {1, 1, 1, 1};

	if (!m->opt.staged || !m->git_changes_known)
		return;
	for (size_t i = 0; i < m->ngit_changes; i++) {
		const struct cg_git_change *c = &m->git_changes[i];
		struct cg_src at;

		if (!c->staged || !c->unstaged)
			continue;
		memset(&at, 0, sizeof(at));
		at.path = c->path;
		cg_report(ctx, &at, &line1, c->path, NULL,
			  "`%s` is staged and also changed in the work tree: "
			  "the commit holds the staged version, not the one "
			  "that was tested",
			  c->path);
	}
}

const struct cg_rule cg_rule_partially_staged = {
    .id = "partially-staged",
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_WARNING,
    .summary = "(--staged) a staged file also has unstaged changes: what is "
	       "committed is not what was tested",
    .explain =
	"`git add -p`, or an edit after `git add`, leaves a file with one "
	"version in the index and another in the work tree. Everything run "
	"before the commit (the tests, a local CI run, the pre-commit hook's "
	"own checks of other files) saw the work tree; the commit records "
	"the index. The classic failure: a fix stays unstaged, the commit "
	"passes locally and fails in CI.\n"
	"\n"
	"Only `ciguard check --staged` (the pre-commit hook) reports it, once "
	"per file, at line 1. The file may be any tracked file, not only one "
	"ciguard reads.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    $ git add app.py      # then edit app.py again\n"
	"    $ git commit\n"
	"\n"
	"Good:\n"
	"\n"
	"    $ git add app.py      # stage all of it\n"
	"    $ git stash --keep-index && pytest && git stash pop\n",
    .hint = "stage the rest (`git add FILE`), or test what is staged: "
	    "`git stash --keep-index`, run the tests, `git stash pop`",
    .check = check,
};
