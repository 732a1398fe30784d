/*
 * Python files -> facts (facts.h, "Python"). Full layer only.
 *
 * Each `.py` file is tokenized (load/python.c) and its structure built
 * (load/python_module.c) into the model's arena; the module keeps the
 * structure, the tokens are dropped at once. The env variables the file
 * reads become USE rows of the code place, found in the structure (calls
 * of os.getenv and kin, django-environ, pydantic settings classes) and,
 * for the one form that is no call, `os.environ["X"]` and `"X" in
 * os.environ`, in the tokens while they are here.
 *
 * Names go through the file's imports (cg_py_canonical), so `from os
 * import environ as e` and `import os as o` read alike; a name that is
 * not imported is taken as written only for the builtins it cannot be
 * (`os` must be imported to be os). Nothing is run or imported.
 *
 * Module names are given in finish, when every path of the repository is
 * known: the folders up from a file that hold an __init__.py are its
 * packages.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

#define NONE CG_PY_NONE

extern const struct cg_loader cg_loader_python;

/* ------------------------------------------------------------- claims */

/* Folders that hold installed or generated code, not the repository's:
 * installed packages, caches, setuptools' build/lib. A virtualenv is
 * told by its pyvenv.cfg (sniff): a folder named venv may be code, as
 * the standard library's own venv package is. */
static bool vendored_dir(const char *name, size_t n, const char *next)
{
	static const char *const names[] = {"site-packages",
					    "dist-packages",
					    "node_modules",
					    "__pycache__",
					    ".tox",
					    ".nox",
					    ".eggs",
					    ".mypy_cache",
					    ".pytest_cache",
					    ".git",
					    ".direnv",
					    "__pypackages__",
					    NULL};

	for (size_t i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !memcmp(name, names[i], n))
			return true;
	/* build/lib/..., build/lib.linux-x86_64-3.12/... */
	if (n == 5 && !memcmp(name, "build", 5) && !strncmp(next, "lib", 3))
		return true;
	return n > 9 && !memcmp(name + n - 9, ".egg-info", 9);
}

static bool claims(const char *path)
{
	const char *p = path;

	if (!cg_ends_with(path, ".py"))
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');

		if (!slash)
			return true;
		if (vendored_dir(p, (size_t)(slash - p), slash + 1))
			return false;
		p = slash + 1;
	}
}

/* A file inside a virtualenv: under a folder that holds the pyvenv.cfg
 * `python -m venv` and virtualenv write (its bin/ scripts; its packages
 * are in site-packages, never claimed). */
static bool sniff(const struct cg_model *m, const struct cg_src *src,
		  const char **why)
{
	const char *path = src->path;
	char cfg[4096];

	(void)why;
	for (const char *slash = strchr(path, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		size_t n = (size_t)(slash - path);

		if (n + sizeof("/pyvenv.cfg") > sizeof(cfg))
			break;
		memcpy(cfg, path, n);
		memcpy(cfg + n, "/pyvenv.cfg", sizeof("/pyvenv.cfg"));
		if (cg_model_has_path(m, cfg))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ imports */

bool cg_py_def_within(const struct cg_py_module *code, uint32_t inner,
		      uint32_t outer)
{
	for (unsigned guard = 0; inner != NONE && guard < 100000; guard++) {
		if (inner == outer)
			return true;
		if (inner >= code->ndefs)
			return false;
		inner = code->defs[inner].parent;
	}
	return false;
}

static bool names(const char *s, const char *name, size_t n)
{
	return s && strlen(s) == n && !memcmp(s, name, n);
}

/* The import that binds `name` (n bytes) where def `func` runs: the
 * innermost scope that binds it by an import wins, and a parameter of a
 * def on the way (`def f(requests):`) hides the imports outside it. */
static const struct cg_py_import *binding(const struct cg_py_module *code,
					  uint32_t func, const char *name,
					  size_t n)
{
	uint32_t d = func;

	for (unsigned guard = 0; guard < 100000; guard++) {
		const struct cg_py_import *found = NULL;

		for (size_t i = 0; i < code->nimports; i++)
			if (code->imports[i].func == d &&
			    names(code->imports[i].bound, name, n))
				found = &code->imports[i]; /* the last wins */
		if (found)
			return found;
		if (d == NONE || d >= code->ndefs)
			return NULL;
		for (uint32_t k = 0; k < code->defs[d].nparams; k++)
			if (names(code->params[code->defs[d].first_param + k]
				      .name,
				  name, n))
				return NULL;
		d = code->defs[d].parent;
	}
	return NULL;
}

bool cg_py_canonical(const struct cg_py_file *f, uint32_t func,
		     const char *dotted, struct cg_buf *out)
{
	size_t n = strcspn(dotted, ".");
	const struct cg_py_import *r = binding(&f->code, func, dotted, n);

	cg_buf_reset(out);
	if (!r) {
		cg_buf_addstr(out, dotted);
		return false;
	}
	for (unsigned i = 0; i < r->level; i++)
		cg_buf_addch(out, '.');
	if (r->name) {
		cg_buf_addstr(out, r->module);
		if (*r->module)
			cg_buf_addch(out, '.');
		cg_buf_addstr(out, r->name);
	} else if (strncmp(r->module, r->bound, n) ||
		   (r->module[n] != '\0' && r->module[n] != '.')) {
		cg_buf_addstr(out, r->module); /* import a.b as X */
	} else {
		cg_buf_add(out, dotted, n); /* import a.b binds a */
	}
	cg_buf_addstr(out, dotted + n);
	return true;
}

/* ---------------------------------------------------------- env reads */

struct reader {
	struct cg_model *m;
	struct cg_file *f;
	struct cg_py_file *py;
	const struct cg_py_tokens *toks;
	struct cg_buf canon;
	/* django-environ: names bound to environ.Env(...), and the
	 * variables its keyword schemes give defaults */
	const char **env_names;
	size_t nenv_names, env_names_alloc;
	const struct cg_py_call **schemes;
	size_t nschemes, schemes_alloc;
};

static bool env_name_ok(const char *s)
{
	if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The position of a string literal's text between its quotes. */
static struct cg_pos string_body_pos(const struct cg_py_module *code,
				     uint32_t row)
{
	const struct cg_py_string *s = &code->strings[row];
	struct cg_pos p = s->pos;

	if (p.line == p.end_line && s->body >= s->start &&
	    s->body_end >= s->body) {
		p.col += s->body - s->start;
		p.end_col = p.col + (s->body_end - s->body);
	}
	return p;
}

static void add_use(struct reader *r, const char *name, struct cg_pos pos,
		    bool has_default)
{
	struct cg_env_fact e;

	if (!env_name_ok(name))
		return;
	memset(&e, 0, sizeof(e));
	/* the structure may go before the model does */
	e.name = cg_arena_strdup(&r->m->arena, name);
	e.role = CG_ENV_USE;
	e.place = CG_PLACE_CODE;
	e.scope = CG_NO_SCOPE;
	e.src = &r->f->src;
	e.pos = pos;
	e.has_default = has_default;
	cg_fact_env(r->m, &e);
}

/* A use named by argument `a` (a plain string literal). */
static void add_arg_use(struct reader *r, const struct cg_py_arg *a,
			bool has_default)
{
	const struct cg_py_module *code = &r->py->code;

	if (a->string == NONE || !a->value ||
	    (code->strings[a->string].flags & (CG_PY_STR_F | CG_PY_STR_T)))
		return;
	add_use(r, a->value, string_body_pos(code, a->string), has_default);
}

static const struct cg_py_arg *arg_at(const struct cg_py_module *code,
				      const struct cg_py_call *c, unsigned pos)
{
	unsigned k = 0;

	for (uint32_t i = 0; i < c->nargs; i++) {
		const struct cg_py_arg *a = &code->args[c->first_arg + i];

		if (a->keyword || a->star)
			continue;
		if (k++ == pos)
			return a;
	}
	return NULL;
}

static const struct cg_py_arg *kwarg(const struct cg_py_module *code,
				     const struct cg_py_call *c,
				     const char *name)
{
	for (uint32_t i = 0; i < c->nargs; i++) {
		const struct cg_py_arg *a = &code->args[c->first_arg + i];

		if (a->keyword && !strcmp(a->keyword, name))
			return a;
	}
	return NULL;
}

static const char *canon(struct reader *r, uint32_t func, const char *dotted)
{
	cg_py_canonical(r->py, func, dotted, &r->canon);
	return r->canon.buf;
}

/* django-environ's Env methods that read one variable. */
static bool env_method(const char *m)
{
	static const char *const names[] = {
	    "str",	  "bool",      "int",	"float",     "json",
	    "list",	  "tuple",     "dict",	"url",	     "db_url",
	    "db",	  "cache_url", "cache", "email_url", "email",
	    "search_url", "path",      "bytes", "get_value", "parse_value",
	    NULL};

	for (size_t i = 0; names[i]; i++)
		if (!strcmp(m, names[i]))
			return true;
	return false;
}

static bool is_env_name(const struct reader *r, const char *name, size_t n)
{
	for (size_t i = 0; i < r->nenv_names; i++)
		if (strlen(r->env_names[i]) == n &&
		    !memcmp(r->env_names[i], name, n))
			return true;
	return false;
}

/* A scheme of an Env(...) call names `name` (with its default). */
static bool scheme_default(const struct reader *r, const char *name)
{
	for (size_t i = 0; i < r->nschemes; i++)
		if (kwarg(&r->py->code, r->schemes[i], name))
			return true;
	return false;
}

static void find_env_bindings(struct reader *r)
{
	const struct cg_py_module *code = &r->py->code;

	for (size_t i = 0; i < code->nassigns; i++) {
		const struct cg_py_assign *a = &code->assigns[i];
		const struct cg_py_call *c;
		const char *callee;

		if (a->call == NONE || strchr(a->target, '.'))
			continue;
		c = &code->calls[a->call];
		if (!c->dotted)
			continue;
		callee = canon(r, a->func, c->callee);
		if (strcmp(callee, "environ.Env") &&
		    strcmp(callee, "environ.FileAwareEnv"))
			continue;
		CG_GROW(r->env_names, r->env_names_alloc, r->nenv_names + 1);
		r->env_names[r->nenv_names++] = a->target;
		CG_GROW(r->schemes, r->schemes_alloc, r->nschemes + 1);
		r->schemes[r->nschemes++] = c;
	}
	/* `from settings import env`: the project's own Env */
	for (size_t i = 0; i < code->nimports; i++) {
		const struct cg_py_import *im = &code->imports[i];

		if (im->name && im->bound && !strcmp(im->name, "env") &&
		    !strcmp(im->bound, "env") && strcmp(im->module, "os")) {
			CG_GROW(r->env_names, r->env_names_alloc,
				r->nenv_names + 1);
			r->env_names[r->nenv_names++] = "env";
		}
	}
}

static void call_reads(struct reader *r)
{
	const struct cg_py_module *code = &r->py->code;

	for (size_t i = 0; i < code->ncalls; i++) {
		const struct cg_py_call *c = &code->calls[i];
		const struct cg_py_arg *first;
		const char *callee;
		size_t n;

		if (!c->dotted || !c->nargs)
			continue;
		first = arg_at(code, c, 0);
		if (!first && !(first = kwarg(code, c, "key")) &&
		    !(first = kwarg(code, c, "var")))
			continue;
		if (first->string == NONE)
			continue;
		n = strcspn(c->callee, ".");
		if (r->nenv_names && is_env_name(r, c->callee, n)) {
			/* env("X", cast, default), env.str("X", default) */
			bool call = c->callee[n] == '\0';
			bool dflt;

			if (!call && (strchr(c->callee + n + 1, '.') ||
				      !env_method(c->callee + n + 1)))
				continue;
			dflt =
			    kwarg(code, c, "default") ||
			    arg_at(code, c, call ? 2 : 1) ||
			    (first->value && scheme_default(r, first->value));
			add_arg_use(r, first, dflt);
			continue;
		}
		callee = canon(r, c->func, c->callee);
		if (!strcmp(callee, "os.getenv") ||
		    !strcmp(callee, "os.environ.get") ||
		    !strcmp(callee, "os.environ.setdefault") ||
		    !strcmp(callee, "os.environ.pop"))
			add_arg_use(r, first,
				    arg_at(code, c, 1) ||
					kwarg(code, c, "default"));
	}
}

static bool tok_op(struct reader *r, uint32_t i, char c)
{
	const struct cg_py_token *t = &r->toks->toks[i];

	return t->kind == CG_PY_OP && t->end - t->start == 1 &&
	       r->f->src.text[t->start] == c;
}

static bool tok_word(struct reader *r, uint32_t i, const char *w)
{
	const struct cg_py_token *t = &r->toks->toks[i];
	size_t n = strlen(w);

	return t->kind == CG_PY_NAME && t->end - t->start == n &&
	       !memcmp(r->f->src.text + t->start, w, n);
}

/* Token i ends an expression that is os.environ: `X.environ` where X is
 * bound to os, or a name bound to os.environ. */
static bool environ_at(struct reader *r, uint32_t i)
{
	const struct cg_py_token *t = r->toks->toks;
	const char *s = r->f->src.text;
	struct cg_buf name = CG_BUF_INIT;
	bool yes;

	if (t[i].kind != CG_PY_NAME)
		return false;
	if (i >= 2 && t[i].end - t[i].start == 7 &&
	    !memcmp(s + t[i].start, "environ", 7) && tok_op(r, i - 1, '.') &&
	    t[i - 2].kind == CG_PY_NAME) {
		cg_buf_add(&name, s + t[i - 2].start,
			   t[i - 2].end - t[i - 2].start);
		cg_buf_addstr(&name, ".environ");
	} else {
		cg_buf_add(&name, s + t[i].start, t[i].end - t[i].start);
	}
	yes = !strcmp(canon(r, NONE, name.buf), "os.environ");
	cg_buf_release(&name);
	return yes;
}

/* The row of the string literal at token i. */
static uint32_t string_row(const struct cg_py_module *code, uint32_t tok)
{
	size_t lo = 0, hi = code->nstrings;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (code->strings[mid].tok < tok)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < code->nstrings && code->strings[lo].tok == tok
		   ? (uint32_t)lo
		   : NONE;
}

static void string_use(struct reader *r, uint32_t tok, bool has_default)
{
	const struct cg_py_module *code = &r->py->code;
	uint32_t row = string_row(code, tok);
	const struct cg_py_string *s;
	char *value;

	if (row == NONE)
		return;
	s = &code->strings[row];
	if (s->flags & (CG_PY_STR_F | CG_PY_STR_T | CG_PY_STR_BYTES))
		return;
	value = cg_py_string_value(&r->m->arena, r->f->src.text, s->start,
				   s->end, 256);
	add_use(r, value, string_body_pos(code, row), has_default);
}

/* `os.environ["X"]` (not assigned to) and `"X" in os.environ`. */
static void subscript_reads(struct reader *r)
{
	const struct cg_py_token *t = r->toks->toks;
	uint32_t n = (uint32_t)r->toks->n;
	bool os_seen = false;

	for (size_t i = 0; i < r->py->code.nimports && !os_seen; i++)
		os_seen = !strcmp(r->py->code.imports[i].module, "os");
	if (!os_seen)
		return;
	for (uint32_t i = 1; i + 3 < n; i++) {
		if (tok_op(r, i, '[') && t[i + 1].kind == CG_PY_STRING &&
		    tok_op(r, i + 2, ']') && environ_at(r, i - 1) &&
		    !(t[i + 3].kind == CG_PY_OP &&
		      t[i + 3].end - t[i + 3].start == 1 &&
		      r->f->src.text[t[i + 3].start] == '='))
			string_use(r, i + 1, false);
		if (t[i].kind == CG_PY_STRING && tok_word(r, i + 1, "in")) {
			uint32_t k = i + 2;

			if (t[k].kind == CG_PY_NAME && k + 2 < n &&
			    tok_op(r, k + 1, '.') &&
			    t[k + 2].kind == CG_PY_NAME)
				k += 2;
			if (environ_at(r, k) &&
			    !(k + 1 < n &&
			      (tok_op(r, k + 1, '.') || tok_op(r, k + 1, '['))))
				string_use(r, i, true);
		}
	}
}

/* ----------------------------------------------------------- pydantic */

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* The env_prefix class `cls` gives, or NULL. */
static const char *settings_prefix(struct reader *r, uint32_t cls)
{
	const struct cg_py_module *code = &r->py->code;
	const struct cg_py_def *d = &code->defs[cls];

	for (uint32_t i = 0; i < d->nbases; i++) {
		const struct cg_py_arg *a = &code->args[d->first_base + i];

		if (a->keyword && !strcmp(a->keyword, "env_prefix") && a->value)
			return a->value;
	}
	for (size_t i = 0; i < code->nassigns; i++) {
		const struct cg_py_assign *a = &code->assigns[i];

		if (a->func == cls && !strcmp(a->target, "model_config") &&
		    a->call != NONE) {
			const struct cg_py_arg *p =
			    kwarg(code, &code->calls[a->call], "env_prefix");

			if (p && p->value)
				return p->value;
		}
		if (a->func != NONE && a->func < code->ndefs &&
		    code->defs[a->func].parent == cls &&
		    code->defs[a->func].kind == CG_PY_DEF_CLASS &&
		    !strcmp(code->defs[a->func].name, "Config") &&
		    !strcmp(a->target, "env_prefix") && a->str_value)
			return a->str_value;
	}
	return NULL;
}

/* Is class `cls` a settings class: a base that is BaseSettings, or a
 * settings class of this file (is_settings[] of the earlier ones)? */
static bool settings_class(struct reader *r, uint32_t cls,
			   const unsigned char *is_settings, uint32_t *parent)
{
	const struct cg_py_module *code = &r->py->code;
	const struct cg_py_def *d = &code->defs[cls];

	*parent = NONE;
	for (uint32_t i = 0; i < d->nbases; i++) {
		const struct cg_py_arg *a = &code->args[d->first_base + i];
		const char *b;
		size_t n;

		if (a->keyword || a->star)
			continue;
		b = canon(r, d->parent, a->text);
		n = strlen(b);
		if (!strcmp(b, "BaseSettings") ||
		    (n > 13 && !strcmp(b + n - 13, ".BaseSettings")))
			return true;
		for (uint32_t k = 0; k < cls; k++)
			if (is_settings[k] &&
			    !strcmp(code->defs[k].name, a->text)) {
				*parent = k;
				return true;
			}
	}
	return false;
}

/* Variables a Field(...) names itself: alias, validation_alias (a string
 * or AliasChoices("A", "B")), v1's env= ("X" or a list is not read). */
static bool field_aliases(struct reader *r, const struct cg_py_call *field,
			  bool has_default)
{
	const struct cg_py_module *code = &r->py->code;
	static const char *const keys[] = {"validation_alias", "alias", "env",
					   NULL};

	for (size_t k = 0; keys[k]; k++) {
		const struct cg_py_arg *a = kwarg(code, field, keys[k]);

		if (!a)
			continue;
		if (a->string != NONE && a->value) {
			char *name = cg_arena_strdup(&r->m->arena, a->value);

			upper(name);
			add_use(r, name, string_body_pos(code, a->string),
				has_default);
			return true;
		}
		if (a->call != NONE) {
			const struct cg_py_call *c = &code->calls[a->call];
			bool any = false;

			for (uint32_t i = 0; i < c->nargs; i++) {
				const struct cg_py_arg *s =
				    &code->args[c->first_arg + i];
				char *name;

				if (s->keyword || s->string == NONE ||
				    !s->value)
					continue;
				name = cg_arena_strdup(&r->m->arena, s->value);
				upper(name);
				add_use(r, name,
					string_body_pos(code, s->string),
					has_default);
				any = true;
			}
			if (any)
				return true;
		}
	}
	return false;
}

static void settings_reads(struct reader *r)
{
	const struct cg_py_module *code = &r->py->code;
	unsigned char *is_settings;
	const char **prefix;

	if (!code->ndefs)
		return;
	is_settings = cg_xcalloc(code->ndefs, 1);
	prefix = cg_xcalloc(code->ndefs, sizeof(*prefix));
	for (uint32_t c = 0; c < code->ndefs; c++) {
		uint32_t parent;

		if (code->defs[c].kind != CG_PY_DEF_CLASS ||
		    !settings_class(r, c, is_settings, &parent))
			continue;
		is_settings[c] = 1;
		prefix[c] = settings_prefix(r, c);
		if (!prefix[c] && parent != NONE)
			prefix[c] = prefix[parent];
	}
	for (size_t i = 0; i < code->nassigns; i++) {
		const struct cg_py_assign *a = &code->assigns[i];
		const struct cg_py_call *field = NULL;
		bool dflt = a->value != NULL;
		char *name;

		if (a->func == NONE || a->func >= code->ndefs ||
		    !is_settings[a->func] || !a->annotation ||
		    strchr(a->target, '.') || a->target[0] == '_' ||
		    !strcmp(a->target, "model_config") ||
		    cg_starts_with(a->annotation, "ClassVar") ||
		    strstr(a->annotation, ".ClassVar"))
			continue;
		if (a->call != NONE) {
			const struct cg_py_call *c = &code->calls[a->call];
			const char *callee =
			    c->dotted ? canon(r, a->func, c->callee) : "";
			size_t n = strlen(callee);

			if (!strcmp(callee, "Field") ||
			    (n > 6 && !strcmp(callee + n - 6, ".Field"))) {
				const struct cg_py_arg *p = arg_at(code, c, 0);

				field = c;
				dflt = kwarg(code, c, "default") ||
				       kwarg(code, c, "default_factory") ||
				       (p && strcmp(p->text, "..."));
			}
		}
		if (field && field_aliases(r, field, dflt))
			continue;
		name = cg_xasprintf(
		    "%s%s", prefix[a->func] ? prefix[a->func] : "", a->target);
		upper(name);
		add_use(r, name, a->pos, dflt);
		free(name);
	}
	free(is_settings);
	free(prefix);
}

/* ------------------------------------------------------------- build */

static void build(struct cg_model *m, struct cg_file *f)
{
	struct cg_py_facts *pf = &m->facts.python;
	struct cg_py_tokens *toks = &pf->tokens;
	struct cg_py_file *py;
	struct reader r;
	const char *base = cg_path_base(f->src.path);

	cg_collect_suppressions(m, f);
	if (cg_py_tokenize_again(toks, f->src.text, f->src.len) < 0) {
		cg_model_note(m, "%s (file skipped)", cg_error_last());
		return;
	}
	CG_GROW(pf->files, pf->files_alloc, pf->nfiles + 1);
	py = &pf->files[pf->nfiles++];
	memset(py, 0, sizeof(*py));
	py->src = &f->src;
	py->package = !strcmp(base, "__init__.py");
	py->main = !strcmp(base, "__main__.py");
	/* a visited module lives until the next one */
	pf->scratch.lend = m->opt.code_visit != NULL;
	cg_py_module_build_with(&py->code,
				m->opt.code_visit ? &pf->code_arena : &m->arena,
				&pf->scratch, f->src.text, f->src.len, toks);

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.f = f;
	r.py = py;
	r.toks = toks;
	cg_buf_init(&r.canon, 0);
	find_env_bindings(&r);
	call_reads(&r);
	subscript_reads(&r);
	settings_reads(&r);
	cg_buf_release(&r.canon);
	free(r.env_names);
	free(r.schemes);
	if (m->opt.code_visit) {
		m->opt.code_visit(m->opt.code_arg, m, pf->nfiles - 1);
		cg_py_module_release(&py->code);
		cg_arena_release(&pf->code_arena);
		/* cg_model_find_src reads it again for a report; from the
		 * index (--staged) it cannot, once the build is over */
		if (!m->opt.staged) {
			cg_src_drop_text(&f->src);
			f->dropped = true;
		}
	}
	/* a big file's tokens are not kept for the next small ones */
	if (toks->alloc > (1u << 20))
		cg_py_tokens_release(toks);
}

/* ------------------------------------------------------------ finish */

/* Dotted module name of `path`: up from its folder while a folder is a
 * package. */
static const char *module_name(struct cg_model *m, const char *path,
			       bool package)
{
	char *dir = cg_xstrdup(path);
	char *slash = strrchr(dir, '/');
	struct cg_buf name = CG_BUF_INIT;
	const char *base = slash ? slash + 1 : dir;
	const char *out;
	size_t start;

	/* the file's own part */
	if (!package)
		cg_buf_add(&name, base, strlen(base) - 3);
	if (slash) {
		*slash = '\0';
		for (;;) {
			char *init = cg_xasprintf("%s/__init__.py", dir);
			bool pkg = cg_model_has_path(m, init);
			char *up = strrchr(dir, '/');
			const char *part = up ? up + 1 : dir;

			free(init);
			if (!pkg)
				break;
			/* prepend part */
			start = strlen(part) + (name.len ? 1 : 0);
			cg_buf_reserve(&name, start);
			memmove(name.buf + start, name.buf, name.len + 1);
			memcpy(name.buf, part, strlen(part));
			if (name.len)
				name.buf[strlen(part)] = '.';
			name.len += start;
			if (!up)
				break;
			*up = '\0';
		}
	}
	out = cg_arena_strdup(&m->arena, name.buf);
	cg_buf_release(&name);
	free(dir);
	return out;
}

static void finish(struct cg_model *m)
{
	struct cg_py_facts *pf = &m->facts.python;

	for (size_t i = 0; i < pf->nfiles; i++)
		pf->files[i].module = module_name(m, pf->files[i].src->path,
						  pf->files[i].package);
}

/* `path` without .py, `/` as `.`, ends with dotted `name`. */
static bool path_ends_with(const char *path, const char *name)
{
	size_t pl = strlen(path), nl = strlen(name);

	if (pl < 3 || nl + 3 > pl)
		return false;
	pl -= 3;
	for (size_t i = 0; i < nl; i++) {
		char a = path[pl - nl + i], b = name[i];

		if (a == '/')
			a = '.';
		if (a != b)
			return false;
	}
	return pl == nl || path[pl - nl - 1] == '/';
}

const struct cg_py_file *cg_py_find_module(const struct cg_model *m,
					   const char *name, bool main)
{
	const struct cg_py_facts *pf = &m->facts.python;
	struct cg_buf want = CG_BUF_INIT;
	const struct cg_py_file *found = NULL;

	/* a package runs as its __main__, imports as its __init__ */
	for (int pass = 0; pass < 2 && !found; pass++)
		for (size_t i = 0; i < pf->nfiles && !found; i++) {
			const struct cg_py_file *f = &pf->files[i];
			bool pkg = f->package || f->main;

			if (pkg && f->main != main)
				continue;
			cg_buf_reset(&want);
			cg_buf_addstr(&want, name);
			if (f->main)
				cg_buf_addstr(&want, ".__main__");
			if (pass == 0
				? f->module && !strcmp(f->module, want.buf)
				: (f->package
				       ? (cg_buf_addstr(&want, ".__init__"),
					  path_ends_with(f->src->path,
							 want.buf))
				       : path_ends_with(f->src->path,
							want.buf)))
				found = f;
		}
	cg_buf_release(&want);
	return found;
}

static void release(struct cg_model *m)
{
	struct cg_py_facts *pf = &m->facts.python;

	free(pf->files);
	cg_py_tokens_release(&pf->tokens);
	cg_py_scratch_release(&pf->scratch);
	cg_arena_release(&pf->code_arena);
	memset(pf, 0, sizeof(*pf));
}

static const char *const patterns[] = {"**.py", NULL};

const struct cg_loader cg_loader_python = {
    .id = "python",
    .patterns = patterns,
    .claims = claims,
    .sniff = sniff,
    .format = CG_FILE_RAW,
    .layer = CG_LAYER_FULL,
    .build = build,
    .finish = finish,
    .release = release,
};
