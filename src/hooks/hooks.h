/*
 * `ciguard hooks`: the pre-commit (quick, staged) and pre-push (full) git
 * hooks, installed where git looks for them (`git rev-parse --git-path
 * hooks`: core.hooksPath, worktrees and submodules included).
 *
 * A hook that is not ours is never overwritten: it is renamed to
 * NAME.ciguard-chained (a rename keeps its bytes and its mode) and our hook
 * runs it first, with the same arguments and standard input; its failure
 * blocks as before. Uninstall renames it back. Installing twice changes
 * nothing.
 */
#ifndef CG_HOOKS_H
#define CG_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

enum cg_hook { CG_HOOK_PRE_COMMIT, CG_HOOK_PRE_PUSH, CG_HOOK_N };

/* "pre-commit", "pre-push" */
const char *cg_hook_name(enum cg_hook h);

/* The folder git runs hooks from, for the repository at `dir` (caller
 * frees); NULL with the error set when `dir` is not in a git repository. */
char *cg_hooks_dir(const char *dir);

struct cg_hook_status {
	bool ours;    /* our hook is installed */
	bool foreign; /* a hook that is not ours is there (not chained) */
	bool chained; /* ours runs a previous hook first */
	char *path;   /* the hook's path (owned) */
};

/* Install (idempotent) or uninstall one hook in `hooks_dir`. `ciguard` is
 * the absolute path recorded in the hook (found again through PATH when it
 * moves). 0, or a CG_E* with the error set. */
int cg_hook_install(const char *hooks_dir, enum cg_hook h, const char *ciguard);
int cg_hook_uninstall(const char *hooks_dir, enum cg_hook h);
void cg_hook_status(const char *hooks_dir, enum cg_hook h,
		    struct cg_hook_status *out);

#endif
