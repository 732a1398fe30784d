/*
 * An abstract interpreter of POSIX/bash scripts for one question: when one
 * run of a critical command fails (exits 1) and every other command
 * succeeds, does the shell still exit 0? That is what a CI run with a
 * failing test does, and what tests/oracle checks against real bash and
 * dash, with commands that fail on cue.
 *
 * Each critical command (a "site"; also a readiness check run in the
 * background, judged only where a bare `wait` drops its failure) is judged
 * on its own: the script runs once per site, from the start, on abstract
 * states, with the site's first run failing; where the site can run again
 * (a function called twice, a loop), once more with its second run
 * failing and the first succeeding, and so on up to MAX_RUN_TRIED: a test
 * that passes once and fails the next time is a failure too. A state holds the
 * last status as a set of possibilities, the errexit and pipefail options,
 * shell variables that hold statuses or job ids (`rc=$?`, `pid=$!`), functions,
 * background jobs, the EXIT trap, and how many times the site has run yet.
 * Where the script branches on something unknown (`[ -f x ]`) both ways are
 * taken and the states joined, so loops run a few rounds and then stop; work is
 * bounded by a step budget.
 *
 * Statuses are a small set: zero, non-zero for other reasons, and
 * non-zero because of the failure ("F"). A decision made on F (the right
 * side of `||`, a branch of `if [ $rc -ne 0 ]`) runs "tainted": a
 * non-zero status made there (`exit 1`, `false`) is F too, because it
 * carries the failure on. The failure is masked when no way out of the
 * shell ends with F. Its exit code is left open (`[ $rc -eq 1 ]` may go
 * either way); where the script compares it with a number, the site runs
 * again with each code its tool fails with (failure_codes), and a code
 * that gets through masks it. A process substitution (`< <(pytest)`) runs
 * beside its command, and nothing reads its status. Bash's errexit rules
 * are followed as bash 5 and dash run them (each checked by running them):
 *   - errexit acts on the final pipeline of an and-or list, never on one
 *     before && or ||, on a negated pipeline, or in a condition;
 *   - inside a compound command or a function running where errexit is
 *     ignored, it stays ignored (`f || exit 1`, `(pytest; x) || exit 1`);
 *   - a group or `if` whose status comes from an ignored failure does not
 *     trigger it (`{ false && :; }; echo` goes on), but a subshell's or a
 *     function's exit status does;
 *   - each part of a pipeline runs in a subshell; with pipefail the
 *     status is the last non-zero one;
 *   - a bare `wait` returns 0; `wait $!`, `wait $pid`, `wait -n` return a
 *     job's status; an EXIT trap keeps the exit status unless it exits.
 * When the failure is lost, the state remembers why (the "carry": set +e,
 * `||`, `&&`, a condition, ...) and the first place it was dropped is the
 * loss that the rules report.
 *
 * Not modelled (so never reported from): the contents of `$(...)`,
 * positional parameters, sourced files, aliases, `set -E`/ERR traps, and
 * variables other than statuses and job ids. An unknown command succeeds,
 * as in the oracle; a name like `die` or `fail` that is not a function here
 * may exit, so it is unknown.
 *
 * Cost: a rule judges every CI script, and each site runs its script
 * again. So one walk (collect_list) decides once per command what it is
 * (critical? a builtin?) for every run to look up, and the states, copied
 * at each branch, are recycled; struct cg_flow keeps both from one script
 * to the next.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/shell_flow.h"
#include "rules/critical.h"
#include "rules/readiness.h"
#include "core/banned.h"

#define MAX_VARS 24
#define MAX_FNS 24
#define MAX_JOBS 8
#define MAX_TRAPS_SEEN 4
#define MAX_PIPEST 8
#define MAX_DEPTH 12
#define LOOP_ROUNDS 3
#define STEP_BUDGET 300000

/* status bits */
enum {
	ST_Z = 1,   /* zero */
	ST_ZT = 2,  /* zero, decided by the failure (`! pytest`) */
	ST_N = 4,   /* non-zero, another cause */
	ST_F = 8,   /* non-zero: the failure */
	ST_NI = 16, /* N while errexit was ignored: errexit lets it pass */
	ST_FI = 32, /* F likewise */
};
#define ST_ZERO (ST_Z | ST_ZT)
#define ST_FAIL (ST_F | ST_FI)
#define ST_NONZERO (ST_N | ST_F | ST_NI | ST_FI)
#define ST_CHECKED (ST_N | ST_F)
#define OUT_NONE 0x80 /* nothing printed yet */

/* two-valued facts as sets */
enum { B_OFF = 1, B_ON = 2 };

struct var {
	const char *name;
	size_t len;
	uint8_t st; /* its value as a status (Z, ZT, N, F), 0 if unknown */
	int8_t job; /* >= 0: a job's pid (`$!`) */
	uint8_t flags;
	long num; /* V_EXACT: the number it holds */
};

enum {
	V_MAYBE_UNSET = 1, /* set on some paths only */
	V_UNSET = 2,	   /* unset here (st is 0) */
	V_TAINT = 4,	   /* whether and how it is set follows the failure */
	/* its value is the word `true` / `false` (on some path): `$ok`
	 * as a command runs that builtin */
	V_TRUE = 8,
	V_FALSE = 16,
	/* it holds the number `num` on every path here (`n=0`, `rc=$?`
	 * after a success, `n=$((n+1))` of such a number) */
	V_EXACT = 32,
};
#define V_BOOL (V_TRUE | V_FALSE)

struct fn {
	const char *name;
	size_t len;
	const struct cg_sh_list *body;
	const struct cg_script *s;
};

struct job {
	uint8_t st;
	bool waited;
	uint8_t num; /* its job number (`%2`), 0 if it differs by path */
	const struct cg_script *s;
	size_t start, end;
	bool amp; /* dash read its `&>` as `&` then `>` */
};

struct fst {
	uint8_t st, errexit, pipefail, fired;
	/* how many times the site has run so far, as a set: bit i for i
	 * runs, bit 7 for 7 or more */
	uint8_t runs;
	uint8_t nvars, nfns, njobs, npipest;
	int8_t last_job;
	uint8_t pipest[MAX_PIPEST];
	const struct cg_nested_script *trap; /* EXIT trap */
	bool trap_some; /* trap is set on some of the joined paths only */
	const struct cg_nested_script *err_trap; /* ERR trap */
	/* `$?` where `trap` set them: a double-quoted action's `$?` is
	 * that (cg_nested_script's outer_expands) */
	uint8_t trap_st, err_trap_st;
	bool errtrace;	      /* set -E */
	bool inherit_errexit; /* shopt -s inherit_errexit: $(...) gets -e */
	/* inside `$(...)` (struct cx's capture): what it has printed so far,
	 * when that is one status (`$(pytest >/dev/null; echo $?)`): a
	 * status value, OUT_NONE, or 0 for any other text */
	uint8_t out;
	/* the text of the one `$(...)` of the command that runs now, as a
	 * status value, or 0 (read_value) */
	uint8_t subst_out;
	/* where errexit was last turned off by `set`, if it was */
	const struct cg_script *off_s;
	size_t off_start, off_end;
	struct cg_loss carry; /* why a failing status still runs on */
	struct cg_loss blame; /* where the failure was first dropped */
	/* last: an entry past its count is never read, so never copied */
	struct var vars[MAX_VARS];
	struct fn fns[MAX_FNS];
	struct job jobs[MAX_JOBS];
};

/* Where control goes after a piece of script. NULL: nowhere. */
struct flow {
	struct fst *norm, *exit, *ret, *brk, *cont;
};

/* What collect_list found out about a simple command. */
struct verdict {
	const struct cg_sh_cmd *cmd;
	const struct cg_script *s; /* the script it is in */
	bool critical;
	bool bg;	 /* in a list that runs in the background */
	uint8_t builtin; /* enum builtin of its first word */
};

/*
 * Spare states. A run copies its state at every branch and frees one at
 * every join, thousands of times per script; a state is too large for
 * malloc's fast path, so the states of one cg_flow_check are recycled.
 */
struct pool {
	struct fst **spare;
	size_t n, alloc;
};

/* One run of the script for one site. */
struct an {
	struct pool *pool;
	const struct cg_config *config;
	const struct cg_sh_cmd *site;
	unsigned k; /* the site's k-th run is the one that fails */
	/* the run without a site: how often each critical command (by its
	 * index in verdicts) was run, both ways of every branch counted */
	uint8_t *calls;
	size_t steps;
	bool over;
	struct cg_buf *scratch;
	/* sorted by cmd: every run meets the same commands again */
	const struct verdict *verdicts;
	size_t nverdicts;
	/* a double-quoted trap action is expanded where `trap` runs: the
	 * state there (joined over every time it ran), per action */
	struct trap_seen {
		const struct cg_nested_script *ns;
		struct fst *x;
	} traps[MAX_TRAPS_SEEN];
	size_t ntraps;
};

/*
 * The exit code of the failure. A run leaves it open: the failure is
 * non-zero, and `[ $rc -eq 1 ]` may go either way. Where the script
 * compared it with a number, the site is run again with each exit code
 * its tool fails with (cg_flow_check), since `[ $rc -eq 1 ] && exit 1`
 * lets pytest's 2 through.
 */
struct code_probe {
	int code; /* this run's exit code of the failure; 0: open */
	/* the first test that compared the failure with a number */
	const struct cg_script *s;
	const struct cg_sh_cmd *cmd; /* the test running now */
	size_t start, end;
	bool compared;
};

/* Where code runs: what the rules read, not what the script changes. */
struct cx {
	const struct cg_script *s;
	const struct cg_shell *shell;
	const struct cg_loss *ign; /* errexit is ignored here, because */
	bool taint;		   /* control got here by the failure */
	bool in_fn;
	bool capture; /* stdout is a `$(...)`'s: track struct fst's out */
	const struct cg_sh_cmd *args; /* the call of the function we are in */
	unsigned loops;
	unsigned depth;
	struct code_probe *probe; /* the run's; never NULL */
	/* a script whose `$` the outer shell expanded before it ran
	 * (cg_nested_script's outer_expands): `$?`, `$rc` read this state,
	 * the outer one at that command; NULL: the running state */
	const struct fst *frozen;
	bool frozen_some; /* only the `$` not escaped there: outer_dollar */
	/* in the action of the EXIT trap: the status it started with, which
	 * `exit` without a number exits with (POSIX exit; bash and dash,
	 * also in a function it calls); 0 elsewhere */
	uint8_t exit_trap_st;
	/* where the script runs (the env it starts with), or NULL */
	const struct cg_script_at *at;
	/* the command dash runs in the background for its `&>` */
	const struct cg_sh_cmd *amp_cmd;
};

/*
 * In script s, whose text the outer shell expanded but for the `$` it
 * found escaped (`\$?`, cg_nested_script's outer_some): does [start, end)
 * hold a `$` the outer shell expanded? A command without one reads its
 * own `$?` and variables.
 */
static bool outer_dollar(const struct cg_script *s, size_t start, size_t end)
{
	const char *raw;

	if (!s->map || !s->parent)
		return true;
	raw = s->parent->sh.text;
	for (size_t i = start; i < end && i < s->sh.len; i++)
		if (s->sh.text[i] == '$' &&
		    !(s->map[i] > 0 && raw[s->map[i] - 1] == '\\'))
			return true;
	return false;
}

/* Does [start, end) of the script at hand read its own `$` where some of
 * the script's were the outer shell's (only escaped ones here)? */
static bool own_dollars(const struct cx *c, size_t start, size_t end)
{
	return c->frozen && c->frozen_some && !outer_dollar(c->s, start, end);
}

/* The state the `$` expansions of the script at hand read: x, or the
 * outer shell's where that expanded them (struct cx's frozen). */
static const struct fst *expanding(const struct fst *x, const struct cx *c)
{
	return c->frozen ? c->frozen : x;
}

/* `"$@"` as a command: a function that runs its arguments (`retry()
 * { "$@" || ...; }`). */
static bool runs_args(const struct cg_sh_cmd *cmd)
{
	const char *w;

	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return false;
	w = cmd->words[0].text;
	return !strcmp(w, "$@") || !strcmp(w, "$*") || !strcmp(w, "${@}") ||
	       !strcmp(w, "${*}");
}

/* Is `f ARGS...` critical by its arguments (`retry pytest -q`)? */
static bool critical_args(const struct cg_sh_cmd *call,
			  const struct cg_config *config, struct cg_buf *name)
{
	struct cg_sh_cmd shifted;

	if (call->kind != CG_SH_SIMPLE || call->nwords < 2)
		return false;
	shifted = *call;
	shifted.words++;
	shifted.nwords--;
	shifted.nassigns = 0;
	return cg_critical_command(&shifted, config, name);
}

/* ------------------------------------------------------------- states */

static struct fst *pool_get(struct pool *p)
{
	return p->n ? p->spare[--p->n] : cg_xmalloc(sizeof(struct fst));
}

/* x may be NULL */
static void pool_put(struct pool *p, struct fst *x)
{
	if (!x)
		return;
	CG_GROW(p->spare, p->alloc, p->n + 1);
	p->spare[p->n++] = x;
}

static void pool_release(struct pool *p)
{
	while (p->n)
		free(p->spare[--p->n]);
	free(p->spare);
}

/* A state with nothing in it. */
static struct fst *st_new(struct an *a)
{
	struct fst *y = pool_get(a->pool);

	memset(y, 0, offsetof(struct fst, vars));
	return y;
}

static struct fst *st_dup(struct an *a, const struct fst *x)
{
	struct fst *y = pool_get(a->pool);

	memcpy(y, x, offsetof(struct fst, vars));
	memcpy(y->vars, x->vars, x->nvars * sizeof(*x->vars));
	memcpy(y->fns, x->fns, x->nfns * sizeof(*x->fns));
	memcpy(y->jobs, x->jobs, x->njobs * sizeof(*x->jobs));
	return y;
}

static void st_free(struct an *a, struct fst *x)
{
	pool_put(a->pool, x);
}

/*
 * Nested script ns runs in context `in`: where the outer shell expanded
 * its `$` (outer_expands) and no enclosing text was expanded already,
 * they read a snapshot of x from now on (struct cx's frozen). Returns the
 * snapshot, for the caller to free when ns is done, or NULL.
 */
static struct fst *freeze(struct an *a, struct cx *in,
			  const struct cg_nested_script *ns,
			  const struct fst *x)
{
	struct fst *y;

	if (!ns->outer_expands || in->frozen)
		return NULL;
	y = st_dup(a, x);
	in->frozen = y;
	in->frozen_some = ns->outer_some;
	return y;
}

static void st_join(struct fst *a, const struct fst *b);

/* `trap` with action t runs in state x: keep what its expansion reads. */
static void trap_seen(struct an *a, const struct cg_nested_script *t,
		      const struct fst *x)
{
	size_t i = 0;

	if (!t->outer_expands)
		return;
	while (i < a->ntraps && a->traps[i].ns != t)
		i++;
	if (i < a->ntraps) {
		st_join(a->traps[i].x, x);
	} else if (i < MAX_TRAPS_SEEN) {
		a->traps[i].ns = t;
		a->traps[i].x = st_dup(a, x);
		a->ntraps++;
	}
}

/* freeze for a trap's double-quoted action, expanded when `trap` ran:
 * `$?` is the status then (st), the variables as they were then
 * (trap_seen; else, past MAX_TRAPS_SEEN actions, as they are now). */
static struct fst *freeze_trap(struct an *a, struct cx *in,
			       const struct cg_nested_script *t,
			       const struct fst *x, uint8_t st)
{
	struct fst *y;

	for (size_t i = 0; i < a->ntraps; i++)
		if (a->traps[i].ns == t)
			x = a->traps[i].x;
	y = freeze(a, in, t, x);

	if (y) {
		y->st = st ? st : ST_Z;
		y->npipest = 0;
	}
	return y;
}

static const struct var *var_get(const struct fst *x, const char *name,
				 size_t len)
{
	for (size_t i = 0; i < x->nvars; i++)
		if (x->vars[i].len == len &&
		    !memcmp(x->vars[i].name, name, len))
			return &x->vars[i];
	return NULL;
}

static struct var *var_find(struct fst *x, const char *name, size_t len)
{
	return (struct var *)var_get(x, name, len);
}

static void var_set(struct fst *x, const char *name, size_t len, uint8_t st,
		    int job)
{
	struct var *v = var_find(x, name, len);

	if (!v) {
		if (x->nvars == MAX_VARS)
			return; /* unknown from now on */
		v = &x->vars[x->nvars++];
		v->name = name;
		v->len = len;
	}
	v->st = st;
	v->job = (int8_t)job;
	v->flags = 0;
}

/* NAME holds the number num (after var_set gave its status) */
static void var_set_num(struct fst *x, const char *name, size_t len, long num)
{
	struct var *v = var_find(x, name, len);

	if (v) {
		v->flags |= V_EXACT;
		v->num = num;
		if (!v->st) /* `((n++))` from a non-zero n: now known */
			v->st = num % 256 == 0 ? ST_Z : ST_N;
	}
}

static const struct fn *fn_find(const struct fst *x, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < x->nfns; i++)
		if (x->fns[i].len == len && !memcmp(x->fns[i].name, name, len))
			return &x->fns[i];
	return NULL;
}

/* Either of two outputs: statuses join, anything else is unknown. */
static uint8_t join_out(uint8_t a, uint8_t b)
{
	if (a == b)
		return a;
	if (!a || !b || a == OUT_NONE || b == OUT_NONE)
		return 0;
	return a | b;
}

/* Join `b` into `a`: the state of either path. */
static void st_join(struct fst *a, const struct fst *b)
{
	a->st |= b->st;
	a->errexit |= b->errexit;
	a->pipefail |= b->pipefail;
	a->fired |= b->fired;
	a->runs |= b->runs;
	for (size_t i = 0; i < a->nvars; i++) {
		struct var *v = &a->vars[i];
		const struct var *w = NULL;

		for (size_t k = 0; k < b->nvars; k++)
			if (b->vars[k].len == v->len &&
			    !memcmp(b->vars[k].name, v->name, v->len))
				w = &b->vars[k];
		if (!w) {
			v->flags |= V_MAYBE_UNSET;
			v->flags &= (uint8_t)~V_UNSET;
		} else if ((v->flags & V_UNSET) != (w->flags & V_UNSET)) {
			/* set on one path, unset on the other */
			if (v->flags & V_UNSET) {
				v->st = w->st;
				v->job = w->job;
			}
			v->flags = (uint8_t)(((v->flags | w->flags) &
					      (V_TAINT | V_BOOL)) |
					     V_MAYBE_UNSET);
		} else if (w->job != v->job) {
			v->st = 0;
			v->job = -1;
			v->flags |= w->flags & (V_TAINT | V_MAYBE_UNSET);
		} else if ((v->st && w->st) || (v->flags & V_UNSET)) {
			v->st |= w->st;
			v->flags |= w->flags & (V_TAINT | V_MAYBE_UNSET);
		} else {
			v->st = 0;
			v->flags |= w->flags & (V_TAINT | V_MAYBE_UNSET);
		}
		if (!w || !(w->flags & V_EXACT) || w->num != v->num ||
		    (v->flags & V_MAYBE_UNSET))
			v->flags &= (uint8_t)~V_EXACT;
		/* a word on one path only: not known to be one */
		if ((v->flags & V_BOOL) && w && !(w->flags & V_BOOL))
			v->flags &= (uint8_t)~V_BOOL;
		else if (w && (v->flags & V_BOOL))
			v->flags |= w->flags & V_BOOL;
	}
	for (size_t k = 0; k < b->nvars && a->nvars < MAX_VARS; k++)
		if (!var_find(a, b->vars[k].name, b->vars[k].len)) {
			a->vars[a->nvars] = b->vars[k];
			a->vars[a->nvars].flags |= V_MAYBE_UNSET;
			a->vars[a->nvars++].flags &=
			    (uint8_t) ~(V_UNSET | V_EXACT);
		}
	for (size_t k = 0; k < b->nfns && a->nfns < MAX_FNS; k++)
		if (!fn_find(a, b->fns[k].name))
			a->fns[a->nfns++] = b->fns[k];
	for (size_t k = 0; k < b->njobs; k++) {
		if (k < a->njobs) {
			a->jobs[k].st |= b->jobs[k].st;
			a->jobs[k].waited &= b->jobs[k].waited;
			if (a->jobs[k].num != b->jobs[k].num)
				a->jobs[k].num = 0;
		} else {
			a->jobs[a->njobs++] = b->jobs[k];
		}
	}
	if (a->last_job != b->last_job)
		a->last_job = -1;
	if (a->npipest != b->npipest)
		a->npipest = 0;
	for (size_t k = 0; k < a->npipest; k++)
		a->pipest[k] |= b->pipest[k];
	a->trap_st |= b->trap_st;
	a->err_trap_st |= b->err_trap_st;
	if (a->trap != b->trap || b->trap_some)
		a->trap_some = true;
	if (!a->trap)
		a->trap = b->trap;
	if (!a->err_trap)
		a->err_trap = b->err_trap;
	a->errtrace |= b->errtrace;
	a->inherit_errexit |= b->inherit_errexit;
	a->out = join_out(a->out, b->out);
	a->subst_out = join_out(a->subst_out, b->subst_out);
	if (!a->off_s) {
		a->off_s = b->off_s;
		a->off_start = b->off_start;
		a->off_end = b->off_end;
	}
	if (!a->carry.kind)
		a->carry = b->carry;
	if (!a->blame.kind)
		a->blame = b->blame;
}

/* *dst = *dst joined with src; src is consumed. */
static void join_into(struct an *a, struct fst **dst, struct fst *src)
{
	if (!src)
		return;
	if (!*dst) {
		*dst = src;
		return;
	}
	st_join(*dst, src);
	st_free(a, src);
}

static void flow_release(struct an *a, struct flow *f)
{
	st_free(a, f->norm);
	st_free(a, f->exit);
	st_free(a, f->ret);
	st_free(a, f->brk);
	st_free(a, f->cont);
	memset(f, 0, sizeof(*f));
}

/* A status as a value: what `$?` reads, what `exit $?` exits with. */
static uint8_t as_value(uint8_t st)
{
	uint8_t v = st & (ST_Z | ST_ZT | ST_N | ST_F);

	if (st & ST_NI)
		v |= ST_N;
	if (st & ST_FI)
		v |= ST_F;
	return v;
}

/* Non-zero bits become ignored ones (and the other way round). */
static uint8_t ignored(uint8_t st)
{
	uint8_t v = st & ~(ST_N | ST_F);

	if (st & ST_N)
		v |= ST_NI;
	if (st & ST_F)
		v |= ST_FI;
	return v;
}

static uint8_t nonzero(const struct cx *c)
{
	return c->taint ? ST_F : ST_N;
}

/* The status of x becomes st: where the failure leaves, note why. */
static void set_status(struct fst *x, uint8_t st)
{
	if ((x->st & ST_FAIL) && !(st & ST_FAIL) && x->carry.kind &&
	    !x->blame.kind && (x->fired & B_ON))
		x->blame = x->carry;
	if (!(st & ST_FAIL))
		x->carry.kind = CG_LOSS_NONE;
	x->st = st;
}

/* Keep the paths of x whose status is in `bits` (a split, not a change). */
static void restrict_to(struct fst *x, uint8_t bits)
{
	x->st = bits;
	if (!(bits & ST_FAIL))
		x->carry.kind = CG_LOSS_NONE;
}

static void blame(struct fst *x, const struct cg_loss *l)
{
	if (!x->blame.kind && (x->fired & B_ON))
		x->blame = *l;
}

static struct cg_loss loss_at(enum cg_loss_kind kind, const struct cg_script *s,
			      size_t start, size_t end)
{
	struct cg_loss l;

	memset(&l, 0, sizeof(l));
	l.kind = kind;
	l.s = s;
	l.start = start;
	l.end = end;
	return l;
}

static struct cg_loss errexit_off(const struct fst *x, const struct cx *c)
{
	struct cg_loss l;

	if (x->off_s)
		return loss_at(CG_LOSS_ERREXIT_OFF, x->off_s, x->off_start,
			       x->off_end);
	l = loss_at(CG_LOSS_ERREXIT_OFF, c->s, 0, 0);
	l.shell = c->shell;
	return l;
}

/* ------------------------------------------------------------- values */

static bool name_char(char ch, bool first)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') || (!first && ch >= '0' && ch <= '9');
}

/* Length of the NAME at the start of t, or 0. */
static size_t name_len(const char *t, size_t n)
{
	size_t i = 0;

	while (i < n && name_char(t[i], i == 0))
		i++;
	return i;
}

struct val {
	bool known;
	uint8_t st;
	int job;
	bool empty; /* known to be "" (st is 0) */
	/* a number the script wrote here, or the default of a `${x:-N}`
	 * whose x was never set: num is its value */
	bool exact;
	long num;
};

/* Nothing known: no status, no job, no number. */
static const struct val no_val = {.job = -1};

static bool all_digits(const char *t, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

static struct val literal_status(const char *t, size_t n, const struct cx *c)
{
	struct val v = no_val;
	unsigned long k = 0;

	if (!all_digits(t, n) || n > 9)
		return v;
	for (size_t i = 0; i < n; i++)
		k = k * 10 + (unsigned long)(t[i] - '0');
	v.known = true;
	v.st = k % 256 == 0 ? ST_Z : nonzero(c);
	/* `08`: 8 to test, an error to $(( )), not "8" to `=` */
	v.exact = n == 1 || t[0] != '0';
	v.num = (long)k;
	return v;
}

static struct val lookup_name(const struct fst *x, const char *t, size_t n)
{
	struct val v = no_val;

	for (size_t i = 0; i < x->nvars; i++)
		if (x->vars[i].len == n && !memcmp(x->vars[i].name, t, n) &&
		    !(x->vars[i].flags & V_UNSET)) {
			v.st = x->vars[i].st;
			v.job = x->vars[i].job;
			v.known = v.st || v.job >= 0;
			v.exact = (x->vars[i].flags & V_EXACT) != 0;
			v.num = x->vars[i].num;
		}
	return v;
}

/* `$?`, `$rc`, `${rc}`, `${PIPESTATUS[0]}`, `$!`, a number. */
static struct val read_exact(const struct fst *x, const struct cx *c,
			     const char *t, size_t n)
{
	struct val v = no_val;
	size_t k;

	if (n >= 2 && t[0] == '$') {
		x = expanding(x, c);
		if (n == 2 && t[1] == '?') {
			v.known = true;
			v.st = as_value(x->st);
			v.exact = v.st == ST_Z; /* a success: 0 */
			return v;
		}
		if (n == 2 && t[1] == '!') {
			v.known = x->last_job >= 0;
			v.job = x->last_job;
			return v;
		}
		if (t[1] == '{' && t[n - 1] == '}') {
			t += 2;
			n -= 3;
		} else {
			t += 1;
			n -= 1;
		}
		if (n >= 13 && !memcmp(t, "PIPESTATUS[", 11) &&
		    t[n - 1] == ']') {
			size_t i = 11, idx = 0;

			for (; i + 1 < n && t[i] >= '0' && t[i] <= '9'; i++)
				idx = idx * 10 + (size_t)(t[i] - '0');
			if (i + 1 == n && idx < x->npipest) {
				v.known = true;
				v.st = x->pipest[idx];
			}
			return v;
		}
		if (n == 10 && !memcmp(t, "PIPESTATUS", 10) && x->npipest) {
			v.known = true;
			v.st = x->pipest[0];
			return v;
		}
		k = name_len(t, n);
		if (k && k == n)
			return lookup_name(x, t, n);
		if (k && k < n && t[k] == '[' && t[n - 1] == ']')
			return lookup_name(x, t, k); /* ${rc[0]} */
		if (k && k + 1 < n && t[-1] == '{' &&
		    (t[k] == '-' || (t[k] == ':' && t[k + 1] == '-'))) {
			/* ${rc:-0}: the variable, or the default when unset */
			size_t d = k + (t[k] == ':' ? 2 : 1);
			struct val def = literal_status(t + d, n - d, c);
			const struct var *var = var_get(x, t, k);

			if (!var)
				return def;
			if (var->flags & V_UNSET)
				return def;
			v = lookup_name(x, t, k);
			if (!v.known || !(var->flags & V_MAYBE_UNSET))
				return v;
			if (!def.known)
				return def;
			v.st |= def.st;
			return v;
		}
		return v;
	}
	return literal_status(t, n, c);
}

/*
 * Does text we cannot read mention a status: `$?`, PIPESTATUS, or a
 * variable that holds (or follows) the failure? Then its value may carry
 * the failure on (`rc=("${PIPESTATUS[@]}")` ... `exit ${rc[0]}`).
 */
static bool mentions_status(const struct fst *x, const char *t, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		const char *p = t + i + 1;
		size_t left = n - i - 1, k;

		if (t[i] != '$')
			continue;
		if (*p == '?')
			return true;
		if (*p == '{' || *p == '(') {
			p++;
			left--;
		}
		if (left && p[-1] == '{' && *p == '#') {
			p++; /* ${#errors[@]}: as many as were added */
			left--;
		}
		while (left && (*p == '(' || *p == ' ')) {
			p++;
			left--;
		}
		if (left >= 10 && !memcmp(p, "PIPESTATUS", 10))
			return true;
		if ((k = name_len(p, left))) {
			const struct var *v = var_get(x, p, k);

			/* one unset here expands to nothing */
			if (v && !(v->flags & V_UNSET) &&
			    ((v->st & (ST_F | ST_ZT)) || (v->flags & V_TAINT) ||
			     (!v->st && v->job < 0)))
				return true;
		}
	}
	for (size_t i = 0; i + 10 <= n; i++)
		if (!memcmp(t + i, "PIPESTATUS", 10))
			return true;
	return false;
}

/*
 * A status passed on through text we cannot read: zero or not, and the
 * failure only where it may have happened yet. Before the site has failed
 * on any path, no value can hold it (`[[ $(make test; echo $?) -ne 0 ]]`
 * before the failing `pytest` reads make's status, which passed).
 */
static uint8_t passed_on(const struct fst *x)
{
	return ST_Z | ((x->fired & B_ON) ? ST_F : ST_N);
}

static uint8_t negate(uint8_t st);
static uint8_t arith_test(const struct fst *x, const struct cx *c,
			  const char *e, size_t len);

static struct val read_value(const struct fst *x, const struct cx *c,
			     const char *t, size_t n)
{
	struct val v = read_exact(x, c, t, n);
	const struct fst *ex = expanding(x, c);

	if (!v.known && n > 5 && !memcmp(t, "$((", 3) &&
	    !memcmp(t + n - 2, "))", 2)) {
		/* `exit $((fails > 0))`: 1 where `(( ... ))` is 0, and 0
		 * where it is 1 (bare names read as the expander's); a value
		 * it cannot tell (`$((fails + 1))`) is read as below */
		uint8_t r = arith_test(ex, c, t + 3, n - 5);

		if (!(r & ST_ZERO) || !(r & ST_NONZERO) ||
		    (r & (ST_ZT | ST_FAIL)) || !mentions_status(ex, t, n)) {
			v.known = true;
			v.st = negate(r);
			return v;
		}
	}

	if (!v.known && n > 3 && t[0] == '$' && t[1] == '(' &&
	    t[n - 1] == ')' && x->subst_out) {
		/* the command's one `$(...)`, which printed a status, or
		 * nothing (dash's -e ended it at the failure) */
		v.known = true;
		if (x->subst_out == OUT_NONE)
			v.empty = true;
		else
			v.st = x->subst_out;
		return v;
	}

	if (!v.known && mentions_status(ex, t, n)) {
		v.known = true;
		v.st = passed_on(ex);
	}
	return v;
}

/* A term of `$(( ... ))` or `(( ... ))` in [q, p): `$x`, `x`, a number. */
static struct val read_term(const struct fst *x, const struct cx *c,
			    const char *q, const char *p)
{
	size_t n;

	while (q < p && *q == ' ')
		q++;
	while (p > q && p[-1] == ' ')
		p--;
	n = (size_t)(p - q);
	if (n && *q != '$' && name_len(q, n) == n) {
		const struct var *v = var_get(x, q, n);

		/* unset on this path (`ok && fails=0` skipped): 0 */
		if (v && (v->flags & V_UNSET))
			return literal_status("0", 1, c);
		return lookup_name(x, q, n);
	}
	return read_value(x, c, q, n);
}

/*
 * Arithmetic [p, end) as terms joined by + or |: non-zero if one is; the
 * sum bash makes when every term is a number the script wrote.
 */
static struct val sum_terms(const struct fst *x, const struct cx *c,
			    const char *p, const char *end)
{
	struct val v = no_val;
	uint8_t any_nonzero = 0;
	bool all_zero = true, exact = true;
	long sum = 0;
	char join = '+';

	while (p < end) {
		const char *q = p;
		struct val tv;

		while (p < end && *p != '+' && *p != '|')
			p++;
		while (q < p && *q == ' ')
			q++;
		tv = read_term(x, c, q, p);
		if (tv.exact && (!tv.known || !tv.st)) {
			tv.known = true;
			tv.st = tv.num % 256 == 0 ? ST_Z : nonzero(c);
		}
		if (!tv.known || !tv.st)
			return v;
		exact = exact && tv.exact && tv.num >= 0 && tv.num < 1000000 &&
			sum < 1000000;
		if (exact)
			sum = join == '+' ? sum + tv.num : sum | tv.num;
		join = p < end ? *p : join;
		if (tv.st & ~ST_ZERO)
			all_zero = false;
		if (!(tv.st & ST_ZERO))
			any_nonzero |= tv.st;
		if (p < end)
			p++;
	}
	v.known = true;
	if (all_zero)
		v.st = ST_Z;
	else if (any_nonzero)
		v.st = any_nonzero & (ST_N | ST_F);
	else
		v.st = ST_Z | ST_N | ST_F;
	v.exact = exact;
	v.num = sum;
	if (exact && sum % 256 == 0)
		v.st = ST_Z;
	return v;
}

/* The value of `NAME=VALUE`'s VALUE, including `$(( a + $? ))`. */
static struct val assign_value(const struct fst *x, const struct cx *c,
			       const char *t, size_t n)
{
	struct val v = no_val;

	if (n > 5 && !memcmp(t, "$((", 3) && !memcmp(t + n - 2, "))", 2))
		return sum_terms(x, c, t + 3, t + n - 2);
	if (memchr(t, '$', n) || memchr(t, '`', n)) {
		if (n >= 2 && t[0] == '$')
			return read_value(x, c, t, n);
		return v;
	}
	return literal_status(t, n, c);
}

/* `NAME=VALUE` (also `local NAME=VALUE`): remember a status or job. */
static void assign(struct fst *x, const struct cx *c, const char *t, size_t n)
{
	size_t k = name_len(t, n);
	struct val v;

	if (!k || k >= n || (t[k] != '=' && !(t[k] == '+' && k + 1 < n)))
		return;
	if (t[k] == '+') { /* rc+=...: unknown */
		var_set(x, t, k, 0, -1);
		return;
	}
	if (k + 1 == n) { /* `ok=`: empty, which tests see as unset */
		struct var *empty;

		var_set(x, t, k, 0, -1);
		if ((empty = var_find(x, t, k)))
			empty->flags = V_UNSET;
		return;
	}
	v = assign_value(x, c, t + k + 1, n - k - 1);
	if (!v.known &&
	    mentions_status(expanding(x, c), t + k + 1, n - k - 1)) {
		v.known = true;
		v.st = passed_on(expanding(x, c));
	}
	var_set(x, t, k, v.known ? v.st : 0, v.known ? v.job : -1);
	if (v.known && v.exact)
		var_set_num(x, t, k, v.num);
	/* ok=true / ok=false: a flag run later as `$ok` */
	if (n - k - 1 == 4 && !memcmp(t + k + 1, "true", 4))
		var_find(x, t, k)->flags |= V_TRUE;
	else if (n - k - 1 == 5 && !memcmp(t + k + 1, "false", 5))
		var_find(x, t, k)->flags |= V_FALSE;
}

/* Is word w just `$NAME` or `${NAME}`? The name in *name, *len. */
static bool var_ref(const struct cg_sh_word *w, const char **name, size_t *len)
{
	const char *t = w->text;
	size_t n = w->len;

	if (n < 2 || t[0] != '$')
		return false;
	t++, n--;
	if (n > 2 && t[0] == '{' && t[n - 1] == '}')
		t++, n -= 2;
	if (!n || name_len(t, n) != n)
		return false;
	*name = t;
	*len = n;
	return true;
}

/* Word w as a command name: `$NAME` or `${NAME}` of a variable that holds
 * `true` or `false` on every path here: 0 and in *st the status they
 * give (both: either), else -1. */
static int bool_var_cmd(const struct fst *x, const struct cg_sh_word *w,
			uint8_t *st)
{
	const struct var *v;
	const char *t;
	size_t n;

	if (!var_ref(w, &t, &n) || !(v = var_get(x, t, n)) ||
	    !(v->flags & V_BOOL) || (v->flags & (V_UNSET | V_MAYBE_UNSET)))
		return -1;
	*st = (uint8_t)(((v->flags & V_TRUE) ? ST_Z : 0) |
			((v->flags & V_FALSE) ? ST_N : 0));
	return 0;
}

/* Is word w just `$NAME` (or `${NAME}`) for a variable the script has not
 * set on this path? It expands to nothing. */
static bool unset_var(const struct fst *x, const struct cg_sh_word *w)
{
	const struct var *v;
	const char *t;
	size_t n;

	if (!var_ref(w, &t, &n))
		return false;
	v = var_get(x, t, n);
	return !v || (v->flags & V_UNSET);
}

/*
 * Word w is `$NAME` of a variable the script has not set on this path
 * (unset_var): does the environment the script runs with hold it? ENV_SET:
 * not empty (the job's `env:` gives it a value, or the runner sets it
 * always); ENV_MAYBE: some value we cannot read (a secret, an
 * expression); ENV_NONE: it is empty or unset there too.
 */
enum env_has { ENV_NONE, ENV_SET, ENV_MAYBE };

static enum env_has env_has(const struct cx *c, const struct cg_sh_word *w)
{
	const struct cg_env_fact *d;
	const char *t;
	size_t n;
	char name[128];

	if (!c->at || !c->at->m || !c->at->g || !var_ref(w, &t, &n) ||
	    n >= sizeof(name))
		return ENV_NONE;
	memcpy(name, t, n);
	name[n] = '\0';
	d = cg_env_lookup_item(c->at->m, c->at->g, c->at->item, name);
	if (d && d->value_kind == CG_VALUE_LITERAL)
		return d->value && *d->value ? ENV_SET : ENV_NONE;
	if (d)
		return ENV_MAYBE;
	return cg_runner_sets(c->at->g->kind, name) ? ENV_SET : ENV_NONE;
}

/* unset_var, and not set by the environment either: empty for sure */
static bool unset_here(const struct fst *x, const struct cx *c,
		       const struct cg_sh_word *w)
{
	const char *t;
	size_t n;

	if (!unset_var(x, w))
		return false;
	/* `unset X` in the script: whatever the env held is gone */
	if (var_ref(w, &t, &n) && var_get(x, t, n))
		return true;
	return env_has(c, w) == ENV_NONE;
}

/* ----------------------------------------------------------- commands */

static void taint_list(struct fst *x, const struct cg_sh_list *l,
		       unsigned depth);

static void taint_name(struct fst *x, const char *t, size_t n)
{
	size_t k = name_len(t, n);
	struct var *v;

	if (!k || k >= n || (t[k] != '=' && t[k] != '+'))
		return;
	if (!(v = var_find(x, t, k))) {
		if (x->nvars == MAX_VARS)
			return;
		v = &x->vars[x->nvars++];
		v->name = t;
		v->len = k;
		v->st = 0;
		v->job = -1;
		v->flags = V_UNSET;
	}
	v->flags |= V_TAINT;
	if (v->st & ST_Z)
		v->st = (uint8_t)((v->st & ~ST_Z) | ST_ZT);
	if (v->st & ST_N)
		v->st = (uint8_t)((v->st & ~ST_N) | ST_F);
}

/* Code the failure made the shell skip: the variables it would have set
 * now hold values that follow the failure (`pytest && ok=1`). */
static void taint_cmd(struct fst *x, const struct cg_sh_cmd *cmd,
		      unsigned depth)
{
	if (depth > 16)
		return;
	if (cmd->kind == CG_SH_SIMPLE) {
		if (!cmd->nwords)
			for (size_t i = 0; i < cmd->nassigns; i++)
				taint_name(x, cmd->assigns[i].text,
					   cmd->assigns[i].len);
		else if (!strcmp(cmd->words[0].text, "local") ||
			 !strcmp(cmd->words[0].text, "export") ||
			 !strcmp(cmd->words[0].text, "declare") ||
			 !strcmp(cmd->words[0].text, "readonly"))
			for (size_t i = 1; i < cmd->nwords; i++)
				taint_name(x, cmd->words[i].text,
					   cmd->words[i].len);
		return;
	}
	for (size_t b = 0; b < 3; b++)
		taint_list(x, cmd->body[b], depth + 1);
	for (size_t r = 0; r < cmd->narms; r++)
		taint_list(x, cmd->arms[r], depth + 1);
}

static void taint_pipeline(struct fst *x, const struct cg_sh_pipeline *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		taint_cmd(x, &pl->cmds[i], 0);
}

static void taint_list(struct fst *x, const struct cg_sh_list *l,
		       unsigned depth)
{
	for (size_t i = 0; l && i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++)
				taint_cmd(x, &l->items[i].pipes[p].cmds[k],
					  depth);
}

static void exec_list(struct an *a, const struct cx *c,
		      const struct cg_sh_list *l, struct flow *f,
		      const struct cg_loss *cond);
static void exec_cmd(struct an *a, const struct cx *c,
		     const struct cg_sh_cmd *cmd, struct flow *f,
		     const struct cg_loss *pos);

static bool word_is(const struct cg_sh_cmd *cmd, size_t i, const char *w)
{
	return i < cmd->nwords && !strcmp(cmd->words[i].text, w);
}

/* `V OP K` for numbers (`K OP V` when swapped); false when op is no
 * comparison. */
static bool compare_nums(const char *op, long v, long k, bool swap, bool *res)
{
	long a = swap ? k : v, b = swap ? v : k;

	if (!strcmp(op, "-eq") || !strcmp(op, "=") || !strcmp(op, "=="))
		*res = a == b;
	else if (!strcmp(op, "-ne") || !strcmp(op, "!="))
		*res = a != b;
	else if (!strcmp(op, "-gt") || !strcmp(op, ">"))
		*res = a > b;
	else if (!strcmp(op, "-lt") || !strcmp(op, "<"))
		*res = a < b;
	else if (!strcmp(op, "-ge") || !strcmp(op, ">="))
		*res = a >= b;
	else if (!strcmp(op, "-le") || !strcmp(op, "<="))
		*res = a <= b;
	else
		return false;
	return true;
}

/* The script compares the failure's exit code with a number at script
 * bytes [start, end): the first place that does is where a code it lets
 * through is reported. */
static void note_compared(const struct cx *c, size_t start, size_t end)
{
	struct code_probe *pr = c->probe;

	if (pr->compared)
		return;
	pr->compared = true;
	pr->s = c->s;
	pr->start = start;
	pr->end = end;
}

/*
 * A status that holds the failure (`st`: F, ZT, maybe Z and N too)
 * compared with the number k: decided by the failure's exit code. While
 * the code is open either way can be taken (the probe notes that the
 * script looked); with the run's code, the way that code takes.
 */
static uint8_t compare_code(const struct cx *c, uint8_t st, const char *op,
			    long k, bool swap)
{
	struct code_probe *pr = c->probe;
	uint8_t out = 0;
	bool zero_res, fail_res;

	if (!compare_nums(op, 0, k, swap, &zero_res))
		return ST_Z | nonzero(c);
	if (!pr->code) {
		if (pr->cmd)
			note_compared(c, pr->cmd->start, pr->cmd->end);
		out = ST_ZT | ST_F;
		if (st & (ST_Z | ST_N))
			out |= ST_Z | ST_N;
		return out;
	}
	compare_nums(op, pr->code, k, swap, &fail_res);
	if (st & ST_F)
		out |= fail_res ? ST_ZT : ST_F;
	if (st & ST_ZT)
		out |= zero_res ? ST_ZT : ST_F;
	if (st & ST_Z)
		out |= zero_res ? ST_Z : nonzero(c);
	if (st & ST_N)
		out |= ST_Z | nonzero(c);
	return out;
}

/*
 * A test whose outcome the script fixes: two numbers it wrote (`[ 0 -ne 2
 * ]`), or the default of a `${rc:-0}` whose rc was never set against one.
 * *res: true or false. `=` and `!=` compare text, the same for numbers
 * written without leading zeros; `<` and `>` in `[[ ]]` compare text in
 * the locale's order and are left alone. A variable holds a number
 * while the script wrote it (V_EXACT): a loop's counter is followed
 * round by round, and forgotten in the last round followed.
 */
static bool decided(struct val l, struct val r, const char *op, bool arith,
		    uint8_t *res)
{
	bool out;

	if (!l.exact || !r.exact)
		return false;
	if (!arith && op[0] != '-' && strcmp(op, "=") && strcmp(op, "==") &&
	    strcmp(op, "!="))
		return false;
	if (!compare_nums(op, l.num, r.num, false, &out))
		return false;
	*res = out;
	return true;
}

/* The test of `[ A OP B ]`, `[[ ... ]]`, `test`, `(( ... ))` as a status
 * set, when one side is a status and the other 0 (else unknown). */
static uint8_t eval_compare(const struct fst *x, const struct cx *c,
			    const char *lhs, size_t ln, const char *op,
			    const char *rhs, size_t rn, bool arith)
{
	struct val l =
	    arith ? read_term(x, c, lhs, lhs + ln) : read_value(x, c, lhs, ln);
	struct val r =
	    arith ? read_term(x, c, rhs, rhs + rn) : read_value(x, c, rhs, rn);
	uint8_t out = 0, bits;
	bool zero_true, nonzero_true, nonzero_known = true;
	bool swap = false;
	const char *rt = rhs;
	size_t rtn = rn;

	if (l.empty || r.empty) {
		if (arith) {
			/* an empty operand of arithmetic is 0 */
			if (l.empty)
				l.st = ST_Z;
			if (r.empty)
				r.st = ST_Z;
			l.empty = r.empty = false;
		} else if (op[0] == '-') {
			/* `[ "" -ne 0 ]`: not a number, an error (2) */
			return nonzero(c);
		} else if (l.empty && r.empty) {
			return !strcmp(op, "!=") ? nonzero(c) : ST_Z;
		} else if ((l.empty ? r : l).known) {
			/* "" against a status's digits: never equal */
			return !strcmp(op, "!=") ? ST_Z : nonzero(c);
		} else {
			return ST_Z | nonzero(c);
		}
	}

	if (decided(l, r, op, arith, &bits))
		return bits ? ST_Z : nonzero(c);
	if (!l.known || !l.st) {
		struct val t = l;

		l = r;
		r = t;
		swap = true;
		rt = lhs;
		rtn = ln;
	}
	if (!l.known || !l.st)
		return ST_Z | nonzero(c);
	if (r.known && r.st != ST_Z && (l.st & (ST_F | ST_ZT)) &&
	    all_digits(rt, rtn) && rtn < 4)
		return compare_code(c, l.st, op, strtol(rt, NULL, 10), swap);
	if (!r.known || r.st != ST_Z) {
		/* `[ $rc -ne 5 ]`: true or false, but decided by the
		 * failure when rc holds it */
		if (l.st & (ST_F | ST_ZT))
			return (uint8_t)(ST_ZT | ST_F |
					 ((l.st & (ST_Z | ST_N)) ? ST_Z | ST_N
								 : 0));
		return ST_Z | nonzero(c);
	}
	/* compare "status" against 0 */
	if (!strcmp(op, "-eq") || !strcmp(op, "=") || !strcmp(op, "==")) {
		zero_true = true;
		nonzero_true = false;
	} else if (!strcmp(op, "-ne") || !strcmp(op, "!=")) {
		zero_true = false;
		nonzero_true = true;
	} else if (!strcmp(op, swap ? "-lt" : "-gt") ||
		   !strcmp(op, swap ? "<" : ">")) {
		zero_true = false;
		nonzero_true = true;
	} else if (!strcmp(op, swap ? "-ge" : "-le") ||
		   !strcmp(op, swap ? ">=" : "<=")) {
		zero_true = true;
		nonzero_true = false;
	} else {
		return ST_Z | nonzero(c);
	}
	bits = l.st;
	if (bits & ST_Z)
		out |= zero_true ? ST_Z : nonzero(c);
	if (bits & ST_ZT)
		out |= zero_true ? ST_ZT : ST_F;
	if (bits & ST_N)
		out |= nonzero_known ? (nonzero_true ? ST_Z : nonzero(c))
				     : ST_Z | nonzero(c);
	if (bits & ST_F)
		out |= nonzero_true ? ST_ZT : ST_F;
	return out;
}

static uint8_t negate(uint8_t st)
{
	uint8_t out = 0;

	if (st & ST_Z)
		out |= ST_N;
	if (st & ST_ZT)
		out |= ST_F;
	if (st & (ST_N | ST_NI))
		out |= ST_Z;
	if (st & (ST_F | ST_FI))
		out |= ST_ZT;
	return out;
}

/* The status of `(( e ))` (e: len bytes): 0 when EXPR is non-zero. */
static uint8_t arith_test(const struct fst *x, const struct cx *c,
			  const char *e, size_t len)
{
	static const char *const ops[] = {"!=", "==", ">=", "<=", ">", "<"};
	bool neg = false;
	uint8_t r;

	while (len && e[0] == ' ')
		e++, len--;
	while (len && e[len - 1] == ' ')
		len--;
	if (len && e[0] == '!') {
		neg = true;
		e++, len--;
		while (len && e[0] == ' ')
			e++, len--;
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(*ops); k++) {
		const char *at = NULL;
		size_t ol = strlen(ops[k]);

		for (size_t q = 0; q + ol <= len; q++)
			if (!memcmp(e + q, ops[k], ol)) {
				at = e + q;
				break;
			}
		if (at) {
			size_t ll = (size_t)(at - e), rl;
			const char *rh = at + ol;

			while (ll && e[ll - 1] == ' ')
				ll--;
			rl = len - (size_t)(rh - e);
			while (rl && rh[0] == ' ')
				rh++, rl--;
			r = eval_compare(x, c, e, ll, ops[k], rh, rl, true);
			return neg ? negate(r) : r;
		}
	}
	/* (( rc )): true when rc is non-zero */
	r = eval_compare(x, c, e, len, "!=", "0", 1, true);
	return neg ? negate(r) : r;
}

/*
 * An arithmetic expression that is one assignment: `n++`, `n--`, `++n`,
 * `--n`, `n+=T`, `n-=T`, `n=T` (T a number or a variable), the whole of
 * `(( ))` or of a `let` argument. Its status is 0 when its value is not
 * zero (`((fails++))` with fails 0 fails, and errexit sees it); n takes
 * its new value. A variable never set is 0 in arithmetic. False when `e`
 * is no such expression.
 */
static bool arith_assign(struct fst *x, const struct cx *c, const char *e,
			 size_t len, uint8_t *st)
{
	enum { POST, PRE, ADD, SET } op;
	const char *name, *rest = NULL;
	size_t k, rn = 0;
	const struct var *v;
	bool old_zero, old_other, val_zero, val_other, set_known = false;
	bool old_exact = false;
	long old_num = 0, delta = 0;
	uint8_t new_st = 0;
	unsigned long t = 0;

	while (len && *e == ' ')
		e++, len--;
	while (len && e[len - 1] == ' ')
		len--;
	if (len > 2 && (!memcmp(e, "++", 2) || !memcmp(e, "--", 2))) {
		op = PRE;
		name = e + 2;
		k = name_len(name, len - 2);
		if (!k || k != len - 2)
			return false;
	} else {
		name = e;
		if (!(k = name_len(e, len)))
			return false;
		rest = e + k;
		rn = len - k;
		while (rn && *rest == ' ')
			rest++, rn--;
		if (rn == 2 &&
		    (!memcmp(rest, "++", 2) || !memcmp(rest, "--", 2)))
			op = POST;
		else if (rn > 2 && (rest[0] == '+' || rest[0] == '-') &&
			 rest[1] == '=')
			op = ADD, rest += 2, rn -= 2;
		else if (rn > 1 && rest[0] == '=' && rest[1] != '=')
			op = SET, rest += 1, rn -= 1;
		else
			return false;
		while (rn && *rest == ' ')
			rest++, rn--;
		if (op == ADD) {
			struct val lit = literal_status(rest, rn, c);

			if (!lit.exact)
				return false;
			t = (unsigned long)lit.num;
		}
	}
	v = var_find(x, name, k);
	/* the number it held: followed while the script wrote it (unset
	 * is 0 to arithmetic) */
	if (!v || (v->flags & V_UNSET))
		old_exact = true, old_num = 0;
	else if (v->flags & V_EXACT)
		old_exact = true, old_num = v->num;
	if (op == PRE)
		delta = e[0] == '-' ? -1 : 1;
	else if (op == POST)
		delta = rest[0] == '-' ? -1 : 1;
	else if (op == ADD)
		delta = rest[-2] == '-' ? -(long)t : (long)t;
	if (!v || (v->flags & V_UNSET)) {
		old_zero = true;
		old_other = false;
	} else {
		old_zero =
		    !v->st || (v->st & ST_ZERO) || (v->flags & V_MAYBE_UNSET);
		old_other = !v->st || (v->st & ST_NONZERO);
	}
	switch (op) {
	case POST: /* the old value; a zero becomes non-zero */
		val_zero = old_zero;
		val_other = old_other;
		if (!old_other)
			new_st = ST_N, set_known = true;
		break;
	case PRE:
		val_zero = old_other;
		val_other = true;
		if (!old_other)
			val_zero = false, new_st = ST_N, set_known = true;
		break;
	case ADD:
		if (!old_other) {
			val_zero = !t;
			val_other = t != 0;
			new_st = t ? ST_N : ST_Z;
			set_known = true;
		} else {
			val_zero = val_other = true;
		}
		break;
	default: { /* SET */
		struct val tv = read_term(x, c, rest, rest + rn);

		if (!tv.known || !tv.st) /* `n = n + 1` */
			tv = sum_terms(x, c, rest, rest + rn);

		if (tv.known && tv.st) {
			val_zero = (tv.st & ST_ZERO) != 0;
			val_other = (tv.st & ST_NONZERO) != 0;
			new_st = tv.st;
			set_known = true;
			old_exact = tv.exact, old_num = tv.num, delta = 0;
		} else {
			val_zero = val_other = true;
			old_exact = false; /* `n = x`: x's, unknown */
		}
		break;
	}
	}
	var_set(x, name, k, set_known ? new_st : 0, -1);
	if (old_exact && old_num + delta >= 0 && old_num + delta < 1000000)
		var_set_num(x, name, k, old_num + delta);
	*st = (uint8_t)((val_other ? ST_Z : 0) | (val_zero ? nonzero(c) : 0));
	return true;
}

static uint8_t eval_test(const struct fst *x, const struct cx *c,
			 const struct cg_sh_cmd *cmd)
{
	const struct cg_sh_word *w = cmd->words;
	size_t n = cmd->nwords, i = 1;
	bool neg = false, arith = false;
	uint8_t r;

	if (!strcmp(w[0].text, "((")) {
		/* (( EXPR )): EXPR is one raw word */
		if (n != 3)
			return ST_Z | nonzero(c);
		return arith_test(x, c, w[1].text, w[1].len);
	}
	if (!strcmp(w[0].text, "[") || !strcmp(w[0].text, "[["))
		n--; /* the closing bracket */
	if (i < n && !strcmp(w[i].text, "!")) {
		neg = true;
		i++;
	}
	if (n - i == 2 &&
	    (!strcmp(w[i].text, "-z") || !strcmp(w[i].text, "-n"))) {
		/* `test -z "$failed"`: is a status variable set? */
		const char *t = w[i + 1].text;
		size_t len = w[i + 1].len, k;
		const struct fst *ex = expanding(x, c);
		const struct var *v = NULL;
		uint8_t set, unset;
		bool tainted;

		if (len > 1 && t[0] == '$') {
			t++, len--;
			if (len > 2 && t[0] == '{' && t[len - 1] == '}')
				t++, len -= 2;
			k = name_len(t, len);
			if (k == len)
				v = var_get(ex, t, len);
		}
		if (!v && unset_var(ex, &w[i + 1])) {
			enum env_has e = env_has(c, &w[i + 1]);

			if (e == ENV_MAYBE)
				return ST_Z | nonzero(c);
			/* never set here: empty, unless the env gives it */
			r = !strcmp(w[i].text, "-n") == (e == ENV_SET)
				? ST_Z
				: nonzero(c);
			return neg ? negate(r) : r;
		}
		if (!v || (!v->st && v->job < 0 && !(v->flags & V_UNSET)))
			return ST_Z | nonzero(c); /* a value we do not know */
		/* the value was made where the failure decided: so is this */
		tainted = (v->flags & V_TAINT) || (v->st & (ST_F | ST_ZT));
		set = tainted ? ST_ZT : ST_Z;
		unset = tainted ? ST_F : nonzero(c);
		if (v->flags & V_UNSET)
			r = !strcmp(w[i].text, "-n") ? unset : set;
		else
			r = !strcmp(w[i].text, "-n") ? set : unset;
		if (v->flags & V_MAYBE_UNSET)
			r |= !strcmp(w[i].text, "-n") ? unset : set;
		return neg ? negate(r) : r;
	}
	if (n - i == 3) {
		/* in `[[ ]]` -eq, -ne, -lt ... read arithmetic: `[[ rc -ne 0
		 * ]]` is rc's value, "" is 0 */
		arith = !strcmp(w[0].text, "[[") && w[i + 1].text[0] == '-';
		r = eval_compare(x, c, w[i].text, w[i].len, w[i + 1].text,
				 w[i + 2].text, w[i + 2].len, arith);
		return neg ? negate(r) : r;
	}
	return ST_Z | nonzero(c);
}

/* bash's builtins that dash (Debian's and Ubuntu's sh) does not have: a
 * command it does not find (127). Sorted (strcmp order). */
static bool dash_lacks(const char *w0)
{
	static const char *const lacks[] = {
	    "declare",	 "mapfile", "popd",   "pushd",
	    "readarray", "shopt",   "source", "typeset",
	};

	return cg_name_index(lacks, sizeof(lacks) / sizeof(*lacks),
			     sizeof(*lacks), w0) >= 0;
}

/* What exec_simple does with a command, by its first word. */
enum builtin {
	BI_NONE,
	BI_TRUE, /* true, : */
	BI_FALSE,
	BI_EXIT,
	BI_RETURN,
	BI_BREAK,
	BI_CONTINUE,
	BI_EXEC,
	BI_TRAP,
	BI_SET,
	BI_SHOPT,
	BI_WAIT,
	BI_TEST, /* [, [[, test, (( */
	BI_LET,
	BI_DECLARE, /* local, declare, typeset, export, readonly */
	BI_READ,    /* read, getopts */
	BI_UNSET,
	BI_MAY_EXIT, /* helpers that usually exit; not functions here */
};

/* sorted by name (strcmp order), for cg_name_kind */
static const struct cg_name_kind builtins[] = {
    {"((", BI_TEST},	     {":", BI_TRUE},
    {"[", BI_TEST},	     {"[[", BI_TEST},
    {"abort", BI_MAY_EXIT},  {"bail", BI_MAY_EXIT},
    {"break", BI_BREAK},     {"continue", BI_CONTINUE},
    {"declare", BI_DECLARE}, {"die", BI_MAY_EXIT},
    {"err", BI_MAY_EXIT},    {"error", BI_MAY_EXIT},
    {"exec", BI_EXEC},	     {"exit", BI_EXIT},
    {"export", BI_DECLARE},  {"fail", BI_MAY_EXIT},
    {"false", BI_FALSE},     {"fatal", BI_MAY_EXIT},
    {"getopts", BI_READ},    {"let", BI_LET},
    {"local", BI_DECLARE},   {"panic", BI_MAY_EXIT},
    {"read", BI_READ},	     {"readonly", BI_DECLARE},
    {"return", BI_RETURN},   {"set", BI_SET},
    {"shopt", BI_SHOPT},     {"test", BI_TEST},
    {"trap", BI_TRAP},	     {"true", BI_TRUE},
    {"typeset", BI_DECLARE}, {"unset", BI_UNSET},
    {"wait", BI_WAIT},
};

static enum builtin builtin_of(const char *w0)
{
	return (enum builtin)cg_name_kind(
	    builtins, sizeof(builtins) / sizeof(*builtins), w0, BI_NONE);
}

/* The builtin a simple command runs: its first word's, and exec's for
 * `command exec CMD` and `builtin exec CMD` (the shell still becomes
 * CMD). */
static enum builtin builtin_of_cmd(const struct cg_sh_cmd *cmd)
{
	if (!cmd->nwords)
		return BI_NONE;
	if (cmd->nwords > 2 &&
	    (!strcmp(cmd->words[0].text, "command") ||
	     !strcmp(cmd->words[0].text, "builtin")) &&
	    !strcmp(cmd->words[1].text, "exec"))
		return BI_EXEC;
	return builtin_of(cmd->words[0].text);
}

/*
 * `set -e`, `set +o pipefail`, `set -euxo pipefail`, `shopt -so pipefail`,
 * `shopt -s inherit_errexit`: the options that cmd's arguments change
 * (`fl`, read as the model reads every shell's flags) change in x.
 */
static void apply_flags(struct fst *x, const struct cx *c,
			const struct cg_sh_cmd *cmd,
			const struct cg_shell_flags *fl)
{
	if (fl->errexit != CG_OPT_KEEP) {
		x->errexit = fl->errexit == CG_OPT_ON ? B_ON : B_OFF;
		if (fl->errexit == CG_OPT_OFF) {
			x->off_s = c->s;
			x->off_start = cmd->start;
			x->off_end = cmd->end;
		}
	}
	if (fl->pipefail != CG_OPT_KEEP)
		x->pipefail = fl->pipefail == CG_OPT_ON ? B_ON : B_OFF;
	if (fl->errtrace != CG_OPT_KEEP)
		x->errtrace = fl->errtrace == CG_OPT_ON;
	if (fl->inherit_errexit != CG_OPT_KEEP)
		x->inherit_errexit = fl->inherit_errexit == CG_OPT_ON;
}

static void add_exit(struct an *a, struct flow *f, struct fst *x, uint8_t st)
{
	set_status(x, st);
	join_into(a, &f->exit, x);
	f->norm = NULL;
}

/* `exec CMD`: the shell becomes CMD, whose status is the shell's; its
 * EXIT and ERR traps never run (bash, dash). */
static void exec_exit(struct an *a, struct flow *f, struct fst *x)
{
	x->trap = NULL;
	x->trap_some = false;
	x->err_trap = NULL;
	add_exit(a, f, x, as_value(x->st));
}

/*
 * The job `%num` names, or -1 when no job or more than one may: a job
 * waited for leaves the job table, so its number is taken again.
 */
static int job_numbered(const struct fst *x, uint8_t num)
{
	int found = -1;

	for (size_t k = 0; k < x->njobs; k++) {
		const struct job *j = &x->jobs[k];

		if (j->waited)
			continue;
		if (!j->num)
			return -1;
		if (j->num == num)
			found = (int)k;
	}
	return found;
}

/*
 * The number the next job gets. dash takes the lowest one free; bash one
 * more than the highest in use (bash may also drop jobs that have ended
 * and not been waited for: a race, not modelled). 0 when it differs by
 * path.
 */
static uint8_t next_job_number(const struct fst *x, bool dash)
{
	uint8_t high = 0;
	bool used[MAX_JOBS + 2] = {false};

	for (size_t k = 0; k < x->njobs; k++) {
		const struct job *j = &x->jobs[k];

		if (j->waited)
			continue;
		if (!j->num)
			return 0;
		used[j->num] = true;
		if (j->num > high)
			high = j->num;
	}
	if (!dash)
		return high + 1;
	for (uint8_t n = 1;; n++)
		if (!used[n])
			return n;
}

/* `wait`, `wait -n`, `wait $pid ...` */
static void do_wait(struct fst *x, const struct cx *c,
		    const struct cg_sh_cmd *cmd)
{
	size_t i = 1;
	bool any = false, next = false;
	uint8_t st = 0;

	while (i < cmd->nwords && cmd->words[i].text[0] == '-') {
		if (strchr(cmd->words[i].text, 'n'))
			next = true;
		if (!strcmp(cmd->words[i].text, "-p") && i + 1 < cmd->nwords)
			i++;
		i++;
	}
	if (i == cmd->nwords && !next) {
		/* bare wait: 0, whatever the jobs returned */
		for (size_t k = 0; k < x->njobs; k++) {
			struct job *j = &x->jobs[k];

			if (!j->waited && (j->st & ST_FAIL)) {
				struct cg_loss l = loss_at(
				    CG_LOSS_WAIT, c->s, cmd->start, cmd->end);

				blame(x, &l);
			}
			j->waited = true;
		}
		set_status(x, ST_Z);
		return;
	}
	for (; i < cmd->nwords; i++) {
		const struct cg_sh_word *w = &cmd->words[i];
		struct val v = read_value(x, c, w->text, w->len);
		int job = -1;

		bool several = !next && (strstr(w->text, "[@]}") ||
					 strstr(w->text, "[*]}"));

		if (v.known && v.job >= 0 && !several)
			job = v.job;
		else if (w->text[0] == '%' && w->len == 2 &&
			 w->text[1] >= '1' && w->text[1] <= '9')
			job = job_numbered(x, (uint8_t)(w->text[1] - '0'));
		/* with several pids, wait returns the last one's status:
		 * an earlier job's failure is dropped here */
		if (!next && (st & ST_FAIL)) {
			struct cg_loss l = loss_at(CG_LOSS_WAIT_LAST, c->s,
						   cmd->start, cmd->end);

			blame(x, &l);
		}
		st = 0;
		if (job >= 0 && job < x->njobs) {
			st = x->jobs[job].st;
			x->jobs[job].waited = true;
		} else if (several) {
			/* "${pids[@]}": several pids, the last one's status
			 * only. Taken as the jobs not waited for yet, in the
			 * order they started (as `pids+=($!)` collects
			 * them): the last one's status, the others' lost */
			size_t last = x->njobs;

			for (size_t k = 0; k < x->njobs; k++)
				if (!x->jobs[k].waited) {
					if (last < x->njobs &&
					    (x->jobs[last].st & ST_FAIL)) {
						struct cg_loss l = loss_at(
						    CG_LOSS_WAIT_LAST, c->s,
						    cmd->start, cmd->end);

						blame(x, &l);
					}
					last = k;
					x->jobs[k].waited = true;
				}
			if (last < x->njobs)
				st = x->jobs[last].st;
			else
				any = true;
		} else {
			any = true;
		}
	}
	if (next) {
		/* the job that ends first: any of them may. When one holds
		 * the failure and another does not, the other may end first
		 * and the failure stays behind: take that order, since CI
		 * runs will */
		size_t unwaited = 0, pick = x->njobs;

		for (size_t k = 0; k < x->njobs; k++)
			if (!x->jobs[k].waited) {
				unwaited++;
				if (pick == x->njobs ||
				    ((x->jobs[pick].st & ST_FAIL) &&
				     !(x->jobs[k].st & ST_FAIL)))
					pick = k;
			}
		if (!unwaited) {
			st = ST_N; /* no job: 127 */
		} else {
			st = x->jobs[pick].st;
			x->jobs[pick].waited = true;
		}
	} else if (any) {
		/* a pid we cannot tell: any unwaited job's status */
		for (size_t k = 0; k < x->njobs; k++)
			if (!x->jobs[k].waited)
				st |= x->jobs[k].st;
	}
	set_status(x, st ? st : ST_Z | ST_N);
}

/* `find ... -exec CMD {} \;`: find's status ignores CMD's (with `+` it
 * does not). The span of the `;`, or false. */
static bool find_ignores(const struct cg_sh_cmd *cmd, size_t *start,
			 size_t *end)
{
	bool in_exec = false;

	if (!cmd->nwords || strcmp(cg_path_base(cmd->words[0].text), "find"))
		return false;
	for (size_t i = 1; i < cmd->nwords; i++) {
		const char *w = cmd->words[i].text;

		if (!in_exec) {
			in_exec = !strcmp(w, "-exec") || !strcmp(w, "-execdir");
		} else if (!strcmp(w, ";")) {
			*start = cmd->words[i].start;
			*end = cmd->words[i].end;
			return true;
		} else if (!strcmp(w, "+")) {
			return false;
		}
	}
	return false;
}

static void fire(struct an *a, const struct cx *c, struct fst *x,
		 const struct cg_sh_cmd *cmd)
{
	uint8_t st = 0, runs = 0;
	size_t fs, fe;

	if (cmd != a->site) {
		set_status(x, ST_Z);
		return;
	}
	/* run n of the site fails when n is k; every other run succeeds */
	x->fired = 0;
	for (unsigned done = 0; done < 8; done++) {
		unsigned n = done + 1, now = done < 7 ? done + 1 : 7;

		if (!(x->runs & (1u << done)))
			continue;
		st |= n == a->k ? ST_F : ST_Z;
		x->fired |= n >= a->k ? B_ON : B_OFF;
		runs |= (uint8_t)(1u << now);
	}
	x->runs = runs;
	if ((st & ST_F) && find_ignores(cmd, &fs, &fe)) {
		struct cg_loss l = loss_at(CG_LOSS_FIND, c->s, fs, fe);

		blame(x, &l);
		st = ST_Z;
	}
	set_status(x, st);
}

/* Finish a shell (the script, `bash -c`, a subshell): the EXIT trap, the
 * jobs nobody waited for; returns the state it exits with. */
static struct fst *finish_shell(struct an *a, const struct cx *c,
				struct flow *f, bool run_trap)
{
	struct fst *out = NULL;

	if (f->norm)
		f->norm->st = as_value(f->norm->st);
	join_into(a, &f->exit, f->norm);
	join_into(a, &f->exit, f->ret);
	f->norm = f->ret = NULL;
	st_free(a, f->brk);
	st_free(a, f->cont);
	f->brk = f->cont = NULL;
	out = f->exit;
	f->exit = NULL;
	if (!out)
		return NULL;
	if (run_trap && out->trap && c->depth < MAX_DEPTH) {
		const struct cg_nested_script *t = out->trap;
		uint8_t before = out->st;
		struct fst *snap = NULL;
		struct flow tf = {0};
		struct cx tc = *c;
		/* the paths that exit before `trap` ran exit without it
		 * (`for ...; do pytest; done` under -e, then `trap 'exit 0'
		 * EXIT`): they go on as they are, joined below */
		struct fst *untrapped = NULL;

		if (out->trap_some) {
			untrapped = st_dup(a, out);
			untrapped->trap = NULL;
			untrapped->trap_some = false;
		}
		out->trap_some = false;

		tc.s = t->script;
		tc.depth++;
		tc.ign = NULL;
		tc.exit_trap_st = before ? before : ST_Z;
		out->trap = NULL;
		tf.norm = out;
		snap = freeze_trap(a, &tc, t, out, out->trap_st);
		exec_list(a, &tc, t->script->sh.top, &tf, NULL);
		st_free(a, snap);
		/* the trap's own end keeps the status; its `exit N` sets it */
		if (tf.norm)
			tf.norm->st = before;
		join_into(a, &tf.exit, tf.norm);
		join_into(a, &tf.exit, tf.ret);
		tf.norm = tf.ret = NULL;
		st_free(a, tf.brk);
		st_free(a, tf.cont);
		out = tf.exit;
		if (out && (before & ST_FAIL) && !(out->st & ST_FAIL)) {
			struct cg_loss l =
			    loss_at(CG_LOSS_TRAP, t->shell.by_script,
				    t->cmd_start, t->shell.by_end);

			l.what = "EXIT";
			l.expanded = t->outer_expands;
			blame(out, &l);
		}
		join_into(a, &out, untrapped);
		if (!out)
			return NULL;
	}
	for (size_t k = 0; k < out->njobs; k++)
		if (!out->jobs[k].waited && (out->jobs[k].st & ST_FAIL)) {
			struct cg_loss l =
			    loss_at(CG_LOSS_BACKGROUND, out->jobs[k].s,
				    out->jobs[k].start, out->jobs[k].end);

			if (out->jobs[k].amp)
				l.what = "&>";
			blame(out, &l);
		}
	return out;
}

/*
 * Another shell (a subshell, `bash -c`, `$(...)`, a background job) ended
 * with `out` (NULL: it never ends): x takes over what it ran (the site,
 * the first loss) and returns its exit status, which `out` no longer
 * needs. The caller frees `out`.
 */
static uint8_t take_from_shell(struct fst *x, const struct fst *out)
{
	if (!out)
		return ST_Z | ST_N;
	x->fired = out->fired;
	x->runs = out->runs;
	if (!x->blame.kind)
		x->blame = out->blame;
	if (out->st & ST_FAIL)
		x->carry = out->carry;
	return as_value(out->st);
}

/* Run `body` in a subshell of x; x gets its exit status. */
static void subshell(struct an *a, const struct cx *c,
		     const struct cg_sh_list *body, const struct cg_sh_cmd *cmd,
		     struct fst *x, const struct cg_loss *pos, bool is_list)
{
	struct flow sf = {0};
	struct fst *out;
	struct cx sc = *c;

	sf.norm = st_dup(a, x);
	sf.norm->trap = NULL;
	sf.norm->trap_some = false;
	if (!x->errtrace)
		sf.norm->err_trap = NULL;
	sf.norm->njobs = 0;
	sf.norm->last_job = -1;
	/* in_fn stays: `return N` in a subshell of a function (`f() (
	 * pytest; return $? )`) ends the subshell with N, in bash and dash
	 * (finish_shell takes its ret as an exit) */
	/* `(exit)` in the EXIT trap: bash's exits with the status before
	 * it, dash's with the trap's */
	if (!(c->shell && c->shell->dash))
		sc.exit_trap_st = 0;
	sc.loops = 0;
	if (is_list)
		exec_list(a, &sc, body, &sf, NULL);
	else
		exec_cmd(a, &sc, cmd, &sf, pos);
	out = finish_shell(a, &sc, &sf, true);
	set_status(x, take_from_shell(x, out));
	if (c->capture)
		x->out = out ? out->out : 0;
	st_free(a, out);
}

/* A new shell runs nested script ns; x gets its exit status. */
static void new_shell(struct an *a, const struct cx *c,
		      const struct cg_nested_script *ns, struct fst *x)
{
	struct flow sf = {0};
	struct fst *y = st_new(a), *out, *snap = NULL;
	struct cx sc = *c;

	/* `bash <<EOF`: its text as the outer shell left it (a script
	 * nested in such a text was expanded with it, by the outermost) */
	snap = freeze(a, &sc, ns, x);
	y->st = ST_Z;
	y->errexit = ns->shell.errexit ? B_ON : B_OFF;
	y->pipefail = ns->shell.pipefail ? B_ON : B_OFF;
	y->fired = x->fired;
	y->runs = x->runs;
	y->blame = x->blame;
	y->last_job = -1;
	y->out = x->out;
	sc.s = ns->script;
	sc.shell = &ns->shell;
	sc.ign = NULL; /* a new process: its own -e */
	sc.in_fn = false;
	sc.exit_trap_st = 0;
	sc.loops = 0;
	sc.depth++;
	sf.norm = y;
	exec_list(a, &sc, ns->script->sh.top, &sf, NULL);
	out = finish_shell(a, &sc, &sf, true);
	set_status(x, take_from_shell(x, out));
	if (c->capture)
		x->out = out ? out->out : 0;
	st_free(a, out);
	st_free(a, snap);
}

static void call_fn(struct an *a, const struct cx *c, const struct fn *fn,
		    struct flow *f)
{
	struct flow ff = {0};
	struct cx fc = *c;
	struct fst *out = NULL;

	if (c->depth >= MAX_DEPTH) {
		set_status(f->norm, ST_Z | nonzero(c));
		return;
	}
	const struct cg_nested_script *err_trap = f->norm->err_trap;

	fc.s = fn->s;
	fc.in_fn = true;
	fc.loops = 0;
	fc.depth++;
	ff.norm = f->norm;
	if (!ff.norm->errtrace)
		ff.norm->err_trap = NULL; /* not inherited without set -E */
	f->norm = NULL;
	exec_list(a, &fc, fn->body, &ff, NULL);
	join_into(a, &out, ff.norm);
	join_into(a, &out, ff.ret);
	st_free(a, ff.brk);
	st_free(a, ff.cont);
	join_into(a, &f->exit, ff.exit);
	if (out) {
		/* a function's status is a command's: errexit sees it */
		out->st = as_value(out->st);
		if (!out->errtrace && !out->err_trap)
			out->err_trap = err_trap;
	}
	f->norm = out;
}

/*
 * A nested script run in a subshell of x, as `$(...)` and process
 * substitutions run: no traps, no jobs of the parent's. `subst`: a
 * `$(...)`, whose output is captured and which bash runs without -e
 * (unless `shopt -s inherit_errexit`; dash passes -e on); a process
 * substitution keeps -e. x takes what it ran (the site, a blame); returns
 * its exit status, and in *printed (may be NULL) its text when that is a
 * status (struct fst's out).
 */
static uint8_t run_subshell_of(struct an *a, const struct cx *c,
			       const struct cg_nested_script *ns, struct fst *x,
			       bool subst, uint8_t *printed)
{
	struct flow sf = {0};
	struct fst *y = st_dup(a, x), *out;
	struct cx sc = *c;
	uint8_t st;

	y->out = OUT_NONE;
	sc.capture = subst;
	y->trap = NULL;
	y->trap_some = false;
	y->err_trap = NULL;
	y->njobs = 0;
	y->last_job = -1;
	if (subst && !(c->shell && c->shell->dash) && !x->inherit_errexit) {
		y->errexit = B_OFF;
		y->off_s = NULL; /* off because it is a $(...) */
	}
	sc.s = ns->script;
	sc.shell = &ns->shell;
	/* in_fn stays: `x=$(return 3)` in a function ends the subshell
	 * with 3, in bash and dash */
	sc.loops = 0;
	sc.depth++;
	sf.norm = y;
	exec_list(a, &sc, ns->script->sh.top, &sf, NULL);
	out = finish_shell(a, &sc, &sf, false);
	st = take_from_shell(x, out);
	if (printed)
		*printed = out ? out->out : 0;
	st_free(a, out);
	return st;
}

/* `$(...)`: a subshell that runs before the command. */
static uint8_t run_subst(struct an *a, const struct cx *c,
			 const struct cg_nested_script *ns, struct fst *x,
			 uint8_t *printed)
{
	return run_subshell_of(a, c, ns, x, true, printed);
}

/*
 * The process substitutions of cmd (`done < <(pytest)`, `diff <(a) <(b)`):
 * each a subshell beside the command, keeping the shell's -e (bash clears
 * it only in `$(...)`), whose status nobody reads: a failure in one is
 * lost right there. x takes what they ran; its status stays.
 */
static void exec_procsubs(struct an *a, const struct cx *c,
			  const struct cg_sh_cmd *cmd, struct fst *x)
{
	const struct cg_nested_script *ps;
	size_t n = 0;

	if (c->depth >= MAX_DEPTH || !(ps = cg_script_procsubs(c->s, cmd, &n)))
		return;
	for (size_t i = 0; i < n; i++) {
		struct cg_loss carry = x->carry;

		if (run_subshell_of(a, c, &ps[i], x, false, NULL) & ST_FAIL) {
			struct cg_loss l =
			    loss_at(CG_LOSS_PROCSUB, c->s, ps[i].shell.by_start,
				    ps[i].shell.by_end);

			blame(x, &l);
		}
		x->carry = carry;
	}
}

/*
 * A function or eval that `cmd` runs where errexit is ignored (pos) runs
 * its commands with errexit ignored too; `inner` (the caller's) says so,
 * pointing at the command's name. Outermost reason wins.
 */
static void ignored_inside(struct cx *out, struct cg_loss *inner,
			   const struct cx *c, const struct cg_sh_cmd *cmd,
			   const struct cg_loss *pos)
{
	if (c->ign || !pos)
		return;
	*inner = *pos;
	inner->kind = CG_LOSS_IGNORED;
	inner->call = true;
	inner->s = c->s;
	inner->start = cmd->words[0].start;
	inner->end = cmd->words[0].end;
	out->ign = inner;
}

/* What collect_list found out about cmd, or NULL: every run meets the
 * same commands again. */
static const struct verdict *find_verdict(const struct an *a,
					  const struct cg_sh_cmd *cmd)
{
	size_t lo = 0, hi = a->nverdicts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct verdict *v = &a->verdicts[mid];

		if (v->cmd == cmd)
			return v;
		if ((uintptr_t)v->cmd < (uintptr_t)cmd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Does cmd's stdout go elsewhere (`>/dev/null`, `&>log`, `>&2`)? */
static bool stdout_redirected(const struct cg_sh_cmd *cmd)
{
	for (size_t i = 0; i < cmd->nredirs; i++) {
		const struct cg_sh_redir *r = &cmd->redirs[i];
		bool fd1 = r->fd == -1 || r->fd == 1;

		switch (r->kind) {
		case CG_SH_REDIR_OUT:
		case CG_SH_REDIR_APPEND:
		case CG_SH_REDIR_CLOBBER:
			if (fd1)
				return true;
			break;
		case CG_SH_REDIR_OUT_ERR:
		case CG_SH_REDIR_APPEND_ERR:
			return true;
		case CG_SH_REDIR_DUP_OUT:
			if (fd1 && strcmp(r->target.text, "1") != 0)
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/*
 * Inside `$(...)`: what has been printed once cmd (a builtin or another
 * program) has run. `echo $?` or `printf '%s' "$rc"` as the only output
 * prints a status; builtins that print nothing keep what was there;
 * anything else may print any text.
 */
static uint8_t printed_by(const struct fst *x, const struct cx *c,
			  const struct cg_sh_cmd *cmd, enum builtin bi)
{
	const char *w0 = cmd->words[0].text, *fmt;
	const struct cg_sh_word *w = NULL;
	struct val v;

	if (stdout_redirected(cmd))
		return x->out;
	switch (bi) {
	case BI_TRUE:
	case BI_FALSE:
	case BI_EXIT:
	case BI_RETURN:
	case BI_BREAK:
	case BI_CONTINUE:
	case BI_TEST:
	case BI_READ:
	case BI_WAIT:
		return x->out;
	case BI_EXEC: /* with a command, that command prints */
		return cmd->nwords > 1 ? 0 : x->out;
	case BI_TRAP:
	case BI_SET:
	case BI_SHOPT:
	case BI_DECLARE:
		/* with no operands these print (`set`, `trap`, `export`) */
		if (cmd->nwords > 1 && strcmp(cmd->words[1].text, "-p") != 0)
			return x->out;
		return 0;
	default:
		break;
	}
	if (!strcmp(w0, "echo") && cmd->nwords == 2) {
		w = &cmd->words[1];
	} else if (!strcmp(w0, "printf") && cmd->nwords == 3) {
		fmt = cmd->words[1].text;
		if (!strcmp(fmt, "%s") || !strcmp(fmt, "%d") ||
		    !strcmp(fmt, "%s\\n") || !strcmp(fmt, "%d\\n"))
			w = &cmd->words[2];
	}
	if (!w || x->out != OUT_NONE)
		return 0;
	v = read_exact(x, c, w->text, w->len);
	return v.known && v.st ? v.st : 0;
}

/*
 * The `$(...)` in cmd's words, in order; returns the last one's status, 0
 * when there is none, and sets *nsubs. Where it is the failure, x holds it
 * until the status of what runs next replaces it (a command, a loop, a
 * case): that loses it, unless cmd is a bare assignment (`x=$(pytest)`).
 */
static uint8_t exec_substs(struct an *a, const struct cx *c,
			   const struct cg_sh_cmd *cmd, struct fst *x,
			   size_t *nsubs)
{
	const struct cg_nested_script *subs;
	uint8_t sub_st = 0, printed = 0;

	*nsubs = 0;
	x->subst_out = 0;
	if (c->depth >= MAX_DEPTH ||
	    !(subs = cg_script_substs(c->s, cmd, nsubs)))
		return 0;
	for (size_t i = 0; i < *nsubs; i++)
		sub_st = run_subst(a, c, &subs[i], x, &printed);
	/* `[[ $(pytest >/dev/null; echo $?) -ne 0 ]]` reads what it printed */
	if (*nsubs == 1)
		x->subst_out = printed;
	if (sub_st & ST_FAIL) {
		struct cg_loss l = loss_at(CG_LOSS_SUBST, c->s,
					   subs[*nsubs - 1].shell.by_start,
					   subs[*nsubs - 1].shell.by_end);

		x->st = sub_st;
		x->carry = l;
	}
	return sub_st;
}

/* Does a word of simple command cmd hold an expansion dash does not
 * have (cg_sh_word.dash_bad)? */
static bool dash_bad_cmd(const struct cg_sh_cmd *cmd)
{
	for (size_t i = 0; i < cmd->nwords; i++)
		if (cmd->words[i].dash_bad)
			return true;
	for (size_t i = 0; i < cmd->nassigns; i++)
		if (cmd->assigns[i].dash_bad)
			return true;
	for (size_t i = 0; i < cmd->nredirs; i++)
		if (cmd->redirs[i].target.dash_bad)
			return true;
	return false;
}

static void exec_simple(struct an *a, const struct cx *c,
			const struct cg_sh_cmd *cmd, struct flow *f,
			const struct cg_loss *pos)
{
	struct fst *x = f->norm;
	const struct cg_nested_script *ns;
	const struct verdict *vd;
	const struct fn *fn;
	const char *w0;
	struct fst *snap = NULL;
	enum builtin bi;
	size_t nsubs = 0;
	uint8_t bool_st = 0, arith_st = 0, sub_st;
	struct cx own;

	if (own_dollars(c, cmd->start, cmd->end)) {
		/* `rc=\$?`: this command's `$` are the inner shell's */
		own = *c;
		own.frozen = NULL;
		c = &own;
	}
	sub_st = exec_substs(a, c, cmd, x, &nsubs);
	if (c->shell && c->shell->dash && dash_bad_cmd(cmd)) {
		/* "Bad substitution": dash's shell ends with 2 */
		add_exit(a, f, x, ST_N);
		return;
	}

	for (size_t i = 0; i < cmd->nassigns && !cmd->nwords; i++)
		assign(x, c, cmd->assigns[i].text, cmd->assigns[i].len);
	if (!cmd->nwords) {
		bool subst = false;

		for (size_t i = 0; i < cmd->nassigns; i++)
			if (memchr(cmd->assigns[i].text, '`',
				   cmd->assigns[i].len))
				subst = true;
		set_status(x, nsubs   ? sub_st
			      : subst ? ST_Z | nonzero(c)
				      : ST_Z);
		return;
	}
	w0 = cmd->words[0].text;
	vd = find_verdict(a, cmd);
	bi = vd ? (enum builtin)vd->builtin : builtin_of_cmd(cmd);
	if (!cmd->words[0].quoted && (fn = fn_find(x, w0))) {
		struct cx fc = *c;
		struct cg_loss inner;

		ignored_inside(&fc, &inner, c, cmd, pos);
		fc.args = cmd;
		call_fn(a, &fc, fn, f);
		return;
	}
	if (c->shell && c->shell->dash && !cmd->words[0].quoted &&
	    dash_lacks(w0)) {
		set_status(x, nonzero(c)); /* not found */
		return;
	}
	if (c->args && runs_args(cmd)) {
		/* "$@" runs the arguments the function was called with */
		if (c->capture)
			x->out = 0; /* and they may print */
		if (c->args == a->site)
			fire(a, c, x, a->site);
		else
			set_status(x, ST_Z);
		return;
	}
	ns = cg_script_nested_at(c->s, cmd);
	if (ns && ns->kind == CG_NESTED_SHELL) {
		new_shell(a, c, ns, x);
		if (ns->zero_exit) {
			struct cg_loss l =
			    loss_at(CG_LOSS_SCRIPT, c->s, ns->shell.by_start,
				    ns->shell.by_end);

			if (x->st & ST_FAIL)
				blame(x, &l);
			set_status(x, ST_Z);
		}
		if (bi == BI_EXEC)
			exec_exit(a, f, x);
		return;
	}
	if (ns && ns->kind == CG_NESTED_EVAL && c->depth < MAX_DEPTH) {
		struct cx ec = *c;
		struct cg_loss inner;

		/* `if eval '...'`: the same shell, as for a function */
		ignored_inside(&ec, &inner, c, cmd, pos);
		ec.s = ns->script;
		ec.depth++;
		snap = freeze(a, &ec, ns, x);
		/* its first command reads the `$?` from before eval; an
		 * empty eval is 0 */
		if (!ns->script->sh.top->n)
			set_status(x, ST_Z);
		exec_list(a, &ec, ns->script->sh.top, f, NULL);
		st_free(a, snap);
		/* eval's status is a command's: errexit sees it, even when
		 * it came from a failure errexit ignored inside */
		if (f->norm)
			f->norm->st = as_value(f->norm->st);
		return;
	}
	if (c->capture)
		x->out = printed_by(x, c, cmd, bi);
	if (bi == BI_TRAP) {
		if (ns && ns->kind == CG_NESTED_TRAP) {
			trap_seen(a, ns, x);
			if (ns->on_exit) {
				x->trap = ns;
				x->trap_st = as_value(x->st);
			}
			x->trap_some = false;
			if (ns->on_err) {
				x->err_trap = ns;
				x->err_trap_st = as_value(x->st);
			}
		} else if (word_is(cmd, 1, "-") || cmd->nwords == 3) {
			/* reset, or an action we cannot read */
			for (size_t i = 2; i < cmd->nwords; i++) {
				const char *sig = cmd->words[i].text;

				if (!strcmp(sig, "ERR"))
					x->err_trap = NULL;
				else if (!strcmp(sig, "EXIT") ||
					 !strcmp(sig, "0"))
					x->trap = NULL;
				x->trap_some = false;
			}
		}
		set_status(x, ST_Z);
		return;
	}
	if (cmd == a->site ||
	    (vd ? vd->critical
		: cg_critical_command(cmd, a->config, a->scratch))) {
		if (a->calls && vd && a->calls[vd - a->verdicts] < UINT8_MAX)
			a->calls[vd - a->verdicts]++;
		fire(a, c, x, cmd);
		if (bi == BI_EXEC)
			exec_exit(a, f, x);
		return;
	}
	if (bi == BI_TRUE) {
		set_status(x, ST_Z);
	} else if (bi == BI_FALSE) {
		set_status(x, nonzero(c));
	} else if (!bi && bool_var_cmd(expanding(x, c), &cmd->words[0],
				       &bool_st) == 0) {
		/* `$ok` with ok=true or ok=false */
		set_status(x, (uint8_t)((bool_st & ST_Z) |
					((bool_st & ST_N) ? nonzero(c) : 0)));
	} else if (bi == BI_EXIT ||
		   (bi == BI_RETURN &&
		    (c->in_fn || (c->shell && c->shell->dash)))) {
		uint8_t st = bi == BI_EXIT && c->exit_trap_st ? c->exit_trap_st
							      : as_value(x->st);

		if (cmd->nwords > 1) {
			struct val v = read_value(x, c, cmd->words[1].text,
						  cmd->words[1].len);

			/* `exit "$(cat status)"`, `exit $CODE`: a value we
			 * cannot read is almost always a status passed on,
			 * maybe the failure's; but `exit $rc` with rc never
			 * set here is `exit` alone */
			if (v.known && v.st)
				st = v.st;
			else if (!unset_here(expanding(x, c), c,
					     &cmd->words[1]))
				st = passed_on(expanding(x, c));
			else if (cmd->words[1].quoted)
				st = nonzero(c); /* `exit ""`: an error, 2 */
			if (v.known && v.st && c->taint && (st & ST_N))
				st = (uint8_t)((st & ~ST_N) | ST_F);
			if (c->frozen && cmd->words[1].text[0] == '$' &&
			    (x->st & ST_FAIL) && !(st & ST_FAIL)) {
				/* the failure's `$?` would have kept it */
				struct cg_loss l = loss_at(
				    CG_LOSS_EXPANDED, c->s, cmd->words[1].start,
				    cmd->words[1].end);

				blame(x, &l);
			}
		}
		/* dash: `return` outside a function ends the shell, as
		 * exit does (bash: an error, below) */
		if (bi == BI_EXIT || !c->in_fn) {
			add_exit(a, f, x, st);
		} else {
			set_status(x, st);
			join_into(a, &f->ret, x);
			f->norm = NULL;
		}
	} else if (bi == BI_RETURN) {
		set_status(x, nonzero(c)); /* not in a function: an error */
	} else if ((bi == BI_BREAK || bi == BI_CONTINUE) && c->loops) {
		/* break's own 0 is the loop's status: a failure before it
		 * that errexit let pass is lost here */
		set_status(x, ST_Z);
		join_into(a, bi == BI_BREAK ? &f->brk : &f->cont, x);
		f->norm = NULL;
	} else if (bi == BI_SET) {
		struct cg_shell_flags fl;

		cg_shell_flags_of(&fl, CG_FLAGS_SET, cmd, 1);

		if (fl.pipefail != CG_OPT_KEEP && c->shell && c->shell->dash) {
			/* dash (Debian's, Ubuntu's sh) has no pipefail: `set`
			 * fails, and a special builtin's error ends the shell
			 */
			add_exit(a, f, x, nonzero(c));
			return;
		}
		apply_flags(x, c, cmd, &fl);
		set_status(x, ST_Z);
	} else if (bi == BI_SHOPT) {
		struct cg_shell_flags fl;

		cg_shell_flags_of(&fl, CG_FLAGS_SHOPT, cmd, 1);

		apply_flags(x, c, cmd, &fl);
		set_status(x, ST_Z);
	} else if (bi == BI_WAIT) {
		do_wait(x, c, cmd);
	} else if (bi == BI_TEST && c->shell && c->shell->dash &&
		   (!strcmp(cmd->words[0].text, "((") ||
		    !strcmp(cmd->words[0].text, "[["))) {
		/* dash has no (( )): two subshells run the text as a
		 * command, almost never one that exists (127); nor [[, a
		 * command it does not find (127), or, split at `&&` or
		 * `||`, several such */
		set_status(x, nonzero(c));
	} else if (bi == BI_TEST && cmd->nwords == 3 &&
		   !strcmp(cmd->words[0].text, "((") &&
		   arith_assign(x, c, cmd->words[1].text, cmd->words[1].len,
				&arith_st)) {
		set_status(x, arith_st);
	} else if (bi == BI_TEST) {
		c->probe->cmd = cmd;
		set_status(x, eval_test(x, c, cmd));
		c->probe->cmd = NULL;
	} else if (bi == BI_LET && c->shell && c->shell->dash) {
		set_status(x, nonzero(c)); /* dash has no let: not found */
	} else if (bi == BI_LET) {
		/* its status is the last expression's: 0 when not zero */
		uint8_t st = nonzero(c); /* `let` alone: an error */

		for (size_t i = 1; i < cmd->nwords; i++)
			if (cmd->words[i].expands ||
			    !arith_assign(x, c, cmd->words[i].text,
					  cmd->words[i].len, &st))
				st = ST_Z | nonzero(c); /* cannot tell */
		set_status(x, st);
	} else if (bi == BI_DECLARE && !c->in_fn && !strcmp(w0, "local")) {
		/* `local` outside a function: an error (1) that sets
		 * nothing; in dash one that ends the shell (2) */
		if (c->shell && c->shell->dash)
			add_exit(a, f, x, nonzero(c));
		else
			set_status(x, nonzero(c));
	} else if (bi == BI_DECLARE) {
		/* `local rc=$?` reads the status before `local` runs */
		for (size_t i = 1; i < cmd->nwords; i++)
			if (cmd->words[i].text[0] != '-')
				assign(x, c, cmd->words[i].text,
				       cmd->words[i].len);
		set_status(x, ST_Z);
	} else if (bi == BI_READ) {
		set_status(x, ST_Z | ST_N); /* end of input, or not */
	} else if (bi == BI_UNSET) {
		/* `unset NAME`: empty from now on, whatever the env held
		 * (`unset -f NAME` is a function's) */
		bool fns = false;

		for (size_t i = 1; i < cmd->nwords; i++) {
			const struct cg_sh_word *w = &cmd->words[i];
			struct var *v;

			if (w->text[0] == '-') {
				fns = fns || strchr(w->text, 'f');
				continue;
			}
			if (fns || w->expands ||
			    name_len(w->text, w->len) != w->len)
				continue;
			var_set(x, w->text, w->len, 0, -1);
			if ((v = var_find(x, w->text, w->len)))
				v->flags = V_UNSET;
		}
		set_status(x, ST_Z);
	} else if (bi == BI_MAY_EXIT) {
		set_status(x, ST_Z | nonzero(c));
	} else {
		set_status(x, ST_Z);
	}
}

/* The condition of if/while/until `cmd`, as a loss: at the command whose
 * status decides (the last one of the condition). */
static struct cg_loss cond_loss(const struct cx *c, const struct cg_sh_cmd *cmd,
				const char *what)
{
	const struct cg_sh_list *l = cmd->body[0];
	struct cg_loss cond =
	    loss_at(CG_LOSS_COND, c->s, cmd->start, cmd->start);

	if (l && l->n) {
		const struct cg_sh_andor *ao = &l->items[l->n - 1];
		const struct cg_sh_pipeline *pl = &ao->pipes[ao->n - 1];
		const struct cg_sh_cmd *last = &pl->cmds[pl->n - 1];

		cond.start = last->start;
		cond.end = last->end;
	}
	cond.what = what;
	return cond;
}

/* The body of a loop once, from `in`; the state at its end goes to
 * *next, a `break` to *out. */
static void loop_body(struct an *a, const struct cx *c,
		      const struct cg_sh_cmd *cmd, struct fst *in,
		      struct flow *f, struct fst **next, struct fst **out)
{
	struct flow bf = {0};

	bf.norm = in;
	exec_list(a, c, cmd->body[1], &bf, NULL);
	join_into(a, &f->exit, bf.exit);
	join_into(a, &f->ret, bf.ret);
	join_into(a, out, bf.brk);
	*next = NULL;
	join_into(a, next, bf.norm);
	join_into(a, next, bf.cont);
}

/* Is the condition list l a bare `read` (`while IFS= read -r t`)? */
static bool reads_lines(const struct cg_sh_list *l)
{
	const struct cg_sh_pipeline *pl;

	if (!l || l->n != 1 || l->items[0].n != 1)
		return false;
	pl = &l->items[0].pipes[0];
	return pl->n == 1 && !pl->negated && pl->cmds[0].kind == CG_SH_SIMPLE &&
	       pl->cmds[0].nwords && !strcmp(pl->cmds[0].words[0].text, "read");
}

/* The last round a loop is followed for stands for every later one: the
 * numbers its variables hold are no longer known (a counter). */
static void widen(struct fst *x)
{
	for (size_t i = 0; x && i < x->nvars; i++)
		x->vars[i].flags &= (uint8_t)~V_EXACT;
}

/*
 * `for x in a b c` runs its body once per word when the words are plain,
 * else any number of times; `while`/`until` run it while the condition
 * says so. A loop's status is its body's last, or 0 when it never ran.
 * After LOOP_ROUNDS rounds the paths still going are dropped: a failure
 * that only later rounds could lose is not reported.
 *
 * A list only known when the script runs (`for t in $(cat tests.txt)`,
 * `for f in tests/test_*`, `while read -r t`) is taken to hold two items
 * or more, as the lists of test files, packages and services that CI
 * loops over do: a failure in one round that errexit does not stop is
 * then lost to the status of a later round, which the single-item case
 * would hide, and the loop's status is a round's, never the 0 of an
 * empty list.
 */
static void exec_loop(struct an *a, const struct cx *c,
		      const struct cg_sh_cmd *cmd, struct flow *f)
{
	struct fst *entry = f->norm, *out = NULL;
	struct cx bc = *c;
	struct cg_loss cond;
	bool lines;

	f->norm = NULL;
	bc.loops++;
	if (cmd->kind == CG_SH_FOR) {
		size_t nsubs;
		bool counted, listed;

		/* the words expand once, before the first round; the loop's
		 * status is its body's, or 0 (POSIX 2.9.4.2): a failure in
		 * `for t in $(pytest)` is lost either way */
		exec_substs(a, c, cmd, entry, &nsubs);
		counted =
		    cmd->nwords >= 1 && strcmp(cmd->words[0].text, "((") != 0;
		size_t items = cmd->nwords ? cmd->nwords - 1 : 0, rounds;

		for (size_t i = 1; i < cmd->nwords; i++)
			if (cmd->words[i].expands ||
			    strpbrk(cmd->words[i].text, "*?["))
				counted = false;
		if (cmd->nwords == 1) /* `for x`: the positional args */
			counted = false;
		if (cmd->nwords && counted)
			var_set(entry, cmd->words[0].text, cmd->words[0].len, 0,
				-1);
		listed = !counted && cmd->nwords > 1 &&
			 strcmp(cmd->words[0].text, "((") != 0;
		if (!counted && !listed) {
			struct fst *none = st_dup(a, entry);

			set_status(none, ST_Z);
			join_into(a, &out, none);
		} else if (!items) {
			set_status(entry, ST_Z);
			f->norm = entry;
			return;
		}
		rounds = counted && items < LOOP_ROUNDS ? items : LOOP_ROUNDS;
		for (size_t r = 0; r < rounds && entry && !a->over; r++) {
			struct fst *next;

			loop_body(a, &bc, cmd, entry, f, &next, &out);
			entry = next;
			if (r + 1 == rounds && (!counted || items > rounds))
				widen(entry);
			if (entry && !counted && !(listed && r == 0)) {
				join_into(a, &out,
					  st_dup(a, entry)); /* may stop */
			} else if (entry && r + 1 == rounds) {
				join_into(a, &out, entry);
				entry = NULL;
			}
		}
		st_free(a, entry);
		f->norm = out;
		return;
	}
	cond = cond_loss(c, cmd, cmd->kind == CG_SH_WHILE ? "while" : "until");
	lines = cmd->kind == CG_SH_WHILE && reads_lines(cmd->body[0]);
	for (size_t r = 0; r < LOOP_ROUNDS && entry && !a->over; r++) {
		struct flow cf = {0};
		uint8_t st, go, stop, body_st = r ? entry->st : ST_Z;
		bool on_zero = cmd->kind == CG_SH_WHILE;
		struct fst *run = NULL;

		if (r + 1 == LOOP_ROUNDS)
			widen(entry);
		cf.norm = entry;
		entry = NULL;
		exec_list(a, &bc, cmd->body[0], &cf, &cond);
		join_into(a, &f->exit, cf.exit);
		join_into(a, &f->ret, cf.ret);
		st_free(a, cf.brk);
		st_free(a, cf.cont);
		if (!cf.norm)
			break;
		st = cf.norm->st;
		go = on_zero ? st & ST_ZERO : st & ST_NONZERO;
		stop = st & (uint8_t)~go;
		if (lines && r < 2 && go)
			stop = 0; /* a first and a second line: see above */
		if (stop) {
			struct fst *leave = go ? st_dup(a, cf.norm) : cf.norm;

			restrict_to(leave, stop);
			if (stop & ST_FAIL)
				leave->carry = cond;
			if (stop & (ST_FAIL | ST_ZT))
				taint_list(leave, cmd->body[1], 0);
			set_status(leave, body_st);
			join_into(a, &out, leave);
		}
		if (!go)
			break;
		run = cf.norm;
		restrict_to(run, go);
		if (go & ST_FAIL)
			run->carry = cond;
		bc.taint = c->taint || (go & (ST_FAIL | ST_ZT));
		loop_body(a, &bc, cmd, run, f, &entry, &out);
	}
	st_free(a, entry);
	f->norm = out;
}

static void exec_if(struct an *a, const struct cx *c,
		    const struct cg_sh_cmd *cmd, struct flow *f)
{
	struct flow cf = {0};
	struct fst *then = NULL, *els = NULL, *out = NULL;
	struct cg_loss cond;
	uint8_t st;

	cond = cond_loss(c, cmd, "if");
	cf.norm = f->norm;
	f->norm = NULL;
	exec_list(a, c, cmd->body[0], &cf, &cond);
	join_into(a, &f->exit, cf.exit);
	join_into(a, &f->ret, cf.ret);
	join_into(a, &f->brk, cf.brk);
	join_into(a, &f->cont, cf.cont);
	if (!cf.norm)
		return;
	st = cf.norm->st;
	if (st & ST_ZERO) {
		then = (st & ST_NONZERO) ? st_dup(a, cf.norm) : cf.norm;
		restrict_to(then, st & ST_ZERO);
	}
	if (st & ST_NONZERO) {
		els = cf.norm;
		restrict_to(els, st & ST_NONZERO);
		if (els->st & ST_FAIL) {
			els->carry = cond;
			taint_list(els, cmd->body[1], 0);
		}
	}
	if (then && (then->st & ST_ZT))
		taint_list(then, cmd->body[2], 0);
	if (then) {
		struct flow tf = {0};
		struct cx tc = *c;

		tc.taint = c->taint || (then->st & ST_ZT);
		tf.norm = then;
		exec_list(a, &tc, cmd->body[1], &tf, NULL);
		join_into(a, &out, tf.norm);
		join_into(a, &f->exit, tf.exit);
		join_into(a, &f->ret, tf.ret);
		join_into(a, &f->brk, tf.brk);
		join_into(a, &f->cont, tf.cont);
	}
	if (els) {
		struct flow ef = {0};
		struct cx ec = *c;

		ec.taint = c->taint || (els->st & ST_FAIL);
		if (!cmd->body[2]) {
			set_status(els, ST_Z); /* no branch ran: 0 */
			join_into(a, &out, els);
		} else {
			ef.norm = els;
			exec_list(a, &ec, cmd->body[2], &ef, NULL);
			join_into(a, &out, ef.norm);
			join_into(a, &f->exit, ef.exit);
			join_into(a, &f->ret, ef.ret);
			join_into(a, &f->brk, ef.brk);
			join_into(a, &f->cont, ef.cont);
		}
	}
	f->norm = out;
}

/*
 * `case WORD in ...`: when WORD is a status (`case $? in 0) ...;; *) exit
 * 1;; esac`) the arms it can match are known: `0` matches zero, another
 * number a non-zero status, `*` anything left. Otherwise any arm may run,
 * or none unless one is `*`.
 */
static void exec_case(struct an *a, const struct cx *c,
		      const struct cg_sh_cmd *cmd, struct flow *f)
{
	struct fst *in = f->norm, *out = NULL;
	struct val subj = no_val;
	uint8_t left;
	bool catch_all = false, subj_outer = false;

	if (cmd->nwords) {
		struct cx sc = *c;
		size_t nsubs;

		if (own_dollars(c, cmd->words[0].start, cmd->words[0].end))
			sc.frozen = NULL; /* `case \$? in`: the inner `$?` */
		/* `case $(pytest) in`: its status is the arm's, or 0 */
		exec_substs(a, &sc, cmd, in, &nsubs);
		subj =
		    read_value(in, &sc, cmd->words[0].text, cmd->words[0].len);
		subj_outer = sc.frozen != NULL;
	}
	if (!subj.known || !subj.st)
		subj.known = false;
	left = subj.known ? subj.st : 0;
	f->norm = NULL;
	for (size_t i = 0; i < cmd->narms && !catch_all; i++) {
		struct flow af = {0};
		struct cx ac = *c;
		uint8_t match = 0, sure = 0;

		for (size_t k = 0; k < cmd->arm_npatterns[i]; k++) {
			const struct cg_sh_word *p = &cmd->arm_patterns[i][k];

			if (!strcmp(p->text, "*") && !p->quoted) {
				match |= left;
				sure |= left;
				if (!subj.known)
					catch_all = true;
			} else if (!subj.known) {
				continue;
			} else if (!strcmp(p->text, "0")) {
				match |= left & ST_ZERO;
				sure |= left & ST_ZERO;
			} else if (all_digits(p->text, p->len) && p->len < 4 &&
				   !p->quoted && (left & ST_F)) {
				/* `1)`: the failure's exit code decides */
				long num = strtol(p->text, NULL, 10);

				match |= left & ST_N;
				if (!c->probe->code) {
					note_compared(c, cmd->start,
						      cmd->words[0].end);
					match |= ST_F;
				} else if (c->probe->code == num) {
					match |= ST_F;
					sure |= ST_F;
				}
			} else if (all_digits(p->text, p->len) ||
				   strpbrk(p->text, "*?[")) {
				match |= left & (ST_N | ST_F);
			}
		}
		if (subj.known && !match)
			continue;
		if (subj.known) {
			ac.taint = c->taint || (match & (ST_F | ST_ZT));
			left &= (uint8_t)~sure;
		}
		/* an arm starts with $? as it was (`*) exit $?;;` exits
		 * with the status `case` looked at); an empty one is 0 */
		af.norm = st_dup(a, in);
		af.norm->st = as_value(af.norm->st);
		if (subj.known && !strcmp(cmd->words[0].text, "$?") &&
		    !subj_outer) /* (else the outer shell's $?) */
			restrict_to(af.norm, match); /* `0) exit $?;;` is 0 */
		if (!cmd->arms[i] || !cmd->arms[i]->n)
			set_status(af.norm, ST_Z);
		exec_list(a, &ac, cmd->arms[i], &af, NULL);
		join_into(a, &out, af.norm);
		join_into(a, &f->exit, af.exit);
		join_into(a, &f->ret, af.ret);
		join_into(a, &f->brk, af.brk);
		join_into(a, &f->cont, af.cont);
		if (subj.known && !left)
			break;
	}
	if ((!subj.known && !catch_all) || (subj.known && left)) {
		set_status(in, ST_Z); /* no arm ran: 0 */
		join_into(a, &out, in);
	} else {
		st_free(a, in);
	}
	f->norm = out;
}

static void exec_cmd(struct an *a, const struct cx *c,
		     const struct cg_sh_cmd *cmd, struct flow *f,
		     const struct cg_loss *pos)
{
	struct cx inner = *c;
	struct cg_loss ign;

	if (!f->norm)
		return;
	if (++a->steps > STEP_BUDGET)
		a->over = true;
	if (a->over)
		return;
	exec_procsubs(a, c, cmd, f->norm);
	if (cmd->kind == CG_SH_SIMPLE) {
		exec_simple(a, c, cmd, f, pos);
		return;
	}
	/* a compound command where errexit is ignored: ignored inside */
	if (!c->ign && pos) {
		ign = *pos;
		ign.kind = CG_LOSS_IGNORED;
		ign.call = false;
		inner.ign = &ign;
	}
	switch (cmd->kind) {
	case CG_SH_GROUP:
		exec_list(a, &inner, cmd->body[0], f, NULL);
		break;
	case CG_SH_SUBSHELL:
		subshell(a, &inner, cmd->body[0], NULL, f->norm, NULL, true);
		break;
	case CG_SH_IF:
		exec_if(a, &inner, cmd, f);
		break;
	case CG_SH_WHILE:
	case CG_SH_UNTIL:
	case CG_SH_FOR:
		exec_loop(a, &inner, cmd, f);
		break;
	case CG_SH_CASE:
		exec_case(a, &inner, cmd, f);
		break;
	case CG_SH_FUNCDEF:
		if (cmd->nwords && cmd->body[1]) {
			struct fst *x = f->norm;
			const char *name = cmd->words[0].text;
			struct fn *slot = NULL;

			for (size_t i = 0; i < x->nfns; i++)
				if (!strcmp(x->fns[i].name, name))
					slot = &x->fns[i];
			if (!slot && x->nfns < MAX_FNS)
				slot = &x->fns[x->nfns++];
			if (slot) {
				slot->name = name;
				slot->len = strlen(name);
				slot->body = cmd->body[1];
				slot->s = c->s;
			}
		}
		set_status(f->norm, ST_Z);
		break;
	default:
		break;
	}
}

/* Each part of a pipeline in a subshell; x gets the pipeline's status. */
static void exec_parts(struct an *a, const struct cx *c,
		       const struct cg_sh_pipeline *pl, struct fst *x,
		       const struct cg_loss *pos)
{
	uint8_t parts[MAX_PIPEST] = {0}, last = 0, any_nonzero = 0, st = 0;
	bool all_can_be_zero = true;
	size_t failed_part = pl->n;

	for (size_t i = 0; i < pl->n; i++) {
		struct fst *y = st_dup(a, x);

		subshell(a, c, NULL, &pl->cmds[i], y, pos, false);
		x->fired = y->fired;
		x->runs = y->runs;
		if (!x->blame.kind)
			x->blame = y->blame;
		if (i < MAX_PIPEST)
			parts[i] = y->st;
		if (i + 1 < pl->n && (y->st & ST_FAIL) && failed_part == pl->n)
			failed_part = i;
		any_nonzero |= y->st & ST_NONZERO;
		if (!(y->st & ST_ZERO))
			all_can_be_zero = false;
		last = y->st;
		if (i + 1 == pl->n && (y->st & ST_FAIL))
			x->carry = y->carry;
		if (i + 1 == pl->n && c->capture)
			x->out = y->out; /* the others print into the pipe */
		st_free(a, y);
	}
	/* pipefail: the last non-zero status, 0 when all are 0 */
	if (x->pipefail & B_ON)
		st |= any_nonzero | (all_can_be_zero ? ST_Z : 0);
	if (x->pipefail & B_OFF)
		st |= last;
	if (failed_part < pl->n && !(st & ST_FAIL)) {
		struct cg_loss l =
		    loss_at(CG_LOSS_PIPE, c->s, pl->pipe_start[failed_part],
			    pl->pipe_end[failed_part]);

		l.shell = c->shell;
		l.cmd = &pl->cmds[pl->n - 1];
		blame(x, &l);
	}
	set_status(x, st);
	x->npipest = (uint8_t)(pl->n < MAX_PIPEST ? pl->n : MAX_PIPEST);
	memcpy(x->pipest, parts, x->npipest);
}

/* A pipeline; pos is why errexit is ignored for it, or NULL. */
/* `set -o | grep [-q ...] pipefail`: does this shell have pipefail? A
 * portable script asks before it turns it on; dash lists no such option
 * (grep fails), bash does. */
static bool pipefail_probe(const struct cg_sh_pipeline *pl)
{
	const struct cg_sh_cmd *set = &pl->cmds[0], *grep = &pl->cmds[1];

	if (pl->n != 2 || set->kind != CG_SH_SIMPLE ||
	    grep->kind != CG_SH_SIMPLE || set->nwords != 2 ||
	    grep->nwords < 2 || strcmp(set->words[0].text, "set") ||
	    strcmp(set->words[1].text, "-o") ||
	    strcmp(cg_path_base(grep->words[0].text), "grep") ||
	    strcmp(grep->words[grep->nwords - 1].text, "pipefail"))
		return false;
	for (size_t i = 1; i + 1 < grep->nwords; i++)
		if (grep->words[i].text[0] != '-')
			return false;
	return true;
}

static void exec_pipeline(struct an *a, const struct cx *c,
			  const struct cg_sh_pipeline *pl, struct flow *f,
			  const struct cg_loss *pos)
{
	struct cg_loss neg;
	struct fst *x;

	if (pl->negated) {
		if (pos && pos->kind == CG_LOSS_COND) {
			neg = *pos; /* `if ! pytest`: the condition's */
		} else {
			neg = loss_at(CG_LOSS_NOT, c->s, pl->start, pl->end);
			neg.what = "!";
		}
		if (!pos)
			pos = &neg;
	}
	if (pl->n == 1) {
		exec_cmd(a, c, &pl->cmds[0], f, pos);
		if (!(x = f->norm))
			return;
		x->npipest = 1;
		x->pipest[0] = as_value(x->st);
	} else if (pipefail_probe(pl)) {
		if (!(x = f->norm))
			return;
		set_status(x, c->shell && c->shell->dash ? nonzero(c) : ST_Z);
		x->npipest = 2;
		x->pipest[0] = ST_Z;
		x->pipest[1] = as_value(x->st);
	} else {
		if (!(x = f->norm))
			return;
		exec_parts(a, c, pl, x, pos);
	}
	if (pl->negated) {
		if (x->st & ST_FAIL)
			x->carry = neg;
		set_status(x, ignored(negate(x->st)));
	}
}

/* `cmd &`: runs on its own; its status waits in a job. */
static void exec_background(struct an *a, const struct cx *c,
			    const struct cg_sh_andor *ao, struct fst *x)
{
	struct flow jf = {0};
	struct fst *out;
	struct cx jc = *c;
	struct cg_sh_andor fg = *ao;
	struct cg_sh_pipeline plain;

	fg.background = false;
	if (ao->n == 1 && ao->pipes[0].negated &&
	    !(c->shell && c->shell->dash)) {
		/* bash drops the `!` of a pipeline run in the background
		 * (`! pytest &` is a job with pytest's status); dash keeps
		 * it. A list of more (`! a && b &`) runs it inside. */
		plain = ao->pipes[0];
		plain.negated = false;
		fg.pipes = &plain;
	}
	jf.norm = st_dup(a, x);
	jf.norm->njobs = 0;
	jf.norm->trap = NULL;
	jf.norm->trap_some = false;
	/* in_fn stays: `return 3 &` in a function is a job ending with 3 */
	jc.loops = 0;
	if (!ao->background) /* dash's `&>`: the list itself */
		jc.amp_cmd =
		    &ao->pipes[ao->n - 1].cmds[ao->pipes[ao->n - 1].n - 1];
	{
		struct cg_sh_list one = {&fg, 1};

		exec_list(a, &jc, &one, &jf, NULL);
	}
	out = finish_shell(a, &jc, &jf, false);
	if (out) {
		x->fired = out->fired;
		x->runs = out->runs;
		if (!x->blame.kind)
			x->blame = out->blame;
		if (x->njobs < MAX_JOBS) {
			struct job *j = &x->jobs[x->njobs];

			j->num = next_job_number(x, c->shell && c->shell->dash);
			j->st = as_value(out->st);
			j->waited = false;
			j->s = c->s;
			j->start = ao->start;
			j->end = ao->end;
			j->amp = !ao->background;
			x->last_job = (int8_t)x->njobs++;
		}
		st_free(a, out);
	}
	if (c->capture)
		x->out = 0; /* a job prints when it will */
	set_status(x, ST_Z);
}

/*
 * The ERR trap runs where errexit would act (with or without -e). Its
 * `exit` ends the shell; otherwise the shell goes on as it would have.
 * Returns false when no failing path is left.
 */
static bool err_trap(struct an *a, const struct cx *c, struct flow *f,
		     uint8_t bits)
{
	struct fst *x = f->norm, *y = st_dup(a, x), *snap = NULL;
	const struct cg_nested_script *t = x->err_trap;
	struct flow tf = {0};
	struct cx tc = *c;

	y->st = bits;
	y->err_trap = NULL; /* not while it runs */
	tc.s = t->script;
	tc.depth++;
	tc.ign = NULL;
	tf.norm = y;
	snap = freeze_trap(a, &tc, t, x, x->err_trap_st);
	exec_list(a, &tc, t->script->sh.top, &tf, NULL);
	st_free(a, snap);
	if (tf.exit && (bits & ST_FAIL) && !(tf.exit->st & ST_FAIL)) {
		struct cg_loss l = loss_at(CG_LOSS_TRAP, t->shell.by_script,
					   t->cmd_start, t->shell.by_end);

		l.what = "ERR";
		l.expanded = t->outer_expands;
		blame(tf.exit, &l);
	}
	join_into(a, &f->exit, tf.exit);
	tf.exit = NULL;
	if (!tf.norm && !tf.ret) {
		/* the trap always exits: the failing paths end there */
		flow_release(a, &tf);
		x->st &= (uint8_t)~bits;
		if (!x->st) {
			st_free(a, x);
			f->norm = NULL;
			return false;
		}
		return false;
	}
	flow_release(a, &tf);
	return true;
}

/*
 * An and-or list. `cond`: the list is a condition (if/while/until), where
 * errexit never acts and a failure's status goes on as `cond` says.
 */
/* Does simple command cmd have a `&>` or `&>>`? */
static bool has_amp_redirect(const struct cg_sh_cmd *cmd)
{
	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return false;
	for (size_t r = 0; r < cmd->nredirs; r++)
		if (cmd->redirs[r].kind == CG_SH_REDIR_OUT_ERR ||
		    cmd->redirs[r].kind == CG_SH_REDIR_APPEND_ERR)
			return true;
	return false;
}

/*
 * dash has no `&>`: `pytest &> log` is `pytest &`, then `> log` (an empty
 * command, status 0). The `&` ends the and-or list, so when the `&>` is on
 * its last command the whole list (`a && pytest &> log`) runs in the
 * background. A `&>` on an earlier pipeline's last command cuts the list
 * there (dash_amp_cut); one inside a pipeline (`pytest &> log | tee x`)
 * is not followed (read as bash reads it).
 */
static bool dash_amp_redirect(const struct cx *c, const struct cg_sh_andor *ao)
{
	const struct cg_sh_pipeline *last;
	const struct cg_sh_cmd *cmd;

	if (!c->shell || !c->shell->dash || !ao->n)
		return false;
	last = &ao->pipes[ao->n - 1];
	if (!last->n)
		return false;
	cmd = &last->cmds[last->n - 1];
	if (cmd == c->amp_cmd || !has_amp_redirect(cmd))
		return false;
	for (size_t p = 0; p < ao->n; p++)
		for (size_t k = 0; k < ao->pipes[p].n; k++)
			if (&ao->pipes[p].cmds[k] != cmd &&
			    has_amp_redirect(&ao->pipes[p].cmds[k]))
				return false;
	return true;
}

/* dash: the pipeline whose last command's `&>` ends a first list that
 * runs in the background (`ls && pytest &> log || exit 1` is `ls &&
 * pytest &`, then `> log || exit 1`), or ao->n when there is none. */
static size_t dash_amp_cut(const struct cx *c, const struct cg_sh_andor *ao)
{
	if (!c->shell || !c->shell->dash)
		return ao->n;
	for (size_t p = 0; p + 1 < ao->n; p++) {
		const struct cg_sh_pipeline *pl = &ao->pipes[p];

		for (size_t k = 0; k < pl->n; k++) {
			if (&pl->cmds[k] == c->amp_cmd ||
			    !has_amp_redirect(&pl->cmds[k]))
				continue;
			return k + 1 == pl->n ? p : ao->n;
		}
	}
	return ao->n;
}

static void exec_andor(struct an *a, const struct cx *c,
		       const struct cg_sh_andor *ao, struct flow *f,
		       const struct cg_loss *cond)
{
	struct fst *live, *skip = NULL;
	struct fst *x;
	uint8_t bits;
	size_t from = 0, cut;

	if (ao->background || dash_amp_redirect(c, ao)) {
		exec_background(a, c, ao, f->norm);
		return;
	}
	if ((cut = dash_amp_cut(c, ao)) < ao->n) {
		/* the first list in the background; `> log` (status 0)
		 * then meets the operator after it */
		struct cg_sh_andor first = *ao;

		first.n = (uint32_t)cut + 1;
		first.end = ao->pipes[cut].end;
		first.background = false;
		exec_background(a, c, &first, f->norm);
		from = cut + 1;
	}
	for (size_t j = from; j < ao->n; j++) {
		struct fst *run = f->norm;
		struct cx pc = *c;
		struct cg_loss op;
		bool final = j + 1 == ao->n;

		if (j > 0) {
			/* what was skipped meets this operator too:
			 * `pytest && x || exit 1` */
			enum cg_sh_op o = ao->ops[j - 1];
			uint8_t st;

			join_into(a, &run, skip);
			skip = NULL;
			f->norm = NULL;
			st = run ? run->st : 0;
			uint8_t go =
			    o == CG_SH_OP_AND ? st & ST_ZERO : st & ST_NONZERO;
			uint8_t stop = st & ~go;
			struct cg_loss l = loss_at(
			    o == CG_SH_OP_AND ? CG_LOSS_AND : CG_LOSS_OR, c->s,
			    ao->op_start[j - 1],
			    o == CG_SH_OP_AND ? ao->op_end[j - 1]
					      : ao->pipes[j].end);

			if (!run)
				break;
			if (stop) {
				struct fst *s2 = go ? st_dup(a, run) : run;

				restrict_to(s2, stop);
				if (o == CG_SH_OP_AND && (stop & ST_FAIL))
					s2->carry = l;
				/* skipped because of the failure: what it
				 * would have set now depends on it */
				if (stop &
				    (o == CG_SH_OP_AND ? ST_FAIL : ST_ZT))
					taint_pipeline(s2, &ao->pipes[j]);
				join_into(a, &skip, s2);
			}
			if (!go)
				continue;
			restrict_to(run, go);
			if (o == CG_SH_OP_OR && (go & ST_FAIL))
				run->carry = l;
			pc.taint = c->taint ||
				   (o == CG_SH_OP_AND ? (go & ST_ZT) != 0
						      : (go & ST_FAIL) != 0);
			f->norm = run;
		}
		op = loss_at(CG_LOSS_IGNORED, c->s, final ? 0 : ao->op_start[j],
			     final ? 0 : ao->op_end[j]);
		op.what = final			       ? NULL
			  : ao->ops[j] == CG_SH_OP_AND ? "&&"
						       : "||";
		exec_pipeline(a, &pc, &ao->pipes[j], f, final ? cond : &op);
		if (!final && f->norm)
			f->norm->st = ignored(f->norm->st);
	}
	live = f->norm;
	join_into(a, &live, skip);
	f->norm = live;
	if (!(x = f->norm))
		return;
	/* errexit acts on the final pipeline's status */
	bits = x->st & ST_CHECKED;
	if (cond || c->ign) {
		if (x->st & ST_FAIL)
			x->carry = (x->errexit & B_OFF) ? errexit_off(x, c)
				   : cond		? *cond
							: *c->ign;
		return;
	}
	if (!bits) {
		if ((x->st & ST_FI) && (x->errexit & B_OFF))
			x->carry = errexit_off(x, c);
		return;
	}
	if (x->err_trap && c->depth < MAX_DEPTH && !err_trap(a, c, f, bits))
		return;
	x = f->norm;
	if (x->errexit & B_ON) {
		struct fst *e = st_dup(a, x);

		e->st = bits;
		e->errexit = B_ON;
		join_into(a, &f->exit, e);
	}
	if (x->errexit & B_OFF) {
		if (x->st & ST_FAIL)
			x->carry = errexit_off(x, c);
	} else {
		x->st &= (uint8_t)~bits;
		if (!x->st) {
			st_free(a, x);
			f->norm = NULL;
		}
	}
}

/* A line break in text [from, to) (not one a backslash escapes). */
static bool line_break(const char *text, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (text[i] == '\n' && !(i > from && text[i - 1] == '\\'))
			return true;
	return false;
}

/*
 * dash reads a script a complete command at a time (the commands up to a
 * line break; a compound command with all its lines) and runs each
 * before it reads the next. At a construct its parser refuses
 * (cg_sh_script.dash_stop) it exits 2, having run nothing of that line.
 * The index of the first item of s's top-level list l that dash does not
 * run (l->n when the construct comes after them all).
 */
static size_t dash_runs(const struct cg_script *s, const struct cg_sh_list *l)
{
	size_t k = 0;

	while (k < l->n && l->items[k].end <= s->sh.dash_stop)
		k++;
	while (k > 0 && k < l->n &&
	       !line_break(s->sh.text, l->items[k - 1].end, l->items[k].start))
		k--;
	return k;
}

static void exec_list(struct an *a, const struct cx *c,
		      const struct cg_sh_list *l, struct flow *f,
		      const struct cg_loss *cond)
{
	size_t n;
	bool refused = false;

	if (!l)
		return;
	n = l->n;
	if (l == c->s->sh.top && c->shell && c->shell->dash &&
	    c->s->sh.dash_stop != CG_SH_NO_STOP) {
		if (!c->s->sh.dash_exact) {
			/* dash reads it as other commands: not followed */
			a->over = true;
			return;
		}
		n = dash_runs(c->s, l);
		refused = true;
	}
	for (size_t i = 0; i < n && f->norm && !a->over; i++)
		exec_andor(a, c, &l->items[i], f, cond);
	/* the syntax error: the shell exits 2, whatever ran before */
	if (refused && f->norm && !a->over)
		add_exit(a, f, f->norm, ST_N);
}

/* ------------------------------------------------------------- driver */

struct site {
	const struct cg_script *s;
	const struct cg_sh_cmd *cmd;
	/* a readiness check run in the background (`./wait-for-db.sh &`):
	 * what it is called; NULL for a critical command */
	const char *ready;
};

struct sites {
	struct site *v;
	size_t n, alloc;
	/* what cg_critical_command said of each command seen */
	struct verdict *verdicts;
	size_t nverdicts, verdicts_alloc;
	/* functions that run their arguments ("$@") */
	const char **wrappers;
	size_t nwrappers, wrappers_alloc;
	/* per verdict: its runs in the passing run (struct an's calls) */
	uint8_t *calls;
	size_t calls_alloc;
	const struct cg_script_at *at; /* where the script runs, or NULL */
};

static bool list_runs_args(const struct cg_sh_list *l, unsigned depth)
{
	if (depth > 16)
		return false;
	for (size_t i = 0; l && i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++) {
				const struct cg_sh_cmd *cmd =
				    &l->items[i].pipes[p].cmds[k];

				if (runs_args(cmd))
					return true;
				for (size_t b = 0; b < 3; b++)
					if (list_runs_args(cmd->body[b],
							   depth + 1))
						return true;
				for (size_t r = 0; r < cmd->narms; r++)
					if (list_runs_args(cmd->arms[r],
							   depth + 1))
						return true;
			}
	return false;
}

static bool is_wrapper(const struct sites *st, const struct cg_sh_cmd *cmd)
{
	if (cmd->kind != CG_SH_SIMPLE || cmd->nwords < 2 ||
	    cmd->words[0].quoted)
		return false;
	for (size_t i = 0; i < st->nwrappers; i++)
		if (!strcmp(st->wrappers[i], cmd->words[0].text))
			return true;
	return false;
}

/*
 * One walk over s and the scripts inside it: the functions that run their
 * arguments (`wrappers`, in lists at most 16 deep, as is_wrapper knows
 * them), and in order, what each simple command is (its verdict), so that
 * collect_sites need not walk again.
 */
static void collect_list(const struct cg_script *s, const struct cg_sh_list *l,
			 const struct cg_config *config, struct cg_buf *name,
			 struct sites *out, unsigned ldepth, bool bg)
{
	for (size_t i = 0; l && i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];
		bool in_bg = bg || ao->background;

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++) {
				const struct cg_sh_cmd *cmd =
				    &ao->pipes[p].cmds[k];
				struct verdict *v;

				if (cmd->kind == CG_SH_FUNCDEF &&
				    ldepth <= 16 && cmd->nwords &&
				    list_runs_args(cmd->body[1], 0)) {
					CG_GROW(out->wrappers,
						out->wrappers_alloc,
						out->nwrappers + 1);
					out->wrappers[out->nwrappers++] =
					    cmd->words[0].text;
				}
				if (cmd->kind != CG_SH_SIMPLE) {
					for (size_t b = 0; b < 3; b++)
						collect_list(s, cmd->body[b],
							     config, name, out,
							     ldepth + 1, in_bg);
					for (size_t r = 0; r < cmd->narms; r++)
						collect_list(s, cmd->arms[r],
							     config, name, out,
							     ldepth + 1, in_bg);
					continue;
				}
				if (cg_script_nested_at(s, cmd))
					continue;
				CG_GROW(out->verdicts, out->verdicts_alloc,
					out->nverdicts + 1);
				v = &out->verdicts[out->nverdicts++];
				v->cmd = cmd;
				v->s = s;
				v->critical =
				    cg_critical_command(cmd, config, name) ||
				    cg_critical_via_var(s, cmd, out->at, config,
							name);
				v->bg = in_bg;
				v->builtin = (uint8_t)builtin_of_cmd(cmd);
			}
	}
}

static void collect_script(const struct cg_script *s,
			   const struct cg_config *config, struct cg_buf *name,
			   struct sites *out, unsigned depth)
{
	if (depth > 8)
		return;
	collect_list(s, s->sh.top, config, name, out, 0, false);
	for (size_t i = 0; i < s->nnested; i++)
		collect_script(s->nested[i].script, config, name, out,
			       depth + 1);
}

/*
 * The sites, in the order of the script: its critical commands (also a
 * wrapper function's call with one: `retry pytest`), and the readiness
 * checks it runs in the background. A readiness check is no test, but a
 * bare `wait` that drops its failure lets the job go on without its
 * services (issue 9): it is judged for that loss only (cg_flow_check).
 */
static void collect_sites(struct sites *out, const struct cg_config *config,
			  struct cg_buf *name)
{
	for (size_t i = 0; i < out->nverdicts; i++) {
		const struct verdict *v = &out->verdicts[i];
		struct cg_ready_target t;
		const char *ready = NULL;

		if (!v->critical && !(is_wrapper(out, v->cmd) &&
				      critical_args(v->cmd, config, name))) {
			if (!v->bg || cg_ready_classify(v->s, v->cmd, &t) !=
					  CG_READY_CHECK)
				continue;
			ready = t.probe ? t.probe : v->cmd->words[0].text;
		}
		CG_GROW(out->v, out->alloc, out->n + 1);
		out->v[out->n].s = v->s;
		out->v[out->n].ready = ready;
		out->v[out->n++].cmd = v->cmd;
	}
}

static int cmp_verdict(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct verdict *)a)->cmd;
	uintptr_t y = (uintptr_t)((const struct verdict *)b)->cmd;

	return x < y ? -1 : x > y;
}

/* What cg_flow_check keeps from one script to the next: its buffers. */
struct cg_flow {
	struct sites sites;
	struct pool pool;
	struct cg_buf name, scratch;
};

struct cg_flow *cg_flow_new(void)
{
	struct cg_flow *fl = cg_xcalloc(1, sizeof(*fl));

	cg_buf_init(&fl->name, 0);
	cg_buf_init(&fl->scratch, 0);
	return fl;
}

void cg_flow_free(struct cg_flow *fl)
{
	if (!fl)
		return;
	pool_release(&fl->pool);
	free(fl->sites.v);
	free(fl->sites.verdicts);
	free(fl->sites.wrappers);
	free(fl->sites.calls);
	cg_buf_release(&fl->name);
	cg_buf_release(&fl->scratch);
	free(fl);
}

/* Run the script with `site` failing (NULL: nothing fails); the state it
 * exits with, or NULL when the work bound ran out. */
static struct fst *run_script(struct cg_flow *fl, const struct cg_script *s,
			      const struct cg_shell *shell,
			      const struct cg_config *config,
			      const struct cg_sh_cmd *site, unsigned k,
			      uint8_t *calls, size_t *spent,
			      struct code_probe *probe)
{
	struct an a;
	struct cx c;
	struct code_probe none;
	struct flow f = {0};
	struct fst *out;

	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	a.pool = &fl->pool;
	a.config = config;
	a.site = site;
	a.k = k;
	a.calls = calls;
	a.verdicts = fl->sites.verdicts;
	a.nverdicts = fl->sites.nverdicts;
	a.scratch = &fl->scratch;
	c.s = s;
	c.shell = shell;
	c.at = fl->sites.at;
	if (!probe) {
		memset(&none, 0, sizeof(none));
		probe = &none;
	}
	c.probe = probe;
	f.norm = st_new(&a);
	f.norm->st = ST_Z;
	f.norm->errexit = shell->errexit ? B_ON : B_OFF;
	f.norm->pipefail = shell->pipefail ? B_ON : B_OFF;
	f.norm->fired = B_OFF;
	f.norm->runs = 1; /* no run yet */
	f.norm->last_job = -1;
	exec_list(&a, &c, s->sh.top, &f, NULL);
	out = a.over ? NULL : finish_shell(&a, &c, &f, true);
	flow_release(&a, &f);
	for (size_t i = 0; i < a.ntraps; i++)
		st_free(&a, a.traps[i].x);
	*spent += a.steps;
	return out;
}

/* A site's later runs tried after its first: enough for a function
 * called in a few places or a loop's rounds. */
#define MAX_RUN_TRIED 4

/* How many runs of `cmd` to try: its count in the passing run, at most
 * MAX_RUN_TRIED, at least 1. */
static unsigned site_runs(const struct cg_flow *fl, const struct cg_sh_cmd *cmd)
{
	const struct sites *sites = &fl->sites;
	struct an a;
	const struct verdict *vd;
	unsigned n;

	memset(&a, 0, sizeof(a));
	a.verdicts = sites->verdicts;
	a.nverdicts = sites->nverdicts;
	vd = find_verdict(&a, cmd);
	n = vd ? sites->calls[vd - sites->verdicts] : 1;
	return n < 1 ? 1 : n > MAX_RUN_TRIED ? MAX_RUN_TRIED : n;
}

/* Run the script with the k-th run of `site` failing; report it (and
 * return true) when the failure is masked. */
/* Did run `o` of the site end with its failure lost? */
static bool run_masked(const struct fst *o, const struct site *site,
		       uint8_t passing_st)
{
	return o && (o->fired & B_ON) && !(o->st & ST_FAIL) &&
	       (!(o->st & ST_N) || (passing_st & ST_N)) && o->blame.kind &&
	       (!site->ready || o->blame.kind == CG_LOSS_WAIT ||
		o->blame.kind == CG_LOSS_WAIT_LAST);
}

/*
 * The exit codes the tool named `name` (a critical command's display
 * name) fails with, as its documentation gives them: pytest 1 (tests
 * failed) and 2 (interrupted, a collection error); make 2; ctest 8 (a test
 * failed); cargo 101 (a test panicked); any other 1.
 */
static size_t failure_codes(const char *name, int *codes)
{
	size_t n = strcspn(name, " ");

	if (strstr(name, "pytest") || strstr(name, "py.test")) {
		codes[0] = 1;
		codes[1] = 2;
		return 2;
	}
	if (n == 4 && !memcmp(name, "make", 4))
		codes[0] = 2;
	else if (n == 5 && !memcmp(name, "ctest", 5))
		codes[0] = 8;
	else if (n == 5 && !memcmp(name, "cargo", 5))
		codes[0] = 101;
	else
		codes[0] = 1;
	return 1;
}

static bool judge_site(struct cg_flow *fl, const struct cg_script *s,
		       const struct cg_shell *shell,
		       const struct cg_config *config, const struct site *site,
		       unsigned k, uint8_t passing_st, size_t *spent,
		       cg_masked_fn fn, void *ctx)
{
	struct cg_buf *name = &fl->name;
	struct code_probe probe = {0};
	struct fst *o =
	    run_script(fl, s, shell, config, site->cmd, k, NULL, spent, &probe);
	bool masked = run_masked(o, site, passing_st);
	struct cg_loss loss;
	struct cg_masked mk;

	if (masked)
		loss = o->blame;
	pool_put(&fl->pool, o);
	if (site->ready) {
		cg_buf_reset(name);
		cg_buf_addstr(name, site->ready);
	} else if (!cg_critical_command(site->cmd, config, name) &&
		   !cg_critical_via_var(site->s, site->cmd, fl->sites.at,
					config, name)) {
		critical_args(site->cmd, config, name);
	}
	if (!masked && probe.compared && !site->ready) {
		/* the script looked at the exit code: try the tool's own */
		int codes[2];
		size_t n = failure_codes(name->buf, codes);

		for (size_t i = 0; i < n && !masked; i++) {
			struct code_probe at = {0};

			at.code = codes[i];
			o = run_script(fl, s, shell, config, site->cmd, k, NULL,
				       spent, &at);
			if ((masked = run_masked(o, site, passing_st))) {
				loss = loss_at(CG_LOSS_CODE, probe.s,
					       probe.start, probe.end);
				loss.code = codes[i];
			}
			pool_put(&fl->pool, o);
		}
	}
	if (!masked)
		return false;
	mk.s = site->s;
	mk.cmd = site->cmd;
	mk.name = name->buf;
	mk.loss = loss;
	fn(ctx, &mk);
	return true;
}

/*
 * The failure is masked when no way out of the shell carries it, and the
 * run fails no other way than a passing run can: a non-zero exit that
 * only the failing run has is the failure's own doing (`"$@" && return
 * 0` ... `return 1`), even where no status carried it there.
 */
void cg_flow_check(struct cg_flow *fl, const struct cg_script *s,
		   const struct cg_shell *shell, const struct cg_script_at *at,
		   const struct cg_config *config, cg_masked_fn fn, void *ctx)
{
	struct sites *sites = &fl->sites;
	struct cg_buf *name = &fl->name;
	size_t spent = 0;
	struct fst *passing;
	uint8_t passing_st;

	sites->n = sites->nverdicts = sites->nwrappers = 0;
	sites->at = at;
	collect_script(s, config, name, sites, 0);
	collect_sites(sites, config, name);
	if (!sites->n)
		return;
	qsort(sites->verdicts, sites->nverdicts, sizeof(*sites->verdicts),
	      cmp_verdict);
	CG_GROW(sites->calls, sites->calls_alloc, sites->nverdicts + 1);
	memset(sites->calls, 0, sites->nverdicts);
	passing = run_script(fl, s, shell, config, NULL, 0, sites->calls,
			     &spent, NULL);
	if (!passing)
		return;
	passing_st = passing->st;
	pool_put(&fl->pool, passing);
	for (size_t i = 0; i < sites->n && spent < 4 * STEP_BUDGET; i++) {
		const struct site *site = &sites->v[i];
		unsigned runs = site_runs(fl, site->cmd);

		/* the run of the site that fails: the first, and where it
		 * can run again (a function called twice, a loop), each
		 * later one in turn, as a test that passes once and then
		 * fails would */
		for (unsigned k = 1; k <= runs && spent < 4 * STEP_BUDGET; k++)
			if (judge_site(fl, s, shell, config, site, k,
				       passing_st, &spent, fn, ctx))
				break;
	}
}

static bool list_has_pipe(const struct cg_sh_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++) {
			const struct cg_sh_pipeline *pl = &l->items[i].pipes[p];

			if (pl->n > 1)
				return true;
			for (size_t b = 0; b < 3; b++)
				if (list_has_pipe(pl->cmds[0].body[b]))
					return true;
			for (size_t r = 0; r < pl->cmds[0].narms; r++)
				if (list_has_pipe(pl->cmds[0].arms[r]))
					return true;
		}
	return false;
}

/* Every list the interpreter runs is in s's tree or a nested script's
 * (function bodies, traps, `$(...)`, `bash -c` strings): all are seen. A
 * pipeline needs a `|` in the text its script was parsed from; most
 * scripts have none, and that text is quicker to read than the tree. */
bool cg_flow_has_pipe(const struct cg_script *s)
{
	if (s->sh.len && memchr(s->sh.text, '|', s->sh.len) &&
	    list_has_pipe(s->sh.top))
		return true;
	for (size_t i = 0; i < s->nnested; i++)
		if (cg_flow_has_pipe(s->nested[i].script))
			return true;
	return false;
}

void cg_flow_each_script(const struct cg_model *m,
			 void (*fn)(void *ctx, const struct cg_script *s,
				    const struct cg_shell *shell,
				    const struct cg_script_at *at),
			 void *ctx)
{
	/* the model's script groups: every CI job's scripts, with the shell
	 * that runs each (GitLab's as its runner starts it) */
	for (size_t g = 0; g < m->facts.ngroups; g++)
		for (size_t i = 0; i < m->facts.groups[g].nitems; i++) {
			const struct cg_script_item *it =
			    &m->facts.groups[g].items[i];
			struct cg_script_at at = {m, &m->facts.groups[g], i};

			if (it->script && it->shell)
				fn(ctx, it->script, it->shell, &at);
		}
}
