/*
 * ci-env-required: a variable the application requires is not set for a CI
 * job that runs a critical command (tests, migrations, ciguard).
 *
 * Required: the names in `.ciguard.yml` `env.required`, and the entries of
 * an example env file (`.env.example`, ...) marked `# required`; a name
 * that an `env.ignore` glob matches is exempt. An example file at the root
 * documents the whole repository; one in a folder (a monorepo's app)
 * applies to the jobs whose scripts name that folder (`cd api`,
 * `pytest api/tests`). A job that names no such folder is not judged
 * against it (a `working-directory:` is not seen).
 *
 * Set for the job, as far as the repository shows it:
 *   - a definition visible in the scope of a step that runs a critical
 *     command: its `env:`, the job's, the workflow's (GitLab: the job's and
 *     the top-level `variables:`). A secret, a variable or an expression
 *     counts; an empty value does not;
 *   - in the script that runs the critical command: `export NAME=...`,
 *     `declare -x`, `NAME=... pytest`, `env NAME=... pytest`, a plain
 *     assignment under `set -a` or exported later (GitLab: the job's one
 *     script);
 *   - GitHub: `NAME=...` written to `$GITHUB_ENV` (echo, printf, a
 *     here-document) by an earlier step;
 *   - the example file itself, when the job names it (`cp .env.example
 *     .env`), or an env file the script sources.
 * What cannot be read gives no finding for the job: a file sourced that
 * the model did not load (a virtualenv's `activate` aside), text written to
 * `$GITHUB_ENV` that is not `NAME=...`, an `env:` given as an expression.
 * A critical command run inside a container (`docker compose run`, `docker
 * exec`, `kubectl exec`) has that container's environment, not the job's:
 * it does not make the job critical. Any step of the job that runs a
 * critical command and sees the variable is enough.
 *
 * How: the wants are read once per run, with the folder and file name of
 * each example file as indices into two sorted tables. A job's literal
 * words are walked once to stamp the folders and file names they name;
 * only a job that some want applies to has its scripts read for critical
 * commands and for what they set. Names a script sets are kept as pieces
 * of its text, and one set of buffers serves every job.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "core/banned.h"

/* A piece of a longer string: a folder of a path, a name in a script. */
struct span {
	const char *p;
	size_t n;
};

/* A name the rule asks for, and who asks: an example file's entry, or
 * .ciguard.yml when `mark` is NULL. */
struct want {
	const char *name;
	const struct cg_env_fact *mark;
	/* the mark's folder (CG_NO_INDEX at the root) and file name, as
	 * indices into wants.dirs and wants.bases */
	size_t dir, base;
	/* the want before it with the same name, or CG_NO_INDEX: a job is
	 * judged on a name once, for the first want of it that applies */
	size_t same_before;
};

/* The wants of the run and the tables made of them, once for all jobs. */
struct wants {
	struct want *w;
	size_t n;
	struct span *dirs; /* the example files' folders, sorted, unique */
	size_t ndirs;
	/* what a folder can start with, and how long it can be: most words
	 * name none, and are passed over on their first byte */
	bool dir_first[256];
	size_t dir_min, dir_max;
	struct span *bases; /* their file names, sorted, unique */
	size_t nbases;
	bool need_words; /* some want asks what the job's words name */
	/* the wants that apply to every job (.ciguard.yml's, the root's),
	 * and per folder those of its example files (by_dir[by_dir_start[k]]
	 * up to by_dir_start[k + 1]), each in want order: a job reads only
	 * those of the folders it names */
	size_t *global, nglobal;
	size_t *by_dir, *by_dir_start;
};

/* Names a script sets, as pieces of its text, each once. */
struct names {
	struct span *items;
	size_t n, alloc;
};

/* What one job's scripts do, as far as they can be read. One is made per
 * run and reset for each job. */
struct job {
	const struct cg_model *m;
	const struct wants *wants;
	const struct cg_script_group *g;
	size_t stamp; /* the job's own: dir_named/base_named hold it when
			 a word of the job names that folder / file */
	size_t *dir_named, *base_named;
	size_t *named_dirs; /* the folders the job names, each once */
	size_t nnamed_dirs, named_dirs_alloc;
	size_t *applies; /* per want: the stamp of the jobs it applies to */
	size_t *appl;	 /* the wants that apply to the job, in order */
	size_t nappl, appl_alloc;
	bool *critical; /* per item: runs a critical command */
	size_t critical_alloc, ncritical;
	/* the name of the first critical command, preferring a built-in one
	 * (a test run, a migration) to one .ciguard.yml adds (a linter) */
	struct cg_buf first;
	bool first_builtin;
	struct cg_buf name, line; /* scratch */
	struct names set, assigned, exported;
	size_t *sourced; /* FILE scopes of env files the scripts source */
	size_t nsourced, sourced_alloc;
	bool allexport;
	bool unknown; /* sets env we cannot read */
	bool found;   /* visit_find_critical: the item runs one */
};

typedef void (*visit_fn)(struct job *j, const struct cg_script *s,
			 const struct cg_sh_cmd *c);

static bool eq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* strcmp's order for pieces of strings. */
static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

/* The index of [p, p + n) in the sorted table `t`, or CG_NO_INDEX. */
static size_t span_find(const struct span *t, size_t nt, const char *p,
			size_t n)
{
	size_t lo = 0, hi = nt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = span_cmp(t[mid].p, t[mid].n, p, n);

		if (!r)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return CG_NO_INDEX;
}

static bool names_has(const struct names *l, const char *p, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].n == n && !memcmp(l->items[i].p, p, n))
			return true;
	return false;
}

/* The name [w, w + n) (which stays where it is: script text). */
static void add_name(struct names *l, const char *w, size_t n)
{
	if (names_has(l, w, n))
		return;
	CG_GROW(l->items, l->alloc, l->n + 1);
	l->items[l->n].p = w;
	l->items[l->n++].n = n;
}

/* Length of the NAME in `NAME=...` (or `NAME<<` when heredoc), else 0. */
static size_t name_len(const char *w, bool heredoc)
{
	size_t n = 0;

	if (!((w[0] >= 'A' && w[0] <= 'Z') || (w[0] >= 'a' && w[0] <= 'z') ||
	      w[0] == '_'))
		return 0;
	while ((w[n] >= 'A' && w[n] <= 'Z') || (w[n] >= 'a' && w[n] <= 'z') ||
	       (w[n] >= '0' && w[n] <= '9') || w[n] == '_')
		n++;
	if (w[n] == '=' || (heredoc && w[n] == '<' && w[n + 1] == '<'))
		return n;
	return 0;
}

/* `NAME=value` with a value: the name is set (an empty value is not). */
static void add_assignment(struct names *l, const char *w)
{
	size_t n = name_len(w, false);

	if (n && w[n + 1])
		add_name(l, w, n);
}

/* ------------------------------------------------------------ walking */

/* A walk over a job's scripts. */
struct walk {
	struct job *j;
	visit_fn fn;
};

static void walk_list(const struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, unsigned depth);

static void walk_cmd(const struct walk *w, const struct cg_script *s,
		     const struct cg_sh_cmd *c, unsigned depth)
{
	if (c->kind == CG_SH_SIMPLE) {
		w->fn(w->j, s, c);
		return;
	}
	for (size_t b = 0; b < 3; b++)
		walk_list(w, s, c->body[b], depth + 1);
	for (size_t a = 0; a < c->narms; a++)
		walk_list(w, s, c->arms[a], depth + 1);
}

static void walk_list(const struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, unsigned depth)
{
	if (!l || depth > 200)
		return;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++)
				walk_cmd(w, s, &ao->pipes[p].cmds[k],
					 depth + 1);
	}
}

/* Every simple command of `s` and of the scripts inside it. */
static void walk_nested(const struct walk *w, const struct cg_script *s,
			unsigned depth)
{
	if (!s || depth > 32)
		return;
	walk_list(w, s, s->sh.top, 0);
	for (size_t i = 0; i < s->nnested; i++)
		walk_nested(w, s->nested[i].script, depth + 1);
}

static void walk_script(struct job *j, const struct cg_script *s, visit_fn fn)
{
	struct walk w = {j, fn};

	walk_nested(&w, s, 0);
}

/* ------------------------------------------------- critical commands */

/* The command's program after the wrappers (cg_cmd_unwrap), not into
 * containers: those are the program. */
static const char *program(const struct cg_sh_cmd *c)
{
	size_t i = cg_sh_cmd_unwrap(c, 0, 0);

	return i < c->nwords ? cg_path_base(c->words[i].text) : "";
}

/* Runs inside a container, with that container's environment. */
static bool in_container(const struct cg_sh_cmd *c)
{
	const char *p = program(c);

	return eq(p, "docker") || eq(p, "podman") || eq(p, "docker-compose") ||
	       eq(p, "podman-compose") || eq(p, "kubectl") || eq(p, "oc");
}

static bool is_critical(struct job *j, const struct cg_sh_cmd *c)
{
	return c->nwords && cg_critical_command(c, j->m->config, &j->name) &&
	       !in_container(c);
}

static void visit_find_critical(struct job *j, const struct cg_script *s,
				const struct cg_sh_cmd *c)
{
	(void)s;
	if ((j->found && j->first_builtin) || !is_critical(j, c))
		return;
	j->found = true;
	if (j->first_builtin)
		return;
	if (cg_critical_command(c, NULL, &j->name)) {
		cg_buf_reset(&j->first);
		cg_buf_addstr(&j->first, j->name.buf);
		j->first_builtin = true;
	} else if (!j->first.len) {
		cg_buf_addstr(&j->first, j->name.buf);
	}
}

/* ------------------------------------------------- what scripts set */

/* The FILE scope of a loaded env file at `path` (as a script names it),
 * or CG_NO_SCOPE. */
static size_t env_file_scope(const struct cg_model *m, const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	for (size_t i = 0; i < m->facts.nscopes; i++) {
		const struct cg_scope *sc = &m->facts.scopes[i];

		if (sc->kind == CG_SCOPE_FILE &&
		    (sc->place == CG_PLACE_ENV_EXAMPLE ||
		     sc->place == CG_PLACE_DOTENV) &&
		    sc->src && eq(sc->src->path, path))
			return i;
	}
	return CG_NO_SCOPE;
}

static void visit_source(struct job *j, const struct cg_sh_cmd *c)
{
	const struct cg_sh_word *w;
	size_t scope;

	if (c->nwords < 2) {
		j->unknown = true;
		return;
	}
	w = &c->words[1];
	/* a virtualenv's activate script sets PATH and VIRTUAL_ENV only */
	if (eq(cg_path_base(w->text), "activate") ||
	    cg_ends_with(w->text, "/activate.sh"))
		return;
	if (w->expands ||
	    (scope = env_file_scope(j->m, w->text)) == CG_NO_SCOPE) {
		j->unknown = true;
		return;
	}
	CG_GROW(j->sourced, j->sourced_alloc, j->nsourced + 1);
	j->sourced[j->nsourced++] = scope;
}

/* A command of a script that runs a critical command: what it sets for
 * the commands after it. */
static void visit_sets(struct job *j, const struct cg_script *s,
		       const struct cg_sh_cmd *c)
{
	const char *b;

	(void)s;
	if (!c->nwords) {
		for (size_t i = 0; i < c->nassigns; i++) {
			size_t n = name_len(c->assigns[i].text, false);

			if (n && c->assigns[i].text[n + 1])
				add_name(&j->assigned, c->assigns[i].text, n);
		}
		return;
	}
	b = c->words[0].text;
	if (is_critical(j, c)) {
		/* NAME=... pytest, env NAME=... pytest */
		for (size_t i = 0; i < c->nassigns; i++)
			add_assignment(&j->set, c->assigns[i].text);
		for (size_t i = 1; i < c->nwords; i++)
			if (eq(cg_path_base(c->words[i - 1].text), "env") ||
			    name_len(c->words[i - 1].text, false))
				add_assignment(&j->set, c->words[i].text);
		return;
	}
	if (eq(b, "export") || eq(b, "declare") || eq(b, "typeset") ||
	    eq(b, "local")) {
		for (size_t i = 1; i < c->nwords; i++) {
			const char *w = c->words[i].text;

			if (cg_sh_var_effect(c, i) != CG_VAR_EXPORT)
				continue;
			if (name_len(w, false))
				add_assignment(&j->set, w);
			else if (!strchr(w, '='))
				add_name(&j->exported, w, strlen(w));
		}
		return;
	}
	if (eq(b, "set")) {
		for (size_t i = 1; i < c->nwords; i++) {
			const char *w = c->words[i].text;

			if ((w[0] == '-' && w[1] != '-' && w[1] != 'o' &&
			     strchr(w, 'a')) ||
			    (eq(w, "allexport") && i > 1 &&
			     eq(c->words[i - 1].text, "-o")))
				j->allexport = true;
		}
		return;
	}
	if (eq(b, "source") || eq(b, "."))
		visit_source(j, c);
}

/* GitHub: a NAME=value an earlier step writes to $GITHUB_ENV sets NAME
 * (an empty value does not). The name kept is the script's own bytes. */
static void later_name(void *ctx, const struct cg_script *s,
		       const struct cg_github_env_write *w)
{
	struct job *j = ctx;
	size_t n = w->end - w->start;

	if ((!w->value || *w->value) && w->end <= s->sh.len &&
	    !memcmp(s->sh.text + w->start, w->name, n) && !w->name[n])
		add_name(&j->set, s->sh.text + w->start, n);
}

/* --------------------------------------------------- what jobs name */

/*
 * A literal word of the job's scripts: stamp the example files' folders
 * it names (the word without a leading `./` is the folder, or starts with
 * it and a '/': `cd api`, `pytest api/tests`) and their file names it
 * ends in (`cp .env.example .env`).
 */
static void visit_words(struct job *j, const struct cg_script *s,
			const struct cg_sh_cmd *c)
{
	const struct wants *ws = j->wants;

	(void)s;
	for (size_t i = 0; i < c->nwords; i++) {
		const char *t = c->words[i].text, *base;
		size_t k;

		if (c->words[i].expands)
			continue;
		base = cg_path_base(t);
		k = span_find(ws->bases, ws->nbases, base, strlen(base));
		if (k != CG_NO_INDEX)
			j->base_named[k] = j->stamp;
		while (t[0] == '.' && t[1] == '/')
			t += 2;
		if (!ws->dir_first[(unsigned char)t[0]])
			continue;
		for (size_t p = 0; p <= ws->dir_max; p++) {
			if (p >= ws->dir_min && (t[p] == '/' || !t[p])) {
				k = span_find(ws->dirs, ws->ndirs, t, p);
				if (k != CG_NO_INDEX &&
				    j->dir_named[k] != j->stamp) {
					j->dir_named[k] = j->stamp;
					CG_GROW(j->named_dirs,
						j->named_dirs_alloc,
						j->nnamed_dirs + 1);
					j->named_dirs[j->nnamed_dirs++] = k;
				}
			}
			if (!t[p])
				break;
		}
	}
}

/* ------------------------------------------------------------- judging */

static bool empty_def(const struct cg_env_fact *e)
{
	return e->value_kind == CG_VALUE_NONE ||
	       (e->value_kind == CG_VALUE_LITERAL && (!e->value || !*e->value));
}

/* Is `name` set for a critical command of the job? NULL when it is;
 * else *empty is the empty definition that was found, if any. */
static bool job_sets(struct job *j, const char *name,
		     const struct cg_env_fact **empty)
{
	const struct cg_env_fact *e;
	size_t n = strlen(name);

	*empty = NULL;
	for (size_t i = 0; i < j->g->nitems; i++) {
		if (!j->critical[i])
			continue;
		e = cg_env_lookup(j->m, j->g->items[i].scope, name);
		if (e && !empty_def(e))
			return true;
		if (e && !*empty)
			*empty = e;
	}
	if (names_has(&j->set, name, n))
		return true;
	if (names_has(&j->assigned, name, n) &&
	    (j->allexport || names_has(&j->exported, name, n)))
		return true;
	for (size_t i = 0; i < j->nsourced; i++)
		if ((e = cg_env_lookup(j->m, j->sourced[i], name)) &&
		    !empty_def(e))
			return true;
	return false;
}

/* Is want `w` met by the example file itself, because the job names it? */
static bool by_file(const struct job *j, const struct want *w)
{
	return w->mark && w->mark->value && *w->mark->value &&
	       j->base_named[w->base] == j->stamp;
}

/* Does a want before `i` with the same name apply to the job? */
static bool applied_before(const struct job *j, size_t i)
{
	const struct want *w = j->wants->w;

	for (size_t k = w[i].same_before; k != CG_NO_INDEX;
	     k = w[k].same_before)
		if (j->applies[k] == j->stamp)
			return true;
	return false;
}

static bool ignored(const struct cg_config *config, const char *name)
{
	if (!config)
		return false;
	for (size_t i = 0; i < config->env_ignore.n; i++)
		if (cg_glob_match(config->env_ignore.items[i], name))
			return true;
	return false;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return span_cmp(x->p, x->n, y->p, y->n);
}

/* Sort `t` and drop repeats; returns the new count. */
static size_t spans_unique(struct span *t, size_t n)
{
	size_t out = 0;

	if (n > 1)
		qsort(t, n, sizeof(*t), cmp_span);
	for (size_t i = 0; i < n; i++)
		if (!out || cmp_span(&t[out - 1], &t[i]))
			t[out++] = t[i];
	return out;
}

/* A want's name and index, to find the wants that share a name. */
struct named_want {
	const char *name;
	size_t i;
};

/* By name, then in table order. */
static int cmp_named_want(const void *a, const void *b)
{
	const struct named_want *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->i < y->i ? -1 : x->i > y->i);
}

static void add_want(struct wants *ws, size_t *alloc, const char *name,
		     const struct cg_env_fact *mark)
{
	CG_GROW(ws->w, *alloc, ws->n + 1);
	ws->w[ws->n].name = name;
	ws->w[ws->n].mark = mark;
	ws->w[ws->n].dir = ws->w[ws->n].base = CG_NO_INDEX;
	ws->w[ws->n++].same_before = CG_NO_INDEX;
}

/* The example file's folder (false at the root) and file name. */
static bool mark_dir(const struct want *w, struct span *dir, struct span *base)
{
	const char *path = w->mark->src->path;
	const char *slash = strrchr(path, '/');

	base->p = cg_path_base(path);
	base->n = strlen(base->p);
	if (!slash)
		return false;
	dir->p = path;
	dir->n = (size_t)(slash - path);
	return true;
}

static void wants_collect(const struct cg_model *m, struct wants *ws)
{
	size_t alloc = 0;
	const struct cg_config *c = m->config;
	struct named_want *byname;

	memset(ws, 0, sizeof(*ws));
	for (size_t i = 0; c && i < c->env_required.n; i++)
		if (!ignored(c, c->env_required.items[i]))
			add_want(ws, &alloc, c->env_required.items[i], NULL);
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->role != CG_ENV_DEF || e->place != CG_PLACE_ENV_EXAMPLE ||
		    !e->required || !e->src || ignored(c, e->name))
			continue;
		add_want(ws, &alloc, e->name, e);
	}
	if (!ws->n)
		return;
	/* the folders and file names, then each want's indices */
	ws->dirs = cg_xcalloc(ws->n, sizeof(*ws->dirs));
	ws->bases = cg_xcalloc(ws->n, sizeof(*ws->bases));
	for (size_t i = 0; i < ws->n; i++) {
		struct span dir, base;

		if (!ws->w[i].mark)
			continue;
		if (mark_dir(&ws->w[i], &dir, &base))
			ws->dirs[ws->ndirs++] = dir;
		ws->bases[ws->nbases++] = base;
	}
	ws->ndirs = spans_unique(ws->dirs, ws->ndirs);
	for (size_t i = 0; i < ws->ndirs; i++) {
		const struct span *d = &ws->dirs[i];

		/* an empty folder ("/x"): a word that is empty or starts with
		 * '/' names it */
		if (!d->n)
			ws->dir_first[0] = ws->dir_first['/'] = true;
		else
			ws->dir_first[(unsigned char)d->p[0]] = true;
		if (!i || d->n < ws->dir_min)
			ws->dir_min = d->n;
		if (d->n > ws->dir_max)
			ws->dir_max = d->n;
	}
	ws->nbases = spans_unique(ws->bases, ws->nbases);
	for (size_t i = 0; i < ws->n; i++) {
		struct want *w = &ws->w[i];
		struct span dir, base;

		if (!w->mark)
			continue;
		if (mark_dir(w, &dir, &base)) {
			w->dir = span_find(ws->dirs, ws->ndirs, dir.p, dir.n);
			ws->need_words = true;
		}
		w->base = span_find(ws->bases, ws->nbases, base.p, base.n);
		if (w->mark->value && *w->mark->value)
			ws->need_words = true;
	}
	/* a want applies to every job, or to those that name its folder */
	ws->global = cg_xcalloc(ws->n, sizeof(*ws->global));
	ws->by_dir = cg_xcalloc(ws->n, sizeof(*ws->by_dir));
	ws->by_dir_start = cg_xcalloc(ws->ndirs + 2, sizeof(*ws->by_dir_start));
	for (size_t i = 0; i < ws->n; i++)
		if (ws->w[i].mark && ws->w[i].dir != CG_NO_INDEX)
			ws->by_dir_start[ws->w[i].dir + 2]++;
		else
			ws->global[ws->nglobal++] = i;
	for (size_t k = 2; k < ws->ndirs + 2; k++)
		ws->by_dir_start[k] += ws->by_dir_start[k - 1];
	for (size_t i = 0; i < ws->n; i++)
		if (ws->w[i].mark && ws->w[i].dir != CG_NO_INDEX)
			ws->by_dir[ws->by_dir_start[ws->w[i].dir + 1]++] = i;
	/* each want's previous one of the same name */
	byname = cg_xcalloc(ws->n, sizeof(*byname));
	for (size_t i = 0; i < ws->n; i++) {
		byname[i].name = ws->w[i].name;
		byname[i].i = i;
	}
	qsort(byname, ws->n, sizeof(*byname), cmp_named_want);
	for (size_t k = 1; k < ws->n; k++)
		if (eq(byname[k - 1].name, byname[k].name))
			ws->w[byname[k].i].same_before = byname[k - 1].i;
	free(byname);
}

static void wants_release(struct wants *ws)
{
	free(ws->w);
	free(ws->dirs);
	free(ws->bases);
	free(ws->global);
	free(ws->by_dir);
	free(ws->by_dir_start);
}

static void job_init(struct job *j, const struct cg_model *m,
		     const struct wants *ws)
{
	memset(j, 0, sizeof(*j));
	j->m = m;
	j->wants = ws;
	j->dir_named = cg_xcalloc(ws->ndirs + 1, sizeof(*j->dir_named));
	j->base_named = cg_xcalloc(ws->nbases + 1, sizeof(*j->base_named));
	j->applies = cg_xcalloc(ws->n + 1, sizeof(*j->applies));
	j->first = (struct cg_buf)CG_BUF_INIT;
	j->name = (struct cg_buf)CG_BUF_INIT;
	j->line = (struct cg_buf)CG_BUF_INIT;
}

/* Ready for group `g`, whose stamp is `stamp` (never 0). */
static void job_reset(struct job *j, const struct cg_script_group *g,
		      size_t stamp)
{
	j->g = g;
	j->stamp = stamp;
	j->ncritical = 0;
	cg_buf_reset(&j->first);
	j->first_builtin = false;
	j->set.n = j->assigned.n = j->exported.n = 0;
	j->nsourced = 0;
	j->nnamed_dirs = j->nappl = 0;
	j->allexport = j->unknown = j->found = false;
}

static void job_release(struct job *j)
{
	free(j->dir_named);
	free(j->base_named);
	free(j->applies);
	free(j->appl);
	free(j->named_dirs);
	free(j->critical);
	free(j->sourced);
	cg_buf_release(&j->first);
	cg_buf_release(&j->name);
	cg_buf_release(&j->line);
	free(j->set.items);
	free(j->assigned.items);
	free(j->exported.items);
}

static void scan_job(struct job *j)
{
	const struct cg_script_group *g = j->g;
	size_t last = 0;

	CG_GROW(j->critical, j->critical_alloc, g->nitems + 1);
	for (size_t i = 0; i < g->nitems; i++) {
		j->found = false;
		walk_script(j, g->items[i].script, visit_find_critical);
		if ((j->critical[i] = j->found)) {
			j->ncritical++;
			last = i;
		}
	}
	if (!j->ncritical)
		return;
	if (j->m->facts.scopes[g->scope].env_unknown)
		j->unknown = true;
	for (size_t i = 0; i < g->nitems; i++) {
		const struct cg_script_item *it = &g->items[i];

		if (j->critical[i]) {
			walk_script(j, it->script, visit_sets);
			if (it->step &&
			    j->m->facts.scopes[it->scope].env_unknown)
				j->unknown = true;
		}
		/* a step's $GITHUB_ENV reaches the steps after it */
		if (g->kind == CG_GROUP_GITHUB_JOB && i < last)
			if (it->script &&
			    !cg_github_env_writes(it->script, later_name, j))
				j->unknown = true;
	}
}

/* "`A`, `B` (.ciguard.yml `env.required`) and `C` (`# required` at
 * .env.example:12)": the missing names, grouped by who requires them. */
static void describe(struct cg_buf *out, const struct cg_buf *from_config,
		     size_t nconfig, const struct cg_buf *from_files,
		     size_t nfiles, const char *config_path)
{
	if (nconfig) {
		cg_buf_addf(out, "%s (%s `env.required`)", from_config->buf,
			    config_path ? config_path : ".ciguard.yml");
		if (nfiles)
			cg_buf_addstr(out, nfiles > 1 ? ", " : " and ");
	}
	cg_buf_addstr(out, from_files->buf);
}

/* "`NAME`", "`NAME` (`# required` at .env.example:12)"; an empty
 * definition goes to `empties` ("`NAME` is empty at ci.yml:19"). */
static void add_missing(struct cg_buf *to, struct cg_buf *empties,
			const struct want *w, const struct cg_env_fact *empty)
{
	if (to->len)
		cg_buf_addstr(to, ", ");
	cg_buf_addf(to, "`%s`", w->name);
	if (w->mark)
		cg_buf_addf(to, " (`# required` at %s:%u)", w->mark->src->path,
			    (unsigned)w->mark->pos.line);
	if (empty && empty->src)
		cg_buf_addf(empties, "%s`%s` is empty at %s:%u",
			    empties->len ? ", " : "; ", w->name,
			    empty->src->path, (unsigned)empty->pos.line);
}

static void add_applying(struct job *j, const size_t *w, size_t n)
{
	CG_GROW(j->appl, j->appl_alloc, j->nappl + n + 1);
	for (size_t i = 0; i < n; i++) {
		j->applies[w[i]] = j->stamp;
		j->appl[j->nappl++] = w[i];
	}
}

/* Which wants apply to the job (j->appl, in want order): .ciguard.yml's,
 * the root's, and those of the folders its words name. False when none
 * does, and the job's scripts need not be read. */
static bool job_wants(struct job *j)
{
	const struct wants *ws = j->wants;

	if (ws->need_words)
		for (size_t i = 0; i < j->g->nitems; i++)
			walk_script(j, j->g->items[i].script, visit_words);
	add_applying(j, ws->global, ws->nglobal);
	for (size_t i = 0; i < j->nnamed_dirs; i++) {
		size_t k = j->named_dirs[i];

		add_applying(j, ws->by_dir + ws->by_dir_start[k],
			     ws->by_dir_start[k + 1] - ws->by_dir_start[k]);
	}
	if (j->nnamed_dirs)
		qsort(j->appl, j->nappl, sizeof(*j->appl), cg_cmp_size);
	return j->nappl > 0;
}

static void check_job(struct cg_rule_ctx *ctx, struct job *j)
{
	const struct cg_model *m = j->m;
	const struct cg_script_group *g = j->g;
	const struct wants *ws = j->wants;
	struct cg_buf list = CG_BUF_INIT, subject = CG_BUF_INIT,
		      names = CG_BUF_INIT, from_config = CG_BUF_INIT,
		      from_files = CG_BUF_INIT, empties = CG_BUF_INIT;
	size_t nmissing = 0, nconfig = 0;
	const char *first_missing = NULL;

	if (!job_wants(j))
		return;
	scan_job(j);
	if (!j->ncritical || j->unknown)
		return;
	for (size_t a = 0; a < j->nappl; a++) {
		size_t i = j->appl[a];
		const struct want *w = &ws->w[i];
		const struct cg_env_fact *empty;

		if (applied_before(j, i))
			continue;
		if (by_file(j, w) || job_sets(j, w->name, &empty))
			continue;
		if (!nmissing++)
			first_missing = w->name;
		if (!w->mark)
			nconfig++;
		add_missing(w->mark ? &from_files : &from_config, &empties, w,
			    empty);
		cg_buf_addf(&names, "%s%s", names.len ? ", " : "", w->name);
	}
	if (!nmissing)
		goto out;
	describe(&list, &from_config, nconfig, &from_files, nmissing - nconfig,
		 m->config ? m->config->path : NULL);
	cg_buf_addf(&subject, "job %s %s", g->name, names.buf);
	{
		char *hint;

		if (g->kind == CG_GROUP_GITLAB_JOB)
			hint = cg_xasprintf(
			    "set %s in the job's or the pipeline's "
			    "`variables:`; a project CI/CD variable is not "
			    "visible in the repository: name it there (`%s: "
			    "$%s`)",
			    names.buf, first_missing, first_missing);
		else
			hint = cg_xasprintf(
			    "set %s in the job's or the workflow's `env:` "
			    "(a real key from a secret: `%s: ${{ secrets.%s "
			    "}}`)",
			    names.buf, first_missing, first_missing);
		cg_report(ctx, g->src, &g->pos, subject.buf, hint,
			  "job '%s' runs `%s`, but required %s %s not set for "
			  "it%s",
			  g->name, j->first.buf, list.buf,
			  nmissing == 1 ? "is" : "are", empties.buf);
		free(hint);
	}
out:
	cg_buf_release(&list);
	cg_buf_release(&subject);
	cg_buf_release(&names);
	cg_buf_release(&from_config);
	cg_buf_release(&from_files);
	cg_buf_release(&empties);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct wants ws;
	struct job j;

	wants_collect(m, &ws);
	if (!ws.n) {
		wants_release(&ws);
		return;
	}
	job_init(&j, m, &ws);
	for (size_t i = 0; i < m->facts.ngroups; i++) {
		const struct cg_script_group *g = &m->facts.groups[i];

		/* a composite action runs in the env of the job that uses it */
		if (g->kind == CG_GROUP_GITHUB_ACTION)
			continue;
		job_reset(&j, g, i + 1);
		check_job(ctx, &j);
	}
	job_release(&j);
	wants_release(&ws);
}

const struct cg_rule cg_rule_ci_env_required = {
    .id = "ci-env-required",
    .weight = 1,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a required variable is not set for a CI job that runs tests "
	       "or migrations",
    .explain =
	"The application needs some variables to start: those in "
	"`.ciguard.yml` `env.required`, and the entries of an example env file "
	"(`.env.example`, `.env.sample`, `.env.template`, `.env.dist`) marked "
	"`# required`, at the end of the line or on a comment line directly "
	"above. A CI job that runs a critical command (tests, migrations, "
	"ciguard) without one of them fails in a confusing way, or worse, "
	"falls back to a default that reaches the wrong service. One finding "
	"per job, at the job's key, naming every missing variable; "
	"`env.ignore` globs exempt a name.\n"
	"\n"
	"A variable is set for the job when a step that runs a critical "
	"command sees it: in the step's, the job's or the workflow's `env:` "
	"(GitLab: the job's or the top-level `variables:`), from a literal, a "
	"secret or another variable (an empty value is not set); exported in "
	"the script that runs the command (`export NAME=...`, `NAME=... "
	"pytest`, an assignment under `set -a`); written as `NAME=...` to "
	"`$GITHUB_ENV` by an earlier step; or in the example file itself when "
	"the job names it (`cp .env.example .env`) or an env file the script "
	"sources. A job whose env cannot be read is not judged: it sources a "
	"file ciguard did not load (a virtualenv's `activate` aside), writes "
	"other text to `$GITHUB_ENV`, or gives `env:` as one expression. A "
	"command run inside a container (`docker compose run`, `docker exec`, "
	"`kubectl exec`) has the container's env, so it does not count.\n"
	"\n"
	"An example file at the repository root applies to every job; one in a "
	"folder (a monorepo's `api/.env.example`) applies to the jobs whose "
	"scripts name that folder (`cd api`, `pytest api/tests`). A GitLab "
	"project or group CI/CD variable is invisible to ciguard: name it in "
	"`variables:` as `NAME: $NAME`, or add it to `env.ignore`.\n"
	"\n"
	"Bad (`.env.example` has `PAYMENTS_API_KEY=sk_test_local  # "
	"required`):\n"
	"\n"
	"    jobs:\n"
	"      test:\n"
	"        runs-on: ubuntu-latest\n"
	"        steps:\n"
	"          - run: pytest -q\n"
	"\n"
	"Good:\n"
	"\n"
	"    jobs:\n"
	"      test:\n"
	"        runs-on: ubuntu-latest\n"
	"        env:\n"
	"          PAYMENTS_API_KEY: sk_test_ci\n"
	"        steps:\n"
	"          - run: pytest -q\n",
    .hint = "set the variable in the job's env",
    .check = check,
};
