/*
 * Critical commands: those whose failure must fail CI (DESIGN.md's list plus
 * the configuration's). Matching looks through the wrappers people put in
 * front (env, sudo, timeout, poetry/uv/pipenv run, coverage run -m, docker
 * compose exec SVC...), so `uv run pytest -q` is as critical as `pytest`.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "core/banned.h"

static bool is_python(const char *w)
{
	const char *b = cg_path_base(w);

	if (!strcmp(b, "py"))
		return true;
	if (strncmp(b, "python", 6))
		return false;
	for (b += 6; *b; b++)
		if ((*b < '0' || *b > '9') && *b != '.')
			return false;
	return true;
}

static bool eq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static size_t skip_opts(char **w, size_t n, size_t i, const char *with_arg)
{
	return cg_cmd_skip_opts((const char *const *)w, n, i, with_arg);
}

/*
 * The programs matching knows by name: the first words of critical
 * commands (the wrappers in front are cg_cmd_unwrap's). Every simple command of
 * every script is looked up, most of them by several rules, so one binary
 * search replaces a chain of comparisons per name.
 */
enum prog {
	PROG_OTHER,
	PROG_RUNNER, /* pytest, py.test, tox, nox, ctest, ciguard */
	PROG_MANAGE, /* manage.py, django-admin: migrate, test */
	PROG_GO,     /* go, cargo: test */
	PROG_NPM,    /* npm, yarn, pnpm */
	PROG_MAKE,   /* make, gmake */
	PROG_ALEMBIC,
	PROG_FLASK,
	PROG_PRISMA,
};

/* sorted by name (strcmp order), for cg_name_kind */
static const struct cg_name_kind progs[] = {
    {"alembic", PROG_ALEMBIC},
    {"cargo", PROG_GO},
    {"ciguard", PROG_RUNNER},
    {"ctest", PROG_RUNNER},
    {"django-admin", PROG_MANAGE},
    {"flask", PROG_FLASK},
    {"gmake", PROG_MAKE},
    {"go", PROG_GO},
    {"make", PROG_MAKE},
    {"manage.py", PROG_MANAGE},
    {"nox", PROG_RUNNER},
    {"npm", PROG_NPM},
    {"pnpm", PROG_NPM},
    {"prisma", PROG_PRISMA},
    {"py.test", PROG_RUNNER},
    {"pytest", PROG_RUNNER},
    {"tox", PROG_RUNNER},
    {"yarn", PROG_NPM},
};

int cg_name_kind(const struct cg_name_kind *t, size_t n, const char *name,
		 int none)
{
	long i = cg_name_index(t, n, sizeof(*t), name);

	return i < 0 ? none : t[i].kind;
}

static enum prog prog_of(const char *base)
{
	return (enum prog)cg_name_kind(progs, sizeof(progs) / sizeof(*progs),
				       base, PROG_OTHER);
}

/* Index of the real command after wrappers, or n; *prog is what the
 * program there is, when it is one (i < n). */
static size_t unwrap(char **w, size_t n, enum prog *prog)
{
	size_t i = cg_cmd_unwrap((const char *const *)w, n, 0,
				 CG_UNWRAP_CONTAINER | CG_UNWRAP_FANOUT);

	*prog = i < n ? prog_of(cg_path_base(w[i])) : PROG_OTHER;
	return i;
}

static void set_name(struct cg_buf *out, char **w, size_t from, size_t to)
{
	cg_buf_reset(out);
	for (size_t i = from; i < to; i++) {
		if (i > from)
			cg_buf_addch(out, ' ');
		cg_buf_addstr(out, i == from ? cg_path_base(w[i]) : w[i]);
	}
}

/* `python [opts] -m MODULE args` / `python manage.py CMD` */
static bool python_critical(char **w, size_t n, size_t i, struct cg_buf *out)
{
	size_t j = i + 1;
	const char *mod;

	/* interpreter options up to -m or the script; -c runs inline code */
	while (j < n && w[j][0] == '-' && !eq(w[j], "-m")) {
		if (eq(w[j], "-c"))
			return false;
		if (eq(w[j], "-W") || eq(w[j], "-X"))
			j++;
		j++;
	}
	if (j >= n)
		return false;
	if (eq(w[j], "-m") && j + 1 < n) {
		mod = w[j + 1];
		if (eq(mod, "pytest") || eq(mod, "tox") || eq(mod, "nox") ||
		    eq(mod, "unittest") || eq(mod, "ciguard")) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s -m %s", cg_path_base(w[i]), mod);
			return true;
		}
		if (eq(mod, "alembic") && j + 2 < n &&
		    eq(w[j + 2], "upgrade")) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s -m alembic upgrade",
				    cg_path_base(w[i]));
			return true;
		}
		if ((eq(mod, "flask") && j + 3 < n && eq(w[j + 2], "db") &&
		     eq(w[j + 3], "upgrade")) ||
		    (eq(mod, "django") && j + 2 < n &&
		     (eq(w[j + 2], "migrate") || eq(w[j + 2], "test")))) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s -m %s %s", cg_path_base(w[i]), mod,
				    w[j + 2]);
			return true;
		}
		return false;
	}
	if (eq(cg_path_base(w[j]), "manage.py") && j + 1 < n &&
	    (eq(w[j + 1], "migrate") || eq(w[j + 1], "test"))) {
		set_name(out, w, j, j + 2);
		return true;
	}
	return false;
}

static bool make_critical(char **w, size_t n, size_t i, struct cg_buf *out)
{
	for (size_t j = i + 1; j < n; j++) {
		if (eq(w[j], "-C") || eq(w[j], "-f") || eq(w[j], "-j") ||
		    eq(w[j], "-l") || eq(w[j], "-o") || eq(w[j], "-W")) {
			if (eq(w[j], "-j") && j + 1 < n &&
			    (w[j + 1][0] < '0' || w[j + 1][0] > '9'))
				continue;
			j++;
			continue;
		}
		if (eq(w[j], "test") || eq(w[j], "check")) {
			cg_buf_reset(out);
			cg_buf_addf(out, "make %s", w[j]);
			return true;
		}
	}
	return false;
}

/* Is the program at word i, `prog` by name, a built-in critical command? */
static bool builtin_critical(char **w, size_t n, size_t i, enum prog prog,
			     struct cg_buf *out)
{
	const char *b = cg_path_base(w[i]);
	const char *next = i + 1 < n ? w[i + 1] : "";

	switch (prog) {
	case PROG_RUNNER:
		set_name(out, w, i, i + 1);
		return true;
	case PROG_OTHER:
		return is_python(b) && python_critical(w, n, i, out);
	case PROG_MANAGE:
		if (!eq(next, "migrate") && !eq(next, "test"))
			return false;
		set_name(out, w, i, i + 2);
		return true;
	case PROG_GO:
		if (!eq(next, "test"))
			return false;
		set_name(out, w, i, i + 2);
		return true;
	case PROG_NPM: {
		/* options before the script: pnpm -r, --filter X, -C dir */
		size_t j = skip_opts(w, n, i + 1,
				     " --filter -F -C --dir --prefix -w "
				     "--workspace --cwd ");

		/* `yarn workspace NAME test`: that package's test script */
		if (eq(b, "yarn") && j + 1 < n && eq(w[j], "workspace"))
			j = skip_opts(w, n, j + 2, NULL);
		next = j < n ? w[j] : "";
		if (eq(next, "test") || eq(next, "t") ||
		    (eq(b, "npm") && eq(next, "tst"))) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s test", b);
			return true;
		}
		/* yarn and pnpm run a script, or a package's binary, by its
		 * name alone: `yarn test:ci`, `pnpm prisma migrate deploy` */
		if (!eq(b, "npm") && cg_starts_with(next, "test:")) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s %s", b, next);
			return true;
		}
		if (!eq(b, "npm") && eq(next, "prisma") && j + 1 < n &&
		    eq(w[j + 1], "migrate")) {
			set_name(out, w, j, j + 2);
			return true;
		}
		if ((eq(next, "run") || eq(next, "run-script")) && j + 1 < n &&
		    (eq(w[j + 1], "test") ||
		     cg_starts_with(w[j + 1], "test:"))) {
			cg_buf_reset(out);
			cg_buf_addf(out, "%s %s %s", b, next, w[j + 1]);
			return true;
		}
		return false;
	}
	case PROG_MAKE:
		return make_critical(w, n, i, out);
	case PROG_ALEMBIC: {
		size_t j = skip_opts(w, n, i + 1, " -c --config -n --name -x ");

		if (j < n && eq(w[j], "upgrade")) {
			set_name(out, w, i, i + 1);
			cg_buf_addstr(out, " upgrade");
			return true;
		}
		return false;
	}
	case PROG_FLASK:
		for (size_t j = i + 1; j + 1 < n; j++)
			if (eq(w[j], "db") && eq(w[j + 1], "upgrade")) {
				cg_buf_reset(out);
				cg_buf_addstr(out, "flask db upgrade");
				return true;
			}
		return false;
	case PROG_PRISMA:
		if (!eq(next, "migrate"))
			return false;
		set_name(out, w, i, i + 2);
		return true;
	default:
		return false;
	}
}

static bool config_critical(char **w, size_t n, size_t i,
			    const struct cg_config *config, struct cg_buf *out)
{
	struct cg_buf joined = CG_BUF_INIT;
	bool hit = false;

	if (!config || !config->critical_commands.n)
		return false;
	for (size_t j = i; j < n; j++) {
		if (j > i)
			cg_buf_addch(&joined, ' ');
		cg_buf_addstr(&joined, w[j]);
	}
	for (size_t k = 0; k < config->critical_commands.n && !hit; k++) {
		const char *pat = config->critical_commands.items[k];
		char *with_args = cg_xasprintf("%s *", pat);

		if (cg_glob_match(pat, joined.buf) ||
		    cg_glob_match(with_args, joined.buf)) {
			cg_buf_reset(out);
			cg_buf_addstr(out, pat);
			hit = true;
		}
		free(with_args);
	}
	cg_buf_release(&joined);
	return hit;
}

/* Does option w make a critical command run no test (`--version`, and
 * for pytest `-h`, `--collect-only`, ...)? */
static bool runs_no_test(const char *w, bool pytest)
{
	if (w[0] != '-')
		return false;
	if (w[1] != '-')
		return pytest && (eq(w, "-V") || eq(w, "-h"));
	return eq(w, "--version") || eq(w, "--help") ||
	       (pytest && (eq(w, "--co") || eq(w, "--collect-only") ||
			   eq(w, "--fixtures") || eq(w, "--markers")));
}

bool cg_critical_command(const struct cg_sh_cmd *cmd,
			 const struct cg_config *config, struct cg_buf *out)
{
	char *small[32];
	char **w;
	size_t n, i;
	enum prog prog;
	bool hit, pytest;

	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return false;
	n = cmd->nwords;
	/* most commands are short: no allocation for them */
	w = n <= 32 ? small : cg_xcalloc(n, sizeof(*w));
	for (size_t k = 0; k < n; k++)
		w[k] = (char *)cmd->words[k].text;
	i = unwrap(w, n, &prog);
	hit = false;
	if (i < n) {
		if (eq(w[i], "-m")) /* coverage run -m MODULE */
			hit = i > 0 && python_critical(w, n, i - 1, out);
		else
			hit = config_critical(w, n, i, config, out) ||
			      builtin_critical(w, n, i, prog, out);
		if (hit && eq(w[i], "-m")) {
			char *name = cg_xstrdup(out->buf);

			cg_buf_reset(out);
			cg_buf_addf(out, "coverage run%s",
				    strchr(name, ' ') ? strchr(name, ' ') : "");
			free(name);
		}
	}
	/* `pytest --version`, `tox --help`: they run no test */
	pytest =
	    hit && (strstr(out->buf, "pytest") || strstr(out->buf, "py.test"));
	for (size_t k = i + 1; hit && k < n; k++)
		if (runs_no_test(w[k], pytest))
			hit = false;
	if (w != small)
		free(w);
	return hit;
}

const struct cg_sh_cmd *cg_critical_in_list(const struct cg_sh_list *list,
					    const struct cg_config *config,
					    struct cg_buf *name)
{
	if (!list)
		return NULL;
	for (size_t i = 0; i < list->n; i++) {
		const struct cg_sh_andor *ao = &list->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t c = 0; c < ao->pipes[p].n; c++) {
				const struct cg_sh_cmd *cmd =
				    &ao->pipes[p].cmds[c];
				const struct cg_sh_cmd *hit;

				if (cg_critical_command(cmd, config, name))
					return cmd;
				for (size_t b = 0; b < 3; b++)
					if ((hit = cg_critical_in_list(
						 cmd->body[b], config, name)))
						return hit;
				for (size_t a = 0; a < cmd->narms; a++)
					if ((hit = cg_critical_in_list(
						 cmd->arms[a], config, name)))
						return hit;
			}
	}
	return NULL;
}

const struct cg_sh_cmd *cg_critical_in_script(const struct cg_script *s,
					      const struct cg_config *config,
					      struct cg_buf *name,
					      const struct cg_script **where)
{
	const struct cg_sh_cmd *hit =
	    cg_critical_in_list(s->sh.top, config, name);

	if (hit) {
		if (where)
			*where = s;
		return hit;
	}
	for (size_t i = 0; i < s->nnested; i++)
		if ((hit = cg_critical_in_script(s->nested[i].script, config,
						 name, where)))
			return hit;
	return NULL;
}

/* ------------------------------------------- commands in variables */

/* NAME of a word that is only `$NAME`, `${NAME}` or `"${NAME[@]}"` (the
 * raw bytes [start, end) of the script), in name[size]; false if not. */
static bool var_word(const char *raw, size_t start, size_t end, char *name,
		     size_t size)
{
	size_t n = end - start, k = 0;
	const char *t = raw + start;
	bool brace;

	if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
		t++;
		n -= 2;
	}
	if (n < 2 || t[0] != '$')
		return false;
	t++;
	n--;
	brace = t[0] == '{';
	if (brace) {
		if (n < 3 || t[n - 1] != '}')
			return false;
		t++;
		n -= 2;
		if (n > 3 && !memcmp(t + n - 3, "[@]", 3))
			n -= 3;
	}
	while (k < n && k + 1 < size &&
	       (t[k] == '_' || (t[k] >= 'A' && t[k] <= 'Z') ||
		(t[k] >= 'a' && t[k] <= 'z') ||
		(k && t[k] >= '0' && t[k] <= '9')))
		k++;
	if (!k || k != n)
		return false;
	memcpy(name, t, k);
	name[k] = '\0';
	return true;
}

/* The last `NAME=value` alone on its command line (no command after it)
 * that starts before `before`, in `l` and the lists inside it. */
static const struct cg_sh_word *
last_assign(const struct cg_sh_list *l, const char *name, size_t nlen,
	    size_t before, const struct cg_sh_word *best, unsigned depth)
{
	for (size_t i = 0; l && i < l->n && depth < 64; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++) {
				const struct cg_sh_cmd *c =
				    &l->items[i].pipes[p].cmds[k];

				if (c->start >= before)
					return best;
				for (size_t b = 0; b < 3; b++)
					best = last_assign(c->body[b], name,
							   nlen, before, best,
							   depth + 1);
				for (size_t a = 0; a < c->narms; a++)
					best = last_assign(c->arms[a], name,
							   nlen, before, best,
							   depth + 1);
				if (c->kind != CG_SH_SIMPLE || c->nwords)
					continue;
				for (size_t a = 0; a < c->nassigns; a++)
					if (!strncmp(c->assigns[a].text, name,
						     nlen) &&
					    c->assigns[a].text[nlen] == '=')
						best = &c->assigns[a];
			}
	return best;
}

bool cg_critical_via_var(const struct cg_script *s, const struct cg_sh_cmd *cmd,
			 const struct cg_script_at *at,
			 const struct cg_config *config, struct cg_buf *out)
{
	char name[64], *value, *tok, *save = NULL;
	const struct cg_sh_word *as;
	struct cg_sh_word words[32];
	struct cg_sh_cmd tmp;
	size_t n = 0, nlen, vlen;
	bool hit;

	if (!s || cmd->kind != CG_SH_SIMPLE || !cmd->nwords ||
	    !cmd->words[0].expands || cmd->words[0].end > s->sh.len ||
	    !var_word(s->sh.text, cmd->words[0].start, cmd->words[0].end, name,
		      sizeof(name)))
		return false;
	nlen = strlen(name);
	as = last_assign(s->sh.top, name, nlen, cmd->start, NULL, 0);
	if (as) {
		if (as->expands)
			return false;
		value = cg_xstrdup(as->text + nlen + 1);
	} else {
		const struct cg_env_fact *d =
		    at && at->m && at->g
			? cg_env_lookup_item(at->m, at->g, at->item, name)
			: NULL;

		if (!d || d->value_kind != CG_VALUE_LITERAL || !d->value)
			return false;
		value = cg_xstrdup(d->value);
	}
	vlen = strlen(value);
	if (vlen >= 2 && value[0] == '(' && value[vlen - 1] == ')') {
		/* an array of plain words: `cmd=(pytest -q)` */
		if (strpbrk(value, "\"'\\$`")) {
			free(value);
			return false;
		}
		value[vlen - 1] = ' ';
		value[0] = ' ';
	}
	memset(&tmp, 0, sizeof(tmp));
	for (tok = strtok_r(value, " \t\n", &save); tok && n < 32;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		memset(&words[n], 0, sizeof(words[n]));
		words[n].text = tok;
		words[n].len = (uint32_t)strlen(tok);
		words[n].start = cmd->words[0].start;
		words[n].end = cmd->words[0].end;
		n++;
	}
	for (size_t i = 1; i < cmd->nwords && n < 32; i++)
		words[n++] = cmd->words[i];
	tmp.kind = CG_SH_SIMPLE;
	tmp.start = cmd->start;
	tmp.end = cmd->end;
	tmp.words = words;
	tmp.nwords = (uint32_t)n;
	hit = n && cg_critical_command(&tmp, config, out);
	free(value);
	return hit;
}
