/*
 * env-no-comment (full layer, note): an entry of an example env file
 * (.env.example and its kin: .env.sample, .env.template, .env.dist, ...)
 * with neither a trailing comment nor a comment-only line directly above
 * it. The example file is where a newcomer learns what to set; a bare
 * `TIMEOUT=30` says neither what it does nor where a real value comes
 * from. The model reads the comments (envfile.c: `commented`); a blank
 * line between a comment and an entry detaches it, as the file reads.
 */
#include "rules/rule.h"
#include "core/banned.h"

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->role != CG_ENV_DEF || e->place != CG_PLACE_ENV_EXAMPLE ||
		    e->commented)
			continue;
		cg_report(ctx, e->src, &e->pos, e->name, NULL,
			  "`%s` in %s has no comment: say what it is for and "
			  "where a real value comes from",
			  e->name, e->src->path);
	}
}

const struct cg_rule cg_rule_env_no_comment = {
    .id = "env-no-comment",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_NOTE,
    .summary = "an entry of .env.example has no comment on its line or "
	       "directly above",
    .explain =
	"The example env file (.env.example, .env.sample, .env.template, "
	".env.dist and their kin) is the checklist a newcomer, and the next "
	"CI job, is set up from. An entry without a comment says neither "
	"what the variable does nor where a real value comes from, so it "
	"is copied blindly or left out.\n"
	"\n"
	"Each entry needs a trailing comment or a comment-only line "
	"directly above it (a blank line in between detaches the comment). "
	"One comment above a group documents only the entry right below "
	"it.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    # Postgres\n"
	"    DATABASE_URL=postgresql://app:app@localhost:5432/app\n"
	"    POOL_SIZE=5\n"
	"\n"
	"Good:\n"
	"\n"
	"    # Postgres, the compose service `postgres`\n"
	"    DATABASE_URL=postgresql://app:app@localhost:5432/app\n"
	"    POOL_SIZE=5  # connections per worker process\n",
    .hint = "add a comment on the line above or after the value: what it "
	    "is for, where a real value comes from",
    .check = check,
};
