/*
 * env-checklist (full layer, warning): a variable the app needs is named
 * in some of the places the repository keeps variables in (its example
 * env file, code, compose, CI, Kubernetes) but missing from another. One
 * finding per variable (per example file's tree in a monorepo), where it
 * first appears: the example file, then code, compose, CI, k8s. What
 * counts in each place is checklist.c's business; `ciguard env` prints
 * the same table.
 */
#include <string.h>

#include "rules/checklist.h"
#include "core/banned.h"

/* The title of column c for row r's unit: its example file's path. */
static const char *title(const struct cg_checklist *cl,
			 const struct cg_cl_row *r, int c)
{
	const struct cg_cl_unit *u = &cl->units[r->unit];

	if (c == CG_CL_EXAMPLE && u->example)
		return u->example->path;
	return cg_cl_col_title((enum cg_cl_col)c);
}

/* "a", "a and b", "a, b and c" of the columns set in `on`. */
static void join(struct cg_buf *b, const struct cg_checklist *cl,
		 const struct cg_cl_row *r, const bool on[CG_CL_NCOLS])
{
	size_t total = 0, k = 0;

	for (int c = 0; c < CG_CL_NCOLS; c++)
		total += on[c];
	for (int c = 0; c < CG_CL_NCOLS; c++) {
		if (!on[c])
			continue;
		if (k)
			cg_buf_addstr(b, k + 1 == total ? " and " : ", ");
		cg_buf_addstr(b, title(cl, r, c));
		k++;
	}
}

/* Only reads in code with no default need the variable: a default there
 * would do instead of an entry. */
static bool only_code_needs(const struct cg_cl_row *r)
{
	for (int c = 0; c < CG_CL_NCOLS; c++)
		if (r->cell[c].demands ||
		    (c != CG_CL_CODE && r->cell[c].needs_example))
			return false;
	return r->cell[CG_CL_CODE].needs_example;
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct cg_checklist cl;
	struct cg_buf in = CG_BUF_INIT, out = CG_BUF_INIT, hint = CG_BUF_INIT;

	cg_checklist_build(m, &cl);
	for (size_t i = 0; i < cl.nrows; i++) {
		const struct cg_cl_row *r = &cl.rows[i];
		const struct cg_env_fact *first = cg_cl_first(r);
		bool missing[CG_CL_NCOLS], present[CG_CL_NCOLS];

		if (!first || !cg_cl_missing(&cl, r, missing))
			continue;
		for (int c = 0; c < CG_CL_NCOLS; c++)
			present[c] = r->cell[c].first != NULL;
		cg_buf_reset(&in);
		cg_buf_reset(&out);
		cg_buf_reset(&hint);
		join(&in, &cl, r, present);
		join(&out, &cl, r, missing);
		if (only_code_needs(r))
			cg_buf_addf(&hint,
				    "add `%s` to %s, give its read in code a "
				    "default, or list it under `env.ignore` in "
				    ".ciguard.yml when it is not the app's",
				    r->name, out.buf);
		else
			cg_buf_addf(
			    &hint,
			    "add `%s` to %s, or list it under "
			    "`env.ignore` in .ciguard.yml when it is not "
			    "the app's",
			    r->name, out.buf);
		cg_report(ctx, first->src, &first->pos, r->name, hint.buf,
			  "`%s` is in %s but missing from %s", r->name, in.buf,
			  out.buf);
	}
	cg_buf_release(&in);
	cg_buf_release(&out);
	cg_buf_release(&hint);
	cg_checklist_release(&cl);
}

const struct cg_rule cg_rule_env_checklist = {
    .id = "env-checklist",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "a variable is in some of .env.example, code, compose, CI "
	       "and k8s but missing from another",
    .explain =
	"A variable added in one place and forgotten in the others works on "
	"one machine and fails in CI or in production. The places are the "
	"example env file (.env.example, .env.sample, .env.template, "
	".env.dist; a committed .env where there is none), compose (the "
	"environment and env_file of services that run the app; `${X}` "
	"interpolation anywhere needs X in the example file only), CI "
	"(env/variables of the jobs that run the "
	"app or its tests, at any level, and `NAME=value` a step writes to "
	"`$GITHUB_ENV`, which names a variable without needing it "
	"elsewhere) and Kubernetes (container env, "
	"envFrom ConfigMaps and Secrets), and code that reads "
	"variables (JavaScript/TypeScript `process.env.X`, "
	"`process.env[\"X\"]`, destructuring from `process.env`, "
	"`import.meta.env.X`; Python: os.environ, os.getenv, django-environ, "
	"pydantic settings fields): a read with no default needs the variable "
	"in "
	"the example file; one with a default (`process.env.X || \"d\"`, "
	"`?? \"d\"`, `os.getenv(\"X\", \"d\")`, `{ X = \"d\" } = process.env`) "
	"needs nothing, and code "
	"is never a place a variable is missing from. A place counts once it "
	"names at "
	"least one app variable. A variable that some place needs and "
	"another lacks is reported once, where it first appears. "
	"`${X:-default}` has a default: it needs nothing. Third-party "
	"containers (the postgres image's POSTGRES_PASSWORD), names the CI "
	"or the runtime sets (CI, GITHUB_*, PATH, PYTHON*, LC_*, NODE_*, "
	"npm_*, ...) and `env.ignore` of .ciguard.yml are not app variables. "
	"Each example "
	"file documents its own folder tree.\n"
	"\n"
	"Bad (.env.example names PAYMENTS_API_URL, the CI job does not):\n"
	"\n"
	"    # .env.example\n"
	"    # the payments API (WireMock locally)\n"
	"    PAYMENTS_API_URL=http://localhost:8080\n"
	"    # .github/workflows/ci.yml, job test\n"
	"    env:\n"
	"      DATABASE_URL: postgresql://app:app@localhost:5432/app\n"
	"\n"
	"Good:\n"
	"\n"
	"    env:\n"
	"      DATABASE_URL: postgresql://app:app@localhost:5432/app\n"
	"      PAYMENTS_API_URL: http://localhost:8080\n",
    .hint = "add the variable to the places it is missing from, or list it "
	    "under `env.ignore` in .ciguard.yml",
    .check = check,
    .weight = 1,
};
