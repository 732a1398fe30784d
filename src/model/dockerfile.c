/*
 * Dockerfiles -> facts: one IMAGE scope per stage (FROM ... AS name), in
 * file order, holding the ENV the stage's containers start with as DEF
 * rows (place IMAGE). A stage built FROM an earlier stage (by name, or by
 * its index) starts with that stage's ENV; one FROM an image of a
 * registry starts with nothing ciguard can see.
 *
 * Which files: Dockerfile and Containerfile, with a suffix
 * (Dockerfile.dev) or a prefix (worker.Dockerfile, api.dockerfile). They
 * are read in the quick layer too: a compose service built from one runs
 * with its ENV (compose.c links the service's scope to the stage with
 * cg_image_stage_scope), and the quick rules ask what that env holds.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

static bool claims(const char *path)
{
	const char *b = cg_path_base(path);

	return !strcmp(b, "Dockerfile") || !strcmp(b, "Containerfile") ||
	       cg_starts_with(b, "Dockerfile.") ||
	       cg_starts_with(b, "Containerfile.") ||
	       cg_ends_with(b, ".Dockerfile") || cg_ends_with(b, ".dockerfile");
}

/* The scope of an earlier stage `from` names (its name or index), or
 * CG_NO_SCOPE for an image. */
static size_t base_stage(const struct cg_dockerfile *d, size_t upto,
			 const size_t *scopes, const char *from)
{
	char *end;
	unsigned long idx;

	if (!from)
		return CG_NO_SCOPE;
	for (size_t i = upto; i-- > 0;)
		if (d->stages[i].name && !strcasecmp(d->stages[i].name, from))
			return scopes[i];
	idx = strtoul(from, &end, 10);
	if (*from >= '0' && *from <= '9' && !*end && idx < upto)
		return scopes[idx];
	return CG_NO_SCOPE;
}

static void env_row(struct cg_model *m, const struct cg_src *src, size_t scope,
		    const struct cg_df_env *v)
{
	struct cg_env_fact e = {0};

	e.name = v->name;
	e.role = CG_ENV_DEF;
	e.place = CG_PLACE_IMAGE;
	e.scope = scope;
	e.src = src;
	e.pos = cg_src_pos(src, v->name_start, v->name_end);
	e.value = v->value;
	e.value_pos = cg_src_pos(src, v->value_start, v->value_end);
	e.value_has_pos = true;
	e.value_kind = cg_value_classify(m, v->value, &e.ref);
	cg_fact_env(m, &e);
}

static void build(struct cg_model *m, struct cg_file *f)
{
	struct cg_dockerfile d;
	size_t *scopes;

	cg_dockerfile_load(&d, &f->src);
	scopes = cg_xcalloc(d.nstages ? d.nstages : 1, sizeof(*scopes));
	for (size_t i = 0; i < d.nstages; i++) {
		const struct cg_df_stage *st = &d.stages[i];
		struct cg_pos pos =
		    cg_src_pos(&f->src, st->from_start, st->from_end);
		size_t base = base_stage(&d, i, scopes, st->from);
		const struct cg_facts *fx = &m->facts;
		size_t n0 = fx->nenv;

		scopes[i] = cg_fact_scope(m, CG_SCOPE_IMAGE, CG_NO_SCOPE,
					  st->name, &f->src, &pos);
		m->facts.scopes[scopes[i]].place = CG_PLACE_IMAGE;
		if (st->from && base == CG_NO_SCOPE)
			cg_fact_scope_image(m, scopes[i], st->from);
		/* what the base stage set, in its order, then this one's */
		for (size_t k = 0; base != CG_NO_SCOPE && k < n0; k++)
			if (fx->env[k].scope == base) {
				struct cg_env_fact e = fx->env[k];

				e.scope = scopes[i];
				cg_fact_env(m, &e);
			}
		for (size_t k = 0; k < st->nenv; k++)
			env_row(m, &f->src, scopes[i], &st->env[k]);
	}
	if (d.nstages)
		f->scope = scopes[d.nstages - 1];
	free(scopes);
	cg_dockerfile_release(&d);
}

size_t cg_image_stage_scope(const struct cg_model *m, const char *path,
			    const char *target)
{
	size_t last = CG_NO_SCOPE;

	for (size_t i = 0; i < m->facts.nscopes; i++) {
		const struct cg_scope *s = &m->facts.scopes[i];

		if (s->kind != CG_SCOPE_IMAGE || !s->src ||
		    strcmp(s->src->path, path))
			continue;
		if (target && s->name && !strcasecmp(s->name, target))
			return i;
		last = i;
	}
	/* no such target: docker refuses to build; no env is known */
	return target ? CG_NO_SCOPE : last;
}

static const char *const patterns[] = {"**/Dockerfile",
				       "**/Dockerfile.*",
				       "**/*.Dockerfile",
				       "**/*.dockerfile",
				       "**/Containerfile",
				       "**/Containerfile.*",
				       NULL};

const struct cg_loader cg_loader_dockerfile = {
    .id = "dockerfile",
    .patterns = patterns,
    .claims = claims,
    .format = CG_FILE_RAW,
    .layer = CG_LAYER_QUICK,
    .build = build,
};
