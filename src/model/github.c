/*
 * The GitHub Actions view of a workflow file: workflow/job/step env,
 * defaults.run.shell, services, container, and steps with their effective
 * shell (FACTS.md: no `shell:` on Linux means `bash -e {0}` without pipefail;
 * `shell: bash` adds -o pipefail; `sh` is `sh -e {0}`). A composite action
 * (action.yml with `runs.using: composite`) is built the same way, as a
 * workflow with one pseudo-job holding runs.steps (see model.h); its steps
 * have no default shell.
 *
 * One fact needs a step's `if:`: a step under continue-on-error whose
 * failure a later step re-raises (`if: steps.ID.outcome == 'failure'` and
 * `run: exit 1`). The condition is evaluated here, three-valued, under the
 * assumption that step ID failed and nothing else did, so the rules read a
 * link (reraised_by), never the expression. The later step's `run:` must
 * fail whenever it runs, which the parsed script tells: its last command is
 * `exit N` or `false` and nothing earlier can end the script.
 */
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

static void env_block(struct cg_model *m, struct cg_env_block *out,
		      const struct cg_node *node)
{
	memset(out, 0, sizeof(*out));
	out->node = node;
	if (!node || node->kind != CG_NODE_MAP)
		return;
	out->vars = cg_arena_alloc(&m->arena, (node->n ? node->n : 1) *
						  sizeof(*out->vars));
	for (size_t i = 0; i < node->n; i++) {
		const struct cg_pair *p = &node->pairs[i];

		if (!cg_node_is_scalar(p->key))
			continue;
		out->vars[out->n].name = p->key->str;
		out->vars[out->n].key = p->key;
		out->vars[out->n].value =
		    cg_node_is_scalar(p->value) ? p->value : NULL;
		out->n++;
	}
}

/*
 * Interpret a `shell:` value. The keywords are GitHub's, run as the
 * templates GitHub documents; anything else is a custom command template
 * like `bash -el {0}`. The first word that names a POSIX shell starts the
 * command (`xvfb-run -a bash -e {0}`), and its flags are read as that
 * shell reads them (`bash -e +o pipefail {0}` has no pipefail).
 */
void cg_gh_shell_parse(struct cg_shell *sh, const struct cg_node *node,
		       const struct cg_src *src)
{
	const char *template = node->str;
	struct cg_shell_flags fl;
	const char **words;
	char *copy, *save = NULL, *word;
	size_t n = 0, k;

	memset(sh, 0, sizeof(*sh));
	sh->node = node;
	sh->src = src;
	sh->kind = CG_SHELL_OTHER;
	if (cg_scalar_eq(node, "bash"))
		template = "bash --noprofile --norc -eo pipefail {0}";
	else if (cg_scalar_eq(node, "sh"))
		template = "sh -e {0}";
	sh->describe = template;
	if (strstr(template, "${{"))
		return; /* decided at run time: we cannot know */
	copy = cg_xstrdup(template);
	words = cg_xcalloc(strlen(template) / 2 + 1, sizeof(*words));
	for (word = strtok_r(copy, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save))
		words[n++] = word;
	for (k = 0; k < n; k++)
		if (cg_posix_shell_name(words[k], &sh->dash))
			break;
	if (k < n) {
		sh->kind = CG_SHELL_POSIX;
		cg_shell_flags_read(&fl, CG_FLAGS_INVOKE, words + k + 1, NULL,
				    n - k - 1);
		sh->errexit = fl.errexit == CG_OPT_ON;
		sh->pipefail = fl.pipefail == CG_OPT_ON;
	}
	free(words);
	free(copy);
}

/* `continue-on-error:` of a job or step (see struct cg_gh_continue) */
/* `${{ true }}` or `${{ false }}`, the whole value: what GitHub makes of
 * it; else an expression ciguard does not judge */
static enum cg_gh_continue_value literal_expr(const char *v)
{
	static const char *const lit[2] = {"false", "true"};

	for (int b = 0; b < 2; b++) {
		const char *p = v;
		size_t n = strlen(lit[b]);

		if (strncmp(p, "${{", 3))
			break;
		p += 3 + strspn(p + 3, " \t");
		if (strncmp(p, lit[b], n))
			continue;
		p += n + strspn(p + n, " \t");
		if (!strcmp(p, "}}"))
			return b ? CG_GH_CONTINUE_TRUE : CG_GH_CONTINUE_FALSE;
	}
	return CG_GH_CONTINUE_EXPR;
}

static struct cg_gh_continue continue_on_error(const struct cg_node *owner)
{
	const struct cg_pair *p = cg_map_get_pair(owner, "continue-on-error");
	struct cg_gh_continue out = {CG_GH_CONTINUE_ABSENT, {0}};

	if (!p)
		return out;
	out.pos = p->key->pos;
	out.pos.end_line = p->value->pos.end_line;
	out.pos.end_col = p->value->pos.end_col;
	switch (cg_scalar_bool(p->value)) {
	case 1:
		out.value = CG_GH_CONTINUE_TRUE;
		break;
	case 0:
		out.value = CG_GH_CONTINUE_FALSE;
		break;
	default:
		out.value =
		    cg_node_is_scalar(p->value) && strstr(p->value->str, "${{")
			? literal_expr(p->value->str)
			: CG_GH_CONTINUE_OTHER;
	}
	return out;
}

/* windows-latest, windows-2022, or a self-hosted runner's `Windows` label
 * (labels are case-insensitive) */
static bool is_windows_label(const struct cg_node *label)
{
	return cg_node_is_scalar(label) &&
	       !strncasecmp(label->str, "windows", 7);
}

static bool runs_on_windows(const struct cg_node *runs_on)
{
	/* `runs-on: {group: ..., labels: ...}` */
	if (runs_on && runs_on->kind == CG_NODE_MAP)
		runs_on = cg_map_get(runs_on, "labels");
	if (is_windows_label(runs_on))
		return true;
	if (runs_on && runs_on->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < runs_on->n; i++)
			if (is_windows_label(runs_on->items[i]))
				return true;
	return false;
}

/* Which operating systems a job runs on. */
enum job_os {
	OS_OTHER,   /* Linux or macOS: bash is the default shell */
	OS_WINDOWS, /* every run: pwsh */
	OS_MIXED,   /* `runs-on: ${{ matrix.os }}` over Windows and others */
};

/* `runs-on: ${{ matrix.KEY }}`: KEY's values, in strategy.matrix.KEY and
 * the `include:` entries, Windows or not */
static enum job_os matrix_os(const struct cg_node *job,
			     const struct cg_node *runs_on)
{
	const struct cg_node *mx =
	    cg_map_get(cg_map_get(job, "strategy"), "matrix");
	const struct cg_node *vals, *inc;
	const char *at;
	char key[64];
	size_t n, win = 0, other = 0;

	if (!cg_node_is_scalar(runs_on) ||
	    !(at = strstr(runs_on->str, "matrix.")))
		return OS_OTHER;
	at += 7;
	for (n = 0; n + 1 < sizeof(key) && (isalnum((unsigned char)at[n]) ||
					    at[n] == '_' || at[n] == '-');
	     n++)
		key[n] = at[n];
	key[n] = '\0';
	if (!n || !mx || mx->kind != CG_NODE_MAP)
		return OS_OTHER;
	vals = cg_map_get(mx, key);
	for (size_t i = 0; vals && vals->kind == CG_NODE_SEQ && i < vals->n;
	     i++) {
		if (runs_on_windows(vals->items[i]))
			win++;
		else
			other++;
	}
	inc = cg_map_get(mx, "include");
	for (size_t i = 0; inc && inc->kind == CG_NODE_SEQ && i < inc->n; i++) {
		const struct cg_node *v = cg_map_get(inc->items[i], key);

		if (!v)
			continue;
		if (runs_on_windows(v))
			win++;
		else
			other++;
	}
	return !win ? OS_OTHER : other ? OS_MIXED : OS_WINDOWS;
}

/* An `if:` that holds only on Windows: `runner.os == 'Windows'`,
 * `matrix.X == 'windows-...'`, `startsWith(matrix.X, 'windows')`. */
static bool if_windows(const struct cg_node *cond)
{
	const char *p;

	if (!cg_node_is_scalar(cond))
		return false;
	for (p = cond->str; (p = strpbrk(p, "=(")); p++) {
		const char *q = p + 1;

		if (*p == '=' && (q[0] != '=' || p == cond->str ||
				  p[-1] == '!' || p[-1] == '='))
			continue;
		if (*p == '=')
			q++;
		else if (p - cond->str < 10 ||
			 strncasecmp(p - 10, "startsWith", 10))
			continue;
		else /* startsWith(matrix.X, 'windows */
			q = strchr(q, ',') ? strchr(q, ',') + 1 : q;
		q += strspn(q, " \t");
		if ((*q == '\'' || *q == '"') &&
		    !strncasecmp(q + 1, "windows", 7))
			return true;
	}
	return false;
}

static const struct cg_node *defaults_shell(const struct cg_node *owner)
{
	return cg_map_get(cg_map_get(cg_map_get(owner, "defaults"), "run"),
			  "shell");
}

static const struct cg_node *defaults_workdir(const struct cg_node *owner)
{
	return cg_map_get(cg_map_get(cg_map_get(owner, "defaults"), "run"),
			  "working-directory");
}

/* Where a `run:` starts, relative to the workspace ("" for the workspace
 * itself): the step's working-directory, else the job's, else the
 * workflow's defaults.run; NULL when it is an expression, absolute, or
 * leaves the workspace. */
static const char *step_workdir(struct cg_model *m, const struct cg_node *node,
				const struct cg_node *job_wd,
				const struct cg_node *wf_wd)
{
	const struct cg_node *wd = cg_map_get(node, "working-directory");
	char *norm;
	const char *out;

	if (!wd)
		wd = job_wd ? job_wd : wf_wd;
	if (!wd)
		return "";
	if (!cg_node_is_scalar(wd) || strchr(wd->str, '$') ||
	    wd->str[0] == '/' || wd->str[0] == '~')
		return NULL;
	if (!(norm = cg_model_path(NULL, wd->str))) {
		/* "." and "./" are the workspace; ".." leaves it */
		bool here = true;

		for (const char *p = wd->str; *p; p++)
			if (*p != '.' && *p != '/')
				here = false;
		return here && !strstr(wd->str, "..") ? "" : NULL;
	}
	out = cg_arena_strdup(&m->arena, norm);
	free(norm);
	return out;
}

/* ---------------------------------------------- a step that always fails */

/* `exit N` with a literal N that is not 0 mod 256, or `false`. */
static bool is_failing_command(const struct cg_sh_cmd *c)
{
	const struct cg_sh_word *arg;
	unsigned status = 0;

	if (c->kind != CG_SH_SIMPLE || !c->nwords)
		return false;
	if (!strcmp(c->words[0].text, "false"))
		return true;
	if (strcmp(c->words[0].text, "exit") || c->nwords != 2)
		return false;
	arg = &c->words[1];
	/* a sign, an expansion or more than 9 digits: shells disagree */
	if (arg->expands || !arg->len || arg->len > 9)
		return false;
	for (size_t i = 0; i < arg->len; i++) {
		if (arg->text[i] < '0' || arg->text[i] > '9')
			return false;
		status = (status * 10 + (unsigned)(arg->text[i] - '0')) % 256;
	}
	return status != 0;
}

/*
 * Could `c` end the script before its last command, or change how it ends?
 * exit/return/exec/logout end it; a trap on EXIT can rewrite its status;
 * source, `.` and eval run text we do not see; `set -n` stops executing; a
 * command whose name is an expansion may be any of these.
 */
static bool may_end_script(const struct cg_sh_cmd *c)
{
	static const char *const enders[] = {
	    "exit", "return", "exec", "logout", "trap", "source", ".", "eval",
	};
	const char *name;

	/* `false() { :; }` makes the last `false` succeed */
	if (c->kind == CG_SH_FUNCDEF && c->nwords &&
	    (!strcmp(c->words[0].text, "false") ||
	     !strcmp(c->words[0].text, "exit")))
		return true;
	if (c->kind != CG_SH_SIMPLE || !c->nwords)
		return false;
	if (c->words[0].expands)
		return true;
	name = c->words[0].text;
	for (size_t i = 0; i < sizeof(enders) / sizeof(*enders); i++)
		if (!strcmp(name, enders[i]))
			return true;
	if (!strcmp(name, "set"))
		for (size_t i = 1; i < c->nwords; i++) {
			const char *w = c->words[i].text;

			if (!strcmp(w, "noexec") ||
			    (w[0] == '-' && w[1] != '-' && strchr(w, 'n')))
				return true;
		}
	return false;
}

static bool list_may_end(const struct cg_sh_list *l, size_t upto,
			 unsigned depth);

static bool cmd_may_end(const struct cg_sh_cmd *c, unsigned depth)
{
	if (depth > 64)
		return true;
	if (may_end_script(c))
		return true;
	for (size_t b = 0; b < 3; b++)
		if (c->body[b] &&
		    list_may_end(c->body[b], c->body[b]->n, depth))
			return true;
	for (size_t a = 0; a < c->narms; a++)
		if (c->arms[a] &&
		    list_may_end(c->arms[a], c->arms[a]->n, depth))
			return true;
	return false;
}

/* Does any command of items [0, upto) of `l` (nested ones too) qualify? */
static bool list_may_end(const struct cg_sh_list *l, size_t upto,
			 unsigned depth)
{
	for (size_t i = 0; i < upto && i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++)
				if (cmd_may_end(&ao->pipes[p].cmds[k],
						depth + 1))
					return true;
	}
	return false;
}

/*
 * The list ends in a failing command that always runs: its last item is
 * one plain command (no `&&`/`||`, `!`, `&` or pipe) that fails, or a
 * group or subshell whose list does, and nothing before it may end the
 * script. Under -e an earlier failure ends the script with a failure too,
 * so earlier commands need not succeed.
 */
static bool list_always_fails(const struct cg_sh_list *l, unsigned depth)
{
	const struct cg_sh_andor *last;
	const struct cg_sh_cmd *c;

	if (!l || !l->n || depth > 64)
		return false;
	last = &l->items[l->n - 1];
	if (last->n != 1 || last->background || last->pipes[0].n != 1 ||
	    last->pipes[0].negated)
		return false;
	c = &last->pipes[0].cmds[0];
	if (list_may_end(l, l->n - 1, depth))
		return false;
	if (c->kind == CG_SH_GROUP || c->kind == CG_SH_SUBSHELL)
		return list_always_fails(c->body[0], depth + 1);
	return is_failing_command(c);
}

static bool script_always_fails(const struct cg_script *s)
{
	return s && !s->sh.incomplete && list_always_fails(s->sh.top, 0);
}

/* ------------------------------------------ `if:` conditions on outcomes */

/*
 * GitHub expressions, evaluated just far enough to answer one question:
 * given that step `target` failed under continue-on-error (so
 * steps.<target>.outcome is 'failure' and its conclusion 'success') and
 * that nothing else failed or was cancelled (success() and always() true,
 * failure() and cancelled() false), is the condition certainly true? Every
 * other context value is unknown, so the answer is three-valued (Kleene
 * logic for `!`, `&&`, `||`); `==`/`!=`, contains(), startsWith() and
 * endsWith() are decided only between two known strings (and contains()
 * over fromJSON of a literal array of strings), case-insensitively as
 * GitHub compares them. Names of contexts,
 * properties and functions are case-insensitive too. Anything we do not
 * parse makes the whole condition unknown.
 */
enum tri { TRI_FALSE, TRI_TRUE, TRI_UNKNOWN };

struct xval {
	enum tri truth;
	const char *str; /* a known string value, or NULL */
	size_t len;
	/* fromJSON('[...]') of a known string: the array's JSON text (str
	 * is NULL then, so only contains() reads it) */
	const char *arr;
	size_t arr_len;
};

#define MAX_OUTCOME_REFS 8

struct expr {
	const char *p, *end;
	const char *target; /* the failed step's id; NULL: only collect */
	bool read_target;   /* steps.<target>.outcome was read */
	bool bad;	    /* syntax we do not know */
	unsigned depth;
	/* the ids whose outcome the expression reads */
	const char *refs[MAX_OUTCOME_REFS];
	size_t ref_lens[MAX_OUTCOME_REFS];
	size_t nrefs;
};

static const struct xval unknown_val = {TRI_UNKNOWN, NULL, 0, NULL, 0};

static struct xval truth_val(enum tri t)
{
	struct xval v = {t, NULL, 0, NULL, 0};

	return v;
}

static bool word_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncasecmp(s, word, len);
}

static void skip_blanks(struct expr *e)
{
	while (e->p < e->end && (*e->p == ' ' || *e->p == '\t' ||
				 *e->p == '\n' || *e->p == '\r'))
		e->p++;
}

/* Consume operator `op` when it comes next (and is not the start of a
 * longer one: `!` of `!=`, `<` of `<=`). */
static bool take(struct expr *e, const char *op)
{
	size_t n = strlen(op);

	skip_blanks(e);
	if ((size_t)(e->end - e->p) < n || memcmp(e->p, op, n))
		return false;
	if (n == 1 &&
	    (op[0] == '!' || op[0] == '<' || op[0] == '>' || op[0] == '=') &&
	    e->p + 1 < e->end && e->p[1] == '=')
		return false;
	e->p += n;
	return true;
}

static bool is_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && ((c >= '0' && c <= '9') || c == '-'));
}

static struct xval parse_or(struct expr *e);

/* 'text' with '' for a quote; a literal holding '' is left unknown */
static struct xval parse_string(struct expr *e)
{
	const char *start = ++e->p;
	bool escaped = false;

	for (;;) {
		if (e->p >= e->end) {
			e->bad = true;
			return unknown_val;
		}
		if (*e->p == '\'') {
			if (e->p + 1 < e->end && e->p[1] == '\'') {
				escaped = true;
				e->p += 2;
				continue;
			}
			break;
		}
		e->p++;
	}
	struct xval v = {e->p > start ? TRI_TRUE : TRI_FALSE,
			 escaped ? NULL : start, (size_t)(e->p - start), NULL,
			 0};
	e->p++;
	return v;
}

/* Does s[0..n) hold sub[0..m) at `where` (0 anywhere, 1 at the start, 2
 * at the end), ignoring ASCII case as GitHub's string functions do? */
static bool has_text(const char *s, size_t n, const char *sub, size_t m,
		     int where)
{
	if (m > n)
		return false;
	if (where == 1)
		return !strncasecmp(s, sub, m);
	if (where == 2)
		return !strncasecmp(s + n - m, sub, m);
	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp(s + i, sub, m))
			return true;
	return false;
}

/* Is `item` an element of the JSON array text a[0..n), comparing strings
 * without case as GitHub's contains() does? Known only for an array of
 * plain strings ("a", "b": no escapes); anything else is unknown unless a
 * string element matches. */
static enum tri in_json_array(const char *a, size_t n, const char *item,
			      size_t len)
{
	const char *p = a + 1, *end = a + n;
	bool plain = true;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
				   *p == '\r' || *p == ','))
			p++;
		if (p >= end)
			return TRI_UNKNOWN; /* no closing bracket */
		if (*p == ']')
			return plain && p + 1 == end ? TRI_FALSE : TRI_UNKNOWN;
		if (*p == '"') {
			const char *s = ++p;

			while (p < end && *p != '"' && *p != '\\')
				p++;
			if (p >= end || *p == '\\')
				return TRI_UNKNOWN;
			if ((size_t)(p - s) == len &&
			    !strncasecmp(s, item, len))
				return TRI_TRUE;
			p++;
			continue;
		}
		/* a number, true, null, a nested value: skip to its end */
		plain = false;
		while (p < end && *p != ',' && *p != ']' && *p != '[' &&
		       *p != '{' && *p != '"')
			p++;
		if (p < end && (*p == '[' || *p == '{' || *p == '"'))
			return TRI_UNKNOWN;
	}
}

static struct xval call(struct expr *e, const char *name, size_t len)
{
	if (!take(e, ")")) {
		struct xval arg[2] = {unknown_val, unknown_val};
		size_t nargs = 0;
		int where = word_eq(name, len, "contains")     ? 0
			    : word_eq(name, len, "startsWith") ? 1
			    : word_eq(name, len, "endsWith")   ? 2
							       : -1;

		do {
			struct xval v = parse_or(e);

			if (nargs < 2)
				arg[nargs] = v;
			nargs++;
		} while (!e->bad && take(e, ","));
		if (!take(e, ")"))
			e->bad = true;
		/* contains/startsWith/endsWith of two known strings */
		if (where >= 0 && nargs == 2 && arg[0].str && arg[1].str)
			return truth_val(has_text(arg[0].str, arg[0].len,
						  arg[1].str, arg[1].len, where)
					     ? TRI_TRUE
					     : TRI_FALSE);
		/* contains(fromJSON('["failure", "cancelled"]'), x) */
		if (where == 0 && nargs == 2 && arg[0].arr && arg[1].str)
			return truth_val(in_json_array(arg[0].arr,
						       arg[0].arr_len,
						       arg[1].str, arg[1].len));
		if (word_eq(name, len, "fromJSON") && nargs == 1 &&
		    arg[0].str && arg[0].len && arg[0].str[0] == '[') {
			struct xval v = {TRI_TRUE, NULL, 0, arg[0].str,
					 arg[0].len};

			return v;
		}
		return unknown_val;
	}
	if (word_eq(name, len, "success") || word_eq(name, len, "always"))
		return truth_val(TRI_TRUE);
	if (word_eq(name, len, "failure") || word_eq(name, len, "cancelled"))
		return truth_val(TRI_FALSE);
	return unknown_val;
}

static void note_ref(struct expr *e, const char *id, size_t len)
{
	if (e->target && word_eq(id, len, e->target))
		e->read_target = true;
	for (size_t i = 0; i < e->nrefs; i++)
		if (e->ref_lens[i] == len && !strncasecmp(e->refs[i], id, len))
			return;
	if (e->nrefs < MAX_OUTCOME_REFS) {
		e->refs[e->nrefs] = id;
		e->ref_lens[e->nrefs++] = len;
	}
}

/* A context path: name, then `.name`, `.*` or `[expr]` segments. Only
 * steps.<id>.outcome and steps.<id>.conclusion have values here. */
static struct xval path(struct expr *e, const char *name, size_t len)
{
	const char *seg[3] = {name, NULL, NULL};
	size_t seg_len[3] = {len, 0, 0};
	size_t nseg = 1;
	bool known = true;

	for (;;) {
		const char *s = NULL;
		size_t n = 0;

		skip_blanks(e);
		if (e->p < e->end && *e->p == '.') {
			e->p++;
			if (e->p < e->end && *e->p == '*') {
				e->p++;
				known = false;
				continue;
			}
			s = e->p;
			while (e->p < e->end && is_name_char(*e->p, s == e->p))
				e->p++;
			n = (size_t)(e->p - s);
			if (!n) {
				e->bad = true;
				return unknown_val;
			}
		} else if (e->p < e->end && *e->p == '[') {
			struct xval idx;

			e->p++;
			idx = parse_or(e);
			if (!take(e, "]")) {
				e->bad = true;
				return unknown_val;
			}
			if (!idx.str) {
				known = false;
				continue;
			}
			s = idx.str;
			n = idx.len;
		} else {
			break;
		}
		if (nseg < 3) {
			seg[nseg] = s;
			seg_len[nseg] = n;
		}
		nseg++;
	}
	if (!known || nseg != 3 || !word_eq(seg[0], seg_len[0], "steps"))
		return unknown_val;
	if (word_eq(seg[2], seg_len[2], "outcome")) {
		note_ref(e, seg[1], seg_len[1]);
		if (e->target && word_eq(seg[1], seg_len[1], e->target)) {
			struct xval v = {TRI_TRUE, "failure", 7, NULL, 0};

			return v;
		}
	}
	if (word_eq(seg[2], seg_len[2], "conclusion") && e->target &&
	    word_eq(seg[1], seg_len[1], e->target)) {
		struct xval v = {TRI_TRUE, "success", 7, NULL, 0};

		return v;
	}
	return unknown_val;
}

static struct xval parse_primary(struct expr *e)
{
	const char *name;
	size_t len;
	struct xval v;

	skip_blanks(e);
	if (e->p >= e->end || ++e->depth > 64) {
		e->bad = true;
		return unknown_val;
	}
	if (take(e, "(")) {
		v = parse_or(e);
		if (!take(e, ")"))
			e->bad = true;
		e->depth--;
		return v;
	}
	if (*e->p == '\'') {
		e->depth--;
		return parse_string(e);
	}
	if ((*e->p >= '0' && *e->p <= '9') || *e->p == '-' || *e->p == '+' ||
	    *e->p == '.') {
		/* a number: 1, -2.5, 0xff, 1e3 */
		while (e->p < e->end && (is_name_char(*e->p, false) ||
					 *e->p == '.' || *e->p == '+'))
			e->p++;
		e->depth--;
		return unknown_val;
	}
	if (!is_name_char(*e->p, true)) {
		e->bad = true;
		return unknown_val;
	}
	name = e->p;
	while (e->p < e->end && is_name_char(*e->p, false))
		e->p++;
	len = (size_t)(e->p - name);
	if (take(e, "("))
		v = call(e, name, len);
	else if (word_eq(name, len, "true"))
		v = truth_val(TRI_TRUE);
	else if (word_eq(name, len, "false") || word_eq(name, len, "null"))
		v = truth_val(TRI_FALSE);
	else
		v = path(e, name, len);
	e->depth--;
	return v;
}

static struct xval parse_unary(struct expr *e)
{
	struct xval v;

	if (!take(e, "!"))
		return parse_primary(e);
	if (++e->depth > 64) {
		e->bad = true;
		return unknown_val;
	}
	v = parse_unary(e);
	e->depth--;
	return truth_val(v.truth == TRI_UNKNOWN ? TRI_UNKNOWN
			 : v.truth == TRI_TRUE	? TRI_FALSE
						: TRI_TRUE);
}

static struct xval parse_cmp(struct expr *e)
{
	struct xval v = parse_unary(e);

	while (!e->bad) {
		bool eq = take(e, "=="), ne = !eq && take(e, "!=");
		struct xval r;

		if (!eq && !ne && !take(e, "<=") && !take(e, ">=") &&
		    !take(e, "<") && !take(e, ">"))
			break;
		r = parse_unary(e);
		if ((eq || ne) && v.str && r.str)
			v = truth_val((v.len == r.len &&
				       !strncasecmp(v.str, r.str, v.len)) == eq
					  ? TRI_TRUE
					  : TRI_FALSE);
		else
			v = unknown_val;
	}
	return v;
}

/* `a && b` is a when a is falsy, else b; `a || b` the other way round */
static struct xval parse_and(struct expr *e)
{
	struct xval v = parse_cmp(e);

	while (!e->bad && take(e, "&&")) {
		struct xval r = parse_cmp(e);

		if (v.truth == TRI_TRUE)
			v = r;
		else if (v.truth == TRI_UNKNOWN)
			v = truth_val(r.truth == TRI_FALSE ? TRI_FALSE
							   : TRI_UNKNOWN);
	}
	return v;
}

static struct xval parse_or(struct expr *e)
{
	struct xval v = parse_and(e);

	while (!e->bad && take(e, "||")) {
		struct xval r = parse_and(e);

		if (v.truth == TRI_FALSE)
			v = r;
		else if (v.truth == TRI_UNKNOWN)
			v = truth_val(r.truth == TRI_TRUE ? TRI_TRUE
							  : TRI_UNKNOWN);
	}
	return v;
}

/*
 * Evaluate `if:` text for `target` (NULL: only collect the ids whose
 * outcome it reads). `${{ expr }}` around the whole value is the same as
 * `expr`; an expression embedded in other text is not parsed.
 */
static enum tri eval_if(struct expr *e, const struct cg_node *cond,
			const char *target)
{
	const char *s = cond->str, *end = cond->str + cond->len;
	struct xval v;

	memset(e, 0, sizeof(*e));
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++;
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		end--;
	if (end - s >= 5 && !memcmp(s, "${{", 3) && !memcmp(end - 2, "}}", 2)) {
		s += 3;
		end -= 2;
	}
	for (const char *q = s; q + 1 < end; q++)
		if ((q[0] == '$' && q[1] == '{') ||
		    (q[0] == '}' && q[1] == '}'))
			return TRI_UNKNOWN;
	e->p = s;
	e->end = end;
	e->target = target;
	v = parse_or(e);
	skip_blanks(e);
	if (e->bad || e->p != e->end)
		return TRI_UNKNOWN;
	return v.truth;
}

/* Does step `by` re-raise the failure of the step whose id is `id`? */
static bool reraises(const struct cg_gh_step *by, const char *id)
{
	struct expr e;

	return eval_if(&e, by->if_cond, id) == TRI_TRUE && e.read_target;
}

/*
 * Link each step with an id to the first later step that re-raises its
 * failure. A candidate always fails and has an `if:`; its condition is
 * parsed once to learn which outcomes it reads, then evaluated for each.
 */
static void link_reraises(struct cg_gh_step *steps, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		const struct cg_gh_step *by = &steps[j];
		struct expr refs;

		if (!by->always_fails || !cg_node_is_scalar(by->if_cond) ||
		    (by->continue_on_error.value != CG_GH_CONTINUE_ABSENT &&
		     by->continue_on_error.value != CG_GH_CONTINUE_FALSE))
			continue;
		eval_if(&refs, by->if_cond, NULL);
		for (size_t r = 0; r < refs.nrefs; r++)
			for (size_t k = j; k-- > 0;) {
				struct cg_gh_step *st = &steps[k];

				if (!st->id || st->reraised_by ||
				    !word_eq(refs.refs[r], refs.ref_lens[r],
					     st->id->str))
					continue;
				if (reraises(by, st->id->str))
					st->reraised_by = by;
				break;
			}
	}
}

/* The shell of a `run:` step that names none, here or in defaults.run. */
enum default_shell {
	DEFAULT_BASH, /* `bash -e {0}` on Linux and macOS runners */
	/* `sh -e {0}` in a job's container: the runner names `sh` there,
	 * where on the runner it takes bash when it finds one
	 * (Handlers/ScriptHandler.cs); sh is dash in Debian images */
	DEFAULT_SH,
	DEFAULT_PWSH, /* pwsh on Windows runners */
	DEFAULT_NONE, /* composite actions: `shell:` is required */
};

/*
 * What GitHub shows for a step: its name, else "Run " and the first line of
 * its run:, else what it uses. Returned in `out` (reset first).
 */
static const char *step_title(struct cg_buf *out, const struct cg_gh_step *st)
{
	cg_buf_reset(out);
	if (cg_node_is_scalar(st->name)) {
		cg_buf_add(out, st->name->str, strlen(st->name->str));
	} else if (cg_node_is_scalar(st->run)) {
		const char *text = st->run->str;
		size_t len = strcspn(text, "\n");

		/* at most 60 bytes, cut before a UTF-8 continuation byte */
		if (len > 60) {
			len = 60;
			while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
				len--;
		}
		cg_buf_addf(out, "Run %.*s", (int)len, text);
	} else if (cg_node_is_scalar(st->uses)) {
		cg_buf_addf(out, "Run %s", st->uses->str);
	} else {
		cg_buf_addf(out, "#%zu", st->index + 1);
	}
	return out->buf;
}

/* The job's and the workflow's `defaults:` a step falls back on. */
struct step_defaults {
	const struct cg_node *job_shell, *wf_shell;
	const struct cg_node *job_wd, *wf_wd;
	enum default_shell def;
	/* the job runs on Windows in some runs: a step that only runs
	 * there has pwsh as its default */
	bool some_windows;
};

static void step_build(struct cg_model *m, struct cg_gh_step *st,
		       const struct cg_node *node, const struct cg_src *src,
		       const struct step_defaults *d)
{
	const struct cg_node *shell, *job_shell = d->job_shell,
				     *wf_shell = d->wf_shell;
	enum default_shell def = d->def;

	if (d->some_windows && if_windows(cg_map_get(node, "if")))
		def = DEFAULT_PWSH;
	st->node = node;
	st->name = cg_map_get(node, "name");
	st->id = cg_map_get(node, "id");
	if (!cg_node_is_scalar(st->id))
		st->id = NULL;
	st->run = cg_map_get(node, "run");
	st->uses = cg_map_get(node, "uses");
	st->with = cg_map_get(node, "with");
	st->if_cond = cg_map_get(node, "if");
	st->continue_on_error = continue_on_error(node);
	env_block(m, &st->env, cg_map_get(node, "env"));
	st->workdir = step_workdir(m, node, d->job_wd, d->wf_wd);
	shell = cg_map_get(node, "shell");
	if (!cg_node_is_scalar(shell))
		shell = cg_node_is_scalar(job_shell) ? job_shell : NULL;
	if (!shell)
		shell = cg_node_is_scalar(wf_shell) ? wf_shell : NULL;
	if (shell) {
		cg_gh_shell_parse(&st->shell, shell, src);
	} else if (def == DEFAULT_PWSH) {
		st->shell.kind = CG_SHELL_OTHER;
		st->shell.describe = "pwsh (GitHub's default on Windows)";
	} else if (def == DEFAULT_NONE) {
		struct cg_buf title = CG_BUF_INIT;

		st->shell.kind = CG_SHELL_OTHER;
		st->shell.describe = "no shell (a composite action needs one)";
		if (cg_node_is_scalar(st->run))
			cg_model_note(m,
				      "%s:%u:%u: step '%s' of a composite "
				      "action has no `shell:`, which GitHub "
				      "requires; not checked",
				      src->path, node->pos.line, node->pos.col,
				      step_title(&title, st));
		cg_buf_release(&title);
	} else if (def == DEFAULT_SH) {
		st->shell.kind = CG_SHELL_POSIX;
		st->shell.errexit = true;
		st->shell.dash = true;
		st->shell.describe =
		    "GitHub's default shell in a container, `sh -e {0}`";
	} else {
		st->shell.kind = CG_SHELL_POSIX;
		st->shell.errexit = true;
		st->shell.describe = "GitHub's default shell `bash -e {0}`";
	}
	if (st->shell.kind == CG_SHELL_POSIX && cg_node_is_scalar(st->run))
		st->script = cg_script_new(m, src, st->run);
	st->always_fails = script_always_fails(st->script);
}

/* The `steps:` sequence of a job or composite action. */
static void steps_build(struct cg_model *m, struct cg_gh_job *job,
			const struct cg_node *steps, const struct cg_src *src,
			const struct step_defaults *d)
{
	if (!steps || steps->kind != CG_NODE_SEQ || !steps->n)
		return;
	job->steps = cg_arena_alloc(&m->arena, steps->n * sizeof(*job->steps));
	for (size_t i = 0; i < steps->n; i++) {
		if (steps->items[i]->kind != CG_NODE_MAP)
			continue;
		job->steps[job->nsteps].index = i;
		step_build(m, &job->steps[job->nsteps++], steps->items[i], src,
			   d);
	}
	link_reraises(job->steps, job->nsteps);
}

/* `container:` or a service given as "" or `{image: ""}` */
static bool empty_image(const struct cg_node *c)
{
	if (c && c->kind == CG_NODE_MAP)
		c = cg_map_get(c, "image");
	return cg_node_is_scalar(c) && !c->str[0];
}

static void job_build(struct cg_model *m, struct cg_gh_job *job,
		      const struct cg_pair *pair, const struct cg_src *src,
		      const struct cg_node *root)
{
	const struct cg_node *node = pair->value, *services;
	struct step_defaults d;
	bool windows;
	enum job_os os;

	job->id = pair->key->str;
	job->key = pair->key;
	job->node = node;
	job->runs_on = cg_map_get(node, "runs-on");
	job->container = cg_map_get(node, "container");
	/* an empty image: the runner makes no container and runs the job
	 * on the runner (PipelineTemplateConverter.ConvertToJobContainer) */
	if (empty_image(job->container))
		job->container = NULL;
	job->continue_on_error = continue_on_error(node);
	env_block(m, &job->env, cg_map_get(node, "env"));
	windows = runs_on_windows(job->runs_on);
	os = windows ? OS_WINDOWS : matrix_os(node, job->runs_on);

	services = cg_map_get(node, "services");
	if (services && services->kind == CG_NODE_MAP && services->n) {
		job->services = cg_arena_alloc(
		    &m->arena, services->n * sizeof(*job->services));
		for (size_t i = 0; i < services->n; i++) {
			const struct cg_pair *sp = &services->pairs[i];
			struct cg_gh_service *svc;

			/* the runner starts no container for an empty
			 * image (JobExtension.cs) */
			if (!cg_node_is_scalar(sp->key) ||
			    empty_image(sp->value))
				continue;
			svc = &job->services[job->nservices++];
			svc->id = sp->key->str;
			svc->key = sp->key;
			svc->node = sp->value;
			svc->image = cg_node_is_scalar(sp->value)
					 ? sp->value
					 : cg_map_get(sp->value, "image");
			svc->ports = cg_map_get(sp->value, "ports");
			svc->options = cg_map_get(sp->value, "options");
			env_block(m, &svc->env, cg_map_get(sp->value, "env"));
		}
	}
	d.job_shell = defaults_shell(node);
	d.wf_shell = defaults_shell(root);
	d.job_wd = defaults_workdir(node);
	d.wf_wd = defaults_workdir(root);
	d.def = os == OS_WINDOWS ? DEFAULT_PWSH
		: job->container ? DEFAULT_SH
				 : DEFAULT_BASH;
	d.some_windows = os == OS_MIXED;
	steps_build(m, job, cg_map_get(node, "steps"), src, &d);
}

static struct cg_gh_workflow *
workflow_new(struct cg_model *m, struct cg_file *f, const struct cg_node *root)
{
	struct cg_gh_workflow *wf;

	CG_GROW(m->workflows, m->workflows_alloc, m->nworkflows + 1);
	wf = &m->workflows[m->nworkflows++];
	memset(wf, 0, sizeof(*wf));
	wf->src = &f->src;
	wf->root = root;
	return wf;
}

/* A composite action: one pseudo-job "runs" holding runs.steps (model.h).
 * False when the file is not a composite action. */
static bool action_build(struct cg_model *m, struct cg_file *f,
			 const struct cg_node *root)
{
	const struct cg_pair *runs = cg_map_get_pair(root, "runs");
	const struct cg_node *using;
	struct cg_gh_workflow *wf;
	struct cg_gh_job *job;

	if (!runs || !cg_node_is_scalar(runs->key) ||
	    runs->value->kind != CG_NODE_MAP)
		return false;
	using = cg_map_get(runs->value, "using");
	/* the runner compares `using` ignoring case */
	if (!cg_node_is_scalar(using) || strcasecmp(using->str, "composite"))
		return false;
	wf = workflow_new(m, f, root);
	wf->composite = true;
	wf->jobs = job = cg_arena_alloc(&m->arena, sizeof(*wf->jobs));
	wf->njobs = 1;
	job->id = runs->key->str;
	job->key = runs->key;
	job->node = runs->value;
	steps_build(m, job, cg_map_get(runs->value, "steps"), &f->src,
		    &(struct step_defaults){.def = DEFAULT_NONE});
	return true;
}

/*
 * A `run:` in pwsh (GitHub's default on Windows runners), powershell, cmd,
 * python or a shell we cannot tell is never parsed, so no rule looks at
 * it: pwsh, for one, ends a script with its last command's status, so
 * `pytest` followed by another command loses the failure. Rather than stay
 * silent, say so once per file, at the first such step, with how many
 * more there are. Composite steps without a shell were noted already.
 */
static void note_unchecked_steps(struct cg_model *m,
				 const struct cg_gh_workflow *wf)
{
	const struct cg_gh_step *first = NULL;
	struct cg_buf title = CG_BUF_INIT, how = CG_BUF_INIT;
	size_t more = 0;

	for (size_t j = 0; j < wf->njobs; j++)
		for (size_t k = 0; k < wf->jobs[j].nsteps; k++) {
			const struct cg_gh_step *st = &wf->jobs[j].steps[k];

			if (st->shell.kind != CG_SHELL_OTHER ||
			    !cg_node_is_scalar(st->run) ||
			    (wf->composite && !st->shell.node))
				continue;
			if (first)
				more++;
			else
				first = st;
		}
	if (!first)
		return;
	if (first->shell.node)
		cg_buf_addf(&how, "`shell: %s`", first->shell.node->str);
	else
		cg_buf_addf(&how, "%s", first->shell.describe);
	if (more)
		cg_model_note(m,
			      "%s:%u:%u: step '%s' runs in %s; ciguard checks "
			      "only bash/sh scripts (%zu more such step%s in "
			      "this file)",
			      wf->src->path, first->node->pos.line,
			      first->node->pos.col, step_title(&title, first),
			      how.buf, more, more == 1 ? "" : "s");
	else
		cg_model_note(m,
			      "%s:%u:%u: step '%s' runs in %s; ciguard checks "
			      "only bash/sh scripts",
			      wf->src->path, first->node->pos.line,
			      first->node->pos.col, step_title(&title, first),
			      how.buf);
	cg_buf_release(&title);
	cg_buf_release(&how);
}

/* The `run:` of every step of the steps sequence `steps`. */
static void prepare_steps(struct cg_prepared *p, const struct cg_src *src,
			  const struct cg_node *steps)
{
	if (!steps || steps->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < steps->n; i++)
		if (steps->items[i]->kind == CG_NODE_MAP)
			cg_prepared_add(p, src,
					cg_map_get(steps->items[i], "run"));
}

void cg_gh_prepare(struct cg_prepared *p, const struct cg_file *f)
{
	const struct cg_node *root, *jobs;

	if (f->tree.ndocs < 1 || !(root = f->tree.docs[0]) ||
	    root->kind != CG_NODE_MAP)
		return;
	if (cg_is_action_path(f->src.path)) {
		const struct cg_node *runs = cg_map_get(root, "runs");

		prepare_steps(p, &f->src, cg_map_get(runs, "steps"));
		return;
	}
	jobs = cg_map_get(root, "jobs");
	if (!jobs || jobs->kind != CG_NODE_MAP)
		return;
	for (size_t i = 0; i < jobs->n; i++)
		prepare_steps(p, &f->src,
			      cg_map_get(jobs->pairs[i].value, "steps"));
}

void cg_gh_build(struct cg_model *m, struct cg_file *f)
{
	const struct cg_node *root, *jobs;
	struct cg_gh_workflow *wf;

	if (f->tree.ndocs < 1 || !(root = f->tree.docs[0]) ||
	    root->kind != CG_NODE_MAP)
		return;
	if (cg_is_action_path(f->src.path)) {
		if (action_build(m, f, root))
			note_unchecked_steps(m,
					     &m->workflows[m->nworkflows - 1]);
		return;
	}
	jobs = cg_map_get(root, "jobs");
	wf = workflow_new(m, f, root);
	env_block(m, &wf->env, cg_map_get(root, "env"));
	if (!jobs || jobs->kind != CG_NODE_MAP || !jobs->n)
		return;
	wf->jobs = cg_arena_alloc(&m->arena, jobs->n * sizeof(*wf->jobs));
	for (size_t i = 0; i < jobs->n; i++) {
		if (!cg_node_is_scalar(jobs->pairs[i].key) ||
		    jobs->pairs[i].value->kind != CG_NODE_MAP)
			continue;
		job_build(m, &wf->jobs[wf->njobs++], &jobs->pairs[i], &f->src,
			  root);
	}
	note_unchecked_steps(m, wf);
}

void cg_gh_release(struct cg_model *m)
{
	for (size_t w = 0; w < m->nworkflows; w++)
		for (size_t j = 0; j < m->workflows[w].njobs; j++)
			for (size_t s = 0; s < m->workflows[w].jobs[j].nsteps;
			     s++)
				cg_script_free(
				    m->workflows[w].jobs[j].steps[s].script);
	free(m->workflows);
	m->workflows = NULL;
	m->nworkflows = m->workflows_alloc = 0;
}
