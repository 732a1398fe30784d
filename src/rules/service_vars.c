/*
 * The service rules' shared knowledge (see service_vars.h): the env
 * definitions a CI job's consumers see, and the walk over their commands.
 * Names, values and reachability are the model's (model/service_vars.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/service_vars.h"
#include "rules/readiness.h"
#include "rules/critical.h"
#include "core/banned.h"

/* -------------------------------------------------------- consumers */

const struct cg_sh_cmd *cg_svc_item_critical(const struct cg_model *m,
					     const struct cg_script_group *g,
					     size_t i,
					     const struct cg_script **where)
{
	struct cg_buf name = CG_BUF_INIT;
	const struct cg_sh_cmd *c = NULL;

	if (where)
		*where = NULL;
	if (i < g->nitems && g->items[i].script)
		c = cg_critical_in_script(g->items[i].script, m->config, &name,
					  where);
	cg_buf_release(&name);
	return c;
}

static bool name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* Does `text` name variable `name` ($NAME, ${NAME...}, env.NAME)? */
static bool names_var(const char *text, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && (size_t)(p - text) < len;) {
		const char *hit = strstr(p, name);

		if (!hit || (size_t)(hit - text) + n > len)
			return false;
		if (!name_char(hit[n], false) && hit > text &&
		    (hit[-1] == '$' ||
		     (hit[-1] == '{' && hit - 1 > text && hit[-2] == '$') ||
		     (hit - text >= 4 && !strncmp(hit - 4, "env.", 4))))
			return true;
		p = hit + 1;
	}
	return false;
}

static bool scope_in(const size_t *set, size_t n, size_t s)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == s)
			return true;
	return false;
}

static bool indexed(const struct cg_facts *f)
{
	return f->scope_defs && f->nscope_index == f->nscopes;
}

/* The DEF rows of `scopes`, in table order (caller frees *out). The
 * model indexes each scope's definitions on its first lookup; without
 * that index, the whole table is scanned. */
static size_t candidates(const struct cg_model *m, const size_t *scopes,
			 size_t nscopes, size_t **out)
{
	const struct cg_facts *f = &m->facts;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (nscopes)
		(void)cg_env_lookup(m, scopes[0], "");
	if (indexed(f)) {
		for (size_t i = 0; i < nscopes; i++)
			if (scopes[i] < f->nscope_index)
				n += f->scope_ndefs[scopes[i]];
		*out = cg_xcalloc(n + 1, sizeof(**out));
		n = 0;
		for (size_t i = 0; i < nscopes; i++) {
			size_t s = scopes[i];

			if (s >= f->nscope_index || !f->scope_ndefs[s])
				continue;
			memcpy(*out + n, f->scope_defs[s],
			       f->scope_ndefs[s] * sizeof(**out));
			n += f->scope_ndefs[s];
		}
		if (n > 1)
			qsort(*out, n, sizeof(**out), cg_cmp_size);
		return n;
	}
	for (size_t e = 0; e < f->nenv; e++)
		if ((f->env[e].role == CG_ENV_DEF ||
		     f->env[e].role == CG_ENV_LATER) &&
		    scope_in(scopes, nscopes, f->env[e].scope)) {
			CG_GROW(*out, alloc, n + 1);
			(*out)[n++] = e;
		}
	return n;
}

/* The scope where a lookup from `s` can first find something: above the
 * scopes that define and import nothing (a step without `env:`), whose
 * lookups are their parent's. */
static size_t lookup_scope(const struct cg_facts *f, size_t s)
{
	unsigned guard = 0;

	if (!indexed(f))
		return s;
	while (s != CG_NO_SCOPE && s < f->nscopes && guard++ < 64 &&
	       !f->scope_ndefs[s] && !f->scopes[s].nimports &&
	       f->scopes[s].underlay >= f->nscopes)
		s = f->scopes[s].parent;
	return s;
}

/* A step of the group, as cg_svc_seen_defs judges a candidate. */
struct step_view {
	size_t from;	/* lookup_scope of its scope */
	size_t first;	/* the first step whose lookups start there too */
	bool sees;	/* it sees the candidate */
	signed char is; /* consumes env (runs a critical command or starts
			    a process the model knows); -1: not known yet */
};

/* Per step of a group, computed when first asked: does it consume env? */
struct consumers {
	const struct cg_model *m;
	size_t group;
	struct step_view *steps;
	bool processes_done;
};

static bool consumes(struct consumers *c, size_t i, const char *name)
{
	const struct cg_script_group *g = &c->m->facts.groups[c->group];
	const struct cg_script *sc = g->items[i].script;

	if (!c->processes_done) {
		c->processes_done = true;
		for (size_t p = g->process_first; p < g->process_end; p++) {
			const struct cg_process_fact *pf =
			    &c->m->facts.processes[p];

			if (pf->origin == CG_PROCESS_CI &&
			    pf->group == c->group && pf->item < g->nitems)
				c->steps[pf->item].is = 1;
		}
	}
	if (c->steps[i].is < 0)
		c->steps[i].is = cg_svc_item_critical(c->m, g, i, NULL) != NULL;
	return c->steps[i].is ||
	       (sc && names_var(sc->sh.text, sc->sh.len, name));
}

static void add_seen(struct cg_svc_seen *out, size_t *n,
		     const struct cg_env_fact *d, size_t scope, size_t item)
{
	out[*n].def = d;
	out[*n].scope = scope;
	out[(*n)++].item = item;
}

/*
 * Steps whose lookups start in the same scope (the steps of a job without
 * `env:` of their own) see the same definitions: per candidate, one
 * lookup for each such scope.
 */
size_t cg_svc_seen_defs(const struct cg_model *m, size_t group,
			bool (*want)(const struct cg_env_fact *),
			struct cg_svc_seen **out)
{
	const struct cg_script_group *g = &m->facts.groups[group];
	size_t *scopes = NULL, nscopes = 0, alloc = 0, nout = 0;
	size_t *cand = NULL, ncand, nwant = 0;
	struct step_view *st = NULL;
	bool later = false; /* a step writes to $GITHUB_ENV */
	struct consumers cons = {m, group, NULL, false};

	/* every scope a step of the job sees: its own and those above,
	 * and what lies under them (a job container's env:) */
	CG_GROW(scopes, alloc, g->nitems + 4);
	for (size_t i = 0; i <= g->nitems; i++) {
		size_t s = i < g->nitems ? g->items[i].scope : g->scope;
		unsigned guard = 0;

		while (s != CG_NO_SCOPE && s < m->facts.nscopes &&
		       guard++ < 64) {
			size_t u = m->facts.scopes[s].underlay;

			if (!scope_in(scopes, nscopes, s)) {
				CG_GROW(scopes, alloc, nscopes + 2);
				scopes[nscopes++] = s;
				if (u < m->facts.nscopes &&
				    !scope_in(scopes, nscopes, u))
					scopes[nscopes++] = u;
			}
			s = m->facts.scopes[s].parent;
		}
	}
	ncand = candidates(m, scopes, nscopes, &cand);
	/* the candidates `want` accepts, in order; often none (secrets) */
	for (size_t ci = 0; ci < ncand; ci++) {
		if (m->facts.env[cand[ci]].role == CG_ENV_LATER)
			later = true;
		if (!want || want(&m->facts.env[cand[ci]]))
			cand[nwant++] = cand[ci];
	}
	*out = NULL;
	if (!nwant)
		goto out;
	*out = cg_xcalloc(nwant, sizeof(**out));
	cons.steps = st = cg_xcalloc(g->nitems + 1, sizeof(*st));
	for (size_t i = 0; i < g->nitems; i++) {
		st[i].from = lookup_scope(&m->facts, g->items[i].scope);
		st[i].first = i;
		st[i].is = -1;
		for (size_t k = 0; k < i; k++)
			if (st[k].from == st[i].from) {
				st[i].first = k;
				break;
			}
	}
	for (size_t ci = 0; ci < nwant; ci++) {
		const struct cg_env_fact *d = &m->facts.env[cand[ci]];
		size_t nsee = 0, seen_first = CG_NO_INDEX, hit = CG_NO_INDEX;

		if (!g->nitems) {
			if (cg_env_lookup(m, g->scope, d->name) == d)
				add_seen(*out, &nout, d, g->scope, CG_NO_INDEX);
			continue;
		}
		for (size_t i = 0; i < g->nitems; i++) {
			/* what an earlier step wrote to $GITHUB_ENV differs
			 * from step to step */
			st[i].sees =
			    later ? cg_env_lookup_item(m, g, i, d->name) == d
			    : st[i].first < i
				? st[st[i].first].sees
				: cg_env_lookup(m, st[i].from, d->name) == d;
			if (st[i].sees && seen_first == CG_NO_INDEX)
				seen_first = i;
			nsee += st[i].sees;
		}
		if (!nsee)
			continue;
		if (nsee == g->nitems) { /* no step overrides it */
			add_seen(*out, &nout, d, g->items[0].scope, 0);
			continue;
		}
		/* seen when a consumer of the name sees it, or when no step
		 * consumes it at all */
		for (size_t i = 0; i < g->nitems && hit == CG_NO_INDEX; i++)
			if (st[i].sees && consumes(&cons, i, d->name))
				hit = i;
		if (hit == CG_NO_INDEX) {
			hit = seen_first;
			for (size_t i = 0; i < g->nitems; i++)
				if (!st[i].sees &&
				    consumes(&cons, i, d->name)) {
					hit = CG_NO_INDEX;
					break;
				}
		}
		if (hit != CG_NO_INDEX)
			add_seen(*out, &nout, d, g->items[hit].scope, hit);
	}
out:
	free(scopes);
	free(cand);
	free(st);
	return nout;
}

/* ----------------------------------------------------------- kinds */

static bool group_has_kind(const struct cg_model *m,
			   const struct cg_script_group *g,
			   enum cg_service_kind k)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (m->facts.services[g->services[i]].kind == k)
			return true;
	return false;
}

/* May a URL of `ep` stand for a service of kind `k`? */
static bool scheme_fits(const struct cg_svc_endpoint *ep,
			enum cg_service_kind k)
{
	if (!ep || !ep->scheme[0])
		return !ep || ep->network;
	if (!ep->network)
		return false;
	if (ep->http)
		return k == CG_SERVICE_WIREMOCK;
	return ep->scheme_kind == k;
}

enum cg_service_kind
cg_svc_def_kind(const struct cg_model *m, const struct cg_script_group *g,
		const struct cg_env_fact *def, const struct cg_svc_endpoint *ep,
		enum cg_svc_names which, enum cg_svc_role *role, bool *by_name)
{
	*role = CG_SVC_NONE;
	if (by_name)
		*by_name = false;
	for (size_t i = 0; i < g->nservices; i++) {
		enum cg_service_kind k = m->facts.services[g->services[i]].kind;
		bool needs;
		enum cg_svc_role r;

		if (k == CG_SERVICE_OTHER || k == CG_SERVICE_APP)
			continue;
		r = cg_svc_var_role(m, k, def->name, which, &needs);
		if (r == CG_SVC_NONE)
			continue;
		if (r == CG_SVC_URL && !scheme_fits(ep, k))
			continue;
		if (needs && (!ep || ep->scheme_kind != k))
			continue;
		*role = r;
		if (by_name)
			*by_name = true;
		return k;
	}
	if (ep && ep->network && ep->scheme_kind != CG_SERVICE_OTHER &&
	    group_has_kind(m, g, ep->scheme_kind)) {
		*role = CG_SVC_URL;
		return ep->scheme_kind;
	}
	return CG_SERVICE_OTHER;
}

void cg_svc_ref_text(const struct cg_env_fact *def, struct cg_buf *out)
{
	const char *ref = def->ref;

	if (ref &&
	    (cg_starts_with(ref, "secrets.") || cg_starts_with(ref, "vars.")))
		cg_buf_addf(out, "`${{ %s }}`", ref);
	else if (ref)
		cg_buf_addf(out, "the CI/CD variable `$%s`", ref);
	else
		cg_buf_addstr(out, "a secret");
}

/* ------------------------------------------------------------- walk */

struct walk {
	cg_svc_visit_fn fn;
	void *ud;
	unsigned depth;
};

static bool walk_script(struct walk *w, const struct cg_script *s,
			struct cg_svc_at at);

static bool word_is(const struct cg_sh_word *w, const char *s)
{
	return !w->expands && !strcmp(w->text, s);
}

/* A `sleep` among the commands of `l` (not inside nested loops). */
static bool list_sleeps(const struct cg_sh_list *l, unsigned depth)
{
	if (!l || depth > 8)
		return false;
	for (size_t i = 0; i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++) {
				const struct cg_sh_cmd *c =
				    &l->items[i].pipes[p].cmds[k];

				if (c->kind == CG_SH_SIMPLE && c->nwords &&
				    word_is(&c->words[0], "sleep"))
					return true;
				if (c->kind == CG_SH_IF ||
				    c->kind == CG_SH_GROUP ||
				    c->kind == CG_SH_SUBSHELL)
					for (int b = 0; b < 3; b++)
						if (list_sleeps(c->body[b],
								depth + 1))
							return true;
			}
	return false;
}

static bool walk_list(struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, struct cg_svc_at at);

static bool walk_cmd(struct walk *w, const struct cg_script *s,
		     const struct cg_sh_cmd *c, struct cg_svc_at at)
{
	if (c->kind == CG_SH_SIMPLE) {
		const struct cg_nested_script *sub, *nested;
		size_t nsub = 0;

		sub = cg_script_substs(s, c, &nsub);
		for (size_t i = 0; sub && i < nsub; i++)
			if (!walk_script(w, sub[i].script, at))
				return false;
		nested = cg_script_nested_at(s, c);
		if (nested && nested->kind != CG_NESTED_SUBST &&
		    nested->kind != CG_NESTED_TRAP &&
		    !walk_script(w, nested->script, at))
			return false;
		return w->fn(w->ud, s, c, &at);
	}
	/* a loop or group waits, whatever becomes of its status */
	at.swallowed = false;
	if ((c->kind == CG_SH_WHILE || c->kind == CG_SH_UNTIL ||
	     c->kind == CG_SH_FOR) &&
	    list_sleeps(c->body[1], 0))
		at.retry = true;
	for (int b = 0; b < 3; b++)
		if (c->body[b] && !walk_list(w, s, c->body[b], at))
			return false;
	for (size_t a = 0; a < c->narms; a++)
		if (!walk_list(w, s, c->arms[a], at))
			return false;
	return true;
}

static bool walk_list(struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, struct cg_svc_at at)
{
	bool go = true;

	if (!l || ++w->depth > 200) {
		w->depth--;
		return true;
	}
	for (size_t i = 0; go && i < l->n; i++)
		for (size_t p = 0; go && p < l->items[i].n; p++) {
			struct cg_svc_at pat = at;

			pat.swallowed |= cg_andor_swallows(&l->items[i], p);
			for (size_t k = 0; go && k < l->items[i].pipes[p].n;
			     k++)
				go = walk_cmd(
				    w, s, &l->items[i].pipes[p].cmds[k], pat);
		}
	w->depth--;
	return go;
}

static bool walk_script(struct walk *w, const struct cg_script *s,
			struct cg_svc_at at)
{
	if (!s || w->depth > 200)
		return true;
	return walk_list(w, s, s->sh.top, at);
}

bool cg_svc_walk(const struct cg_script *s, cg_svc_visit_fn fn, void *ud)
{
	struct walk w = {fn, ud, 0};
	struct cg_svc_at at = {false, false};

	return walk_script(&w, s, at);
}

struct seen_list {
	struct cg_svc_seen *seen;
	size_t n;
};

static void *seen_all(const struct cg_model *m, size_t group)
{
	struct seen_list *l = cg_xcalloc(1, sizeof(*l));

	l->n = cg_svc_seen_defs(m, group, NULL, &l->seen);
	return l;
}

static void seen_free(void *v)
{
	struct seen_list *l = v;

	free(l->seen);
	free(l);
}

size_t cg_svc_seen_defs_memo(struct cg_rule_ctx *ctx, size_t group,
			     bool (*want)(const struct cg_env_fact *),
			     struct cg_svc_seen **out)
{
	const struct cg_model *m = cg_rule_model(ctx);
	const struct seen_list *l =
	    cg_rule_memo(ctx, CG_MEMO_SEEN_DEFS, group, m->facts.ngroups,
			 seen_all, seen_free);
	size_t n = 0;

	if (!l)
		return cg_svc_seen_defs(m, group, want, out);
	*out = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!want || want(l->seen[i].def)) {
			if (!*out)
				*out = cg_xcalloc(l->n, sizeof(**out));
			(*out)[n++] = l->seen[i];
		}
	return n;
}

void cg_svc_judge_seen(struct cg_rule_ctx *ctx, const struct cg_model *m,
		       bool (*want)(const struct cg_env_fact *),
		       cg_svc_judge_fn judge)
{
	unsigned char *done = cg_xcalloc(m->facts.nenv + 1, 1);

	for (size_t gi = 0; gi < m->facts.ngroups; gi++) {
		const struct cg_script_group *g = &m->facts.groups[gi];
		struct cg_svc_seen *seen;
		size_t n;

		if (!g->nservices)
			continue;
		n = cg_svc_seen_defs_memo(ctx, gi, want, &seen);
		for (size_t i = 0; i < n; i++)
			judge(ctx, m, g, &seen[i], done);
		free(seen);
	}
	free(done);
}
