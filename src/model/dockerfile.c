/*
 * Dockerfiles -> facts: one IMAGE scope per stage (FROM ... AS name), in
 * file order, holding the ENV the stage's containers start with as DEF
 * rows (place IMAGE), and what they run (ENTRYPOINT and CMD) as a row of
 * m->image_commands. A stage built FROM an earlier stage (by name, or by
 * its index) starts with that stage's ENV, ENTRYPOINT and CMD; one FROM an
 * image of a registry starts with nothing ciguard can see.
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

/* The index of the stage `from` names among stages [0, upto), or -1. */
static long base_index(const struct cg_dockerfile *d, size_t upto,
		       const char *from)
{
	char *end;
	unsigned long idx;

	if (!from)
		return -1;
	for (size_t i = upto; i-- > 0;)
		if (d->stages[i].name && !strcasecmp(d->stages[i].name, from))
			return (long)i;
	idx = strtoul(from, &end, 10);
	if (*from >= '0' && *from <= '9' && !*end && idx < upto)
		return (long)idx;
	return -1;
}

/* Stage i's effective ENTRYPOINT and CMD (NULL: none), through the stages
 * it starts FROM (each an earlier one, so the walk ends). */
static void effective(const struct cg_dockerfile *d, size_t i,
		      const struct cg_df_command **ep,
		      const struct cg_df_command **cmd)
{
	bool cmd_known = false;
	long at = (long)i;

	*ep = *cmd = NULL;
	while (at >= 0 && (!*ep || !cmd_known)) {
		const struct cg_df_stage *st = &d->stages[at];

		if (!cmd_known && st->cmd.text) {
			*cmd = &st->cmd;
			cmd_known = true;
		}
		if (!*ep && st->entrypoint.text) {
			*ep = &st->entrypoint;
			/* an ENTRYPOINT of its own drops the CMD it would
			 * inherit */
			cmd_known = true;
		}
		at = base_index(d, (size_t)at, st->from);
	}
}

static void add_words(struct cg_model *m, const char ***argv, size_t *argc,
		      size_t *alloc, const struct cg_df_command *c)
{
	for (size_t k = 0; c && k < c->argc; k++) {
		CG_GROW(*argv, *alloc, *argc + 1);
		(*argv)[(*argc)++] = cg_arena_strdup(&m->arena, c->argv[k]);
	}
}

/* What stage i runs, as a row of m->image_commands. */
static void command_row(struct cg_model *m, const struct cg_src *src,
			const struct cg_dockerfile *d, size_t i, size_t scope)
{
	const struct cg_df_command *ep, *cmd, *at;
	struct cg_image_command *row;
	const char **argv = NULL;
	size_t argc = 0, alloc = 0;
	struct cg_buf line = CG_BUF_INIT;

	effective(d, i, &ep, &cmd);
	if (ep && ep->shell_form)
		cmd = NULL; /* `/bin/sh -c 'ep'`: CMD is not passed on */
	add_words(m, &argv, &argc, &alloc, ep);
	add_words(m, &argv, &argc, &alloc, cmd);
	if (!argc) {
		free(argv);
		return;
	}
	for (size_t k = 0; k < argc; k++) {
		if (k)
			cg_buf_addch(&line, ' ');
		cg_buf_addstr(&line, argv[k]);
	}
	at = cmd ? cmd : ep;
	CG_GROW(m->image_commands, m->image_commands_alloc,
		m->nimage_commands + 1);
	row = &m->image_commands[m->nimage_commands++];
	row->scope = scope;
	row->argv = cg_arena_alloc(&m->arena, argc * sizeof(*argv));
	memcpy(row->argv, argv, argc * sizeof(*argv));
	row->argc = argc;
	row->command = cg_arena_strdup(&m->arena, line.buf);
	row->src = src;
	row->pos = cg_src_pos(src, at->start, at->end);
	cg_buf_release(&line);
	free(argv);
}

static void build(struct cg_model *m, struct cg_file *f)
{
	struct cg_dockerfile d;
	size_t *scopes;

	/* `# ciguard: ignore[...]` on the line above an instruction */
	cg_collect_suppressions(m, f);
	cg_dockerfile_load(&d, &f->src);
	if (d.truncated)
		cg_model_note(m,
			      "%s: more than %d stages or %d ENV variables: "
			      "read up to there",
			      f->src.path, CG_DF_MAX_STAGES, CG_DF_MAX_ENV);
	scopes = cg_xcalloc(d.nstages ? d.nstages : 1, sizeof(*scopes));
	for (size_t i = 0; i < d.nstages; i++) {
		const struct cg_df_stage *st = &d.stages[i];
		struct cg_pos pos =
		    cg_src_pos(&f->src, st->from_start, st->from_end);
		long bi = base_index(&d, i, st->from);
		size_t base = bi >= 0 ? scopes[bi] : CG_NO_SCOPE;
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
		command_row(m, &f->src, &d, i, scopes[i]);
	}
	if (d.nstages)
		f->scope = scopes[d.nstages - 1];
	free(scopes);
	cg_dockerfile_release(&d);
}

size_t cg_image_stage_scope(const struct cg_model *m, const struct cg_file *f,
			    const char *target)
{
	size_t k = f->scope;

	if (f->loader != &cg_loader_dockerfile || k >= m->facts.nscopes)
		return CG_NO_SCOPE;
	if (!target)
		return k; /* the last stage */
	/* the file's stages are consecutive scopes, the last one f->scope */
	for (;; k--) {
		const struct cg_scope *s = &m->facts.scopes[k];

		if (s->kind != CG_SCOPE_IMAGE || s->src != &f->src)
			break;
		if (s->name && !strcasecmp(s->name, target))
			return k;
		if (!k)
			break;
	}
	/* no such target: docker refuses to build; no env is known */
	return CG_NO_SCOPE;
}

const struct cg_image_command *cg_image_command(const struct cg_model *m,
						size_t scope)
{
	for (size_t i = 0; i < m->nimage_commands; i++)
		if (m->image_commands[i].scope == scope)
			return &m->image_commands[i];
	return NULL;
}

static void release(struct cg_model *m)
{
	free(m->image_commands);
	m->image_commands = NULL;
	m->nimage_commands = m->image_commands_alloc = 0;
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
    .release = release,
};
