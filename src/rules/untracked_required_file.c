/*
 * untracked-required-file: a path that CI, compose or kustomize reads from
 * the repository exists in the work tree but git does not have it
 * (untracked, or ignored), so a fresh clone, the one CI makes, will not
 * have it either. The references are the model's (facts.h, file refs): a
 * script a CI step runs, a -f/--file/--config file it names, a local
 * action, a compose env_file, bind-mount source and secrets/configs
 * `file:`, the Dockerfile of a compose `build:`, a WireMock mappings
 * folder, a configMapGenerator file. What git has
 * of each path the model works out (file_refs.c); a path built from an
 * expression never becomes a reference.
 *
 * Not reported, because CI may have the file after all:
 *  - an earlier command of the same CI job writes it or a folder it is in
 *    (`cp .env.example .env`, `python -m venv .venv`, `> out.txt`), or
 *    an actions/download-artifact or actions/cache step may restore it, or
 *    any CI job does, for compose and k8s references; a GitLab
 *    artifacts/cache path covers it;
 *  - it is ignored (build output, by the look of it) and an earlier
 *    command of the job may write files it does not name: a build, an
 *    install, a download, a script of the repository, an action other
 *    than checkout and setup-*;
 *  - a compose env_file with `required: false`;
 *  - an ignored folder bind-mounted writable: a data or log folder the
 *    container fills, which docker creates when it is missing.
 */
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

/* `path` is `dir` or inside it. */
static bool at_or_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Output row `o` makes `path` (or part of it, for a folder). */
static bool makes(const struct cg_file_ref *o, const char *path)
{
	if (o->unplaced) {
		/* written at a folder not known: any folder */
		size_t n = strlen(path), k = strlen(o->path);

		for (size_t i = 0; i + k <= n; i++)
			if ((i == 0 || path[i - 1] == '/') &&
			    !strncmp(path + i, o->path, k) &&
			    (path[i + k] == '\0' || path[i + k] == '/'))
				return true;
		return false;
	}
	if (strpbrk(o->path, "*?[")) {
		/* a GitLab artifacts/cache glob: the path or a folder of it */
		char buf[4096];
		size_t n = strlen(path);

		if (n >= sizeof(buf))
			return false;
		memcpy(buf, path, n + 1);
		for (;;) {
			char *slash;

			if (cg_glob_match(o->path, buf))
				return true;
			if (!(slash = strrchr(buf, '/')))
				return false;
			*slash = '\0';
		}
	}
	return at_or_under(path, o->path) || at_or_under(o->path, path);
}

/* Does CI make reference `i` before it is read? */
static bool made_by_ci(const struct cg_facts *f, size_t i)
{
	const struct cg_file_ref *r = &f->file_refs[i];

	for (size_t k = 0; k < f->nfile_refs; k++) {
		const struct cg_file_ref *o = &f->file_refs[k];

		if (o->kind == CG_REF_OUTPUT &&
		    (o->group == CG_NO_GROUP || r->group == CG_NO_GROUP ||
		     (o->group == r->group && k < i)) &&
		    makes(o, r->path))
			return true;
		if (o->kind == CG_REF_BUILD && r->git == CG_REF_GIT_IGNORED &&
		    r->group != CG_NO_GROUP && o->group == r->group && k < i)
			return true;
	}
	return false;
}

static const char *what(const struct cg_file_ref *r)
{
	switch (r->kind) {
	case CG_REF_SCRIPT:
		return r->folder ? "the action"
		       : cg_starts_with(r->path, ".github/workflows/")
			   ? "the reusable workflow"
			   : "the script";
	case CG_REF_ENV_FILE:
		return "the env_file";
	case CG_REF_VOLUME:
		return r->folder ? "the bind-mounted folder"
				 : "the bind-mounted file";
	case CG_REF_CONFIG_FILE:
		return "the file";
	case CG_REF_MAPPINGS:
		return "the WireMock mappings folder";
	case CG_REF_K8S_FILE:
		return "the configMapGenerator file";
	case CG_REF_DOCKERFILE:
		return "the Dockerfile";
	default:
		return "the file";
	}
}

static const char *who(const struct cg_file_ref *r)
{
	switch (r->kind) {
	case CG_REF_ENV_FILE:
	case CG_REF_VOLUME:
	case CG_REF_MAPPINGS:
	case CG_REF_DOCKERFILE:
		return "compose in a fresh clone (CI's)";
	case CG_REF_K8S_FILE:
		return "kustomize in a fresh clone (CI's)";
	default:
		return "CI";
	}
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_facts *f = &m->facts;

	for (size_t i = 0; i < f->nfile_refs; i++) {
		const struct cg_file_ref *r = &f->file_refs[i];
		bool ignored = r->git == CG_REF_GIT_IGNORED;

		if (r->kind == CG_REF_OUTPUT || r->kind == CG_REF_BUILD ||
		    (!ignored && r->git != CG_REF_GIT_UNTRACKED) ||
		    !r->required)
			continue;
		if (r->kind == CG_REF_VOLUME && r->folder && ignored &&
		    !r->read_only)
			continue;
		if (made_by_ci(f, i))
			continue;
		cg_report(
		    ctx, r->src, &r->pos, r->path,
		    ignored ? "`git add -f` it (or stop ignoring it), "
			      "or have CI create it before it is read"
			    : "`git add` it, or have CI create it before "
			      "it is read",
		    "%s `%s` is %s: %s will not have it", what(r), r->path,
		    ignored ? "ignored by git" : "not tracked by git", who(r));
	}
}

const struct cg_rule cg_rule_untracked_required_file = {
    .id = "untracked-required-file",
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a file CI or compose reads exists here but git does not "
	       "have it (untracked or ignored): CI will not have it",
    .explain =
	"CI runs on a fresh clone. A script a step runs, a file a step "
	"names with -f/--file/--config, a local action, a compose env_file, "
	"bind-mount source or secrets/configs `file:`, the Dockerfile a "
	"compose `build:` names, a WireMock mappings folder, a kustomize "
	"configMapGenerator file, a GitLab `include: local:` file: when it "
	"exists in your work tree but is "
	"untracked or ignored by git, everything works here and CI fails "
	"with \"No such file or directory\" (or, for a bind mount, gets an "
	"empty folder that docker made).\n"
	"\n"
	"The finding points at the reference. Paths are read as the runner "
	"reads them: from the step's working-directory, following `cd`; a "
	"path built from an expression (`${{ }}`, `$VAR`) is skipped, never "
	"guessed. Not reported: a file an earlier command of the job writes "
	"(`cp .env.example .env`, `python -m venv .venv`, a redirection) or "
	"an earlier actions/download-artifact or actions/cache step may "
	"restore, or any CI job writes for compose files, or a GitLab "
	"artifacts/cache path covers; an ignored file after a command that "
	"may write files it "
	"does not name (a build, an install, a script of the repository, an "
	"action other than checkout and setup-*); an env_file with "
	"`required: false`; an ignored folder mounted writable (a data "
	"folder the container fills). Outside a git work tree nothing is "
	"reported.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    # .gitignore has .env\n"
	"    services:\n"
	"      app:\n"
	"        env_file: .env\n"
	"\n"
	"Good:\n"
	"\n"
	"    services:\n"
	"      app:\n"
	"        env_file:\n"
	"          - path: .env\n"
	"            required: false\n"
	"\n"
	"or commit the file (`git add scripts/ci.sh`), or create it in CI "
	"before it is read (`cp .env.example .env`).\n",
    .hint = "`git add` the file, or have CI create it before it is read",
    .check = check,
};
