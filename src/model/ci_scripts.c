/*
 * Facts from the shell scripts of CI jobs, shared by the GitHub and GitLab
 * loaders: the processes a script starts in the background or as workers,
 * and the repository files it runs or names (`./scripts/x.sh`, `bash x.sh`,
 * `python tools/y.py`, `-f FILE`). The walk visits every simple command of
 * the script and of the scripts nested in it (`bash -c '...'`), in source
 * order; a word that expands (`$X`, `${{ }}`) is never taken as a path.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

/* What a walk found before the model asked (cg_ci_script_facts_ahead):
 * rows in walk order, without scope, group and item. */
struct cg_script_facts {
	struct cg_process_fact *procs; /* command and argv are owned */
	size_t nprocs, procs_alloc;
	struct cg_file_ref *refs;
	size_t nrefs, refs_alloc;
};

/* A walk adds its rows to the model (m), or keeps them (ahead). */
struct walk {
	struct cg_model *m;
	struct cg_script_facts *ahead;
	const struct cg_config *config;
	const struct cg_script *s;
	size_t scope, group, item;
	unsigned depth;
};

static bool word_is(const struct cg_sh_word *w, const char *s)
{
	return !w->expands && !strcmp(w->text, s);
}

/* `screen -dm`, `tmux new -d`, `start-stop-daemon --start --background`,
 * daemonize: they return while the command runs on. */
static bool other_detaches(const struct cg_sh_cmd *c, size_t i,
			   const char *prog)
{
	bool d = false, m = false, newsess = false;

	if (!strcmp(prog, "daemonize"))
		return true;
	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *w = c->words[k].text;

		if (!strcmp(prog, "start-stop-daemon")) {
			if (!strcmp(w, "--background") || !strcmp(w, "-b"))
				return true;
			continue;
		}
		if (!strcmp(prog, "tmux")) {
			if (!strcmp(w, "new") || !strcmp(w, "new-session"))
				newsess = true;
			else if (newsess && !strcmp(w, "-d"))
				return true;
			continue;
		}
		if (w[0] == '-' && w[1] != '-') { /* screen -d -m, -dmS */
			d = d || strchr(w, 'd');
			m = m || strchr(w, 'm');
		}
	}
	return d && m;
}

/* docker/podman `run -d`, `compose up -d` without --wait. */
static bool detaches(const struct cg_sh_cmd *c, size_t i)
{
	const char *prog = cg_path_base(c->words[i].text);
	bool compose = false, up = false, run = false, detach = false,
	     wait = false;

	/* every name below starts with one of these */
	if (!prog[0] || !strchr("stdp", prog[0]))
		return false;
	if (!strcmp(prog, "screen") || !strcmp(prog, "tmux") ||
	    !strcmp(prog, "start-stop-daemon") || !strcmp(prog, "daemonize"))
		return other_detaches(c, i, prog);
	if (strcmp(prog, "docker") && strcmp(prog, "podman") &&
	    strcmp(prog, "docker-compose") && strcmp(prog, "podman-compose"))
		return false;
	compose = strcmp(prog, "docker") && strcmp(prog, "podman");
	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *w = c->words[k].text;

		if (!strcmp(w, "compose"))
			compose = true;
		else if (!strcmp(w, "up") && compose)
			up = true;
		else if (!strcmp(w, "run") && !compose)
			run = true;
		else if (!strcmp(w, "-d") || !strcmp(w, "--detach"))
			detach = true;
		else if (!strcmp(w, "--wait") || cg_starts_with(w, "--wait="))
			wait = true;
		else if (w[0] == '-' && w[1] != '-' && strchr(w, 'd') &&
			 (run || up))
			detach = true; /* -itd, -dit */
	}
	return detach && ((compose && up && !wait) || (!compose && run));
}

/* A program that may run a Python worker (by its first letter first:
 * this is asked of most words of most commands). */
static bool worker_name(const char *b)
{
	switch (b[0]) {
	case 'p':
		return !strncmp(b, "python", 6) || !strncmp(b, "pypy", 4);
	case 'g':
		return !strcmp(b, "gunicorn") || !strcmp(b, "granian");
	case 'u':
		return !strcmp(b, "uvicorn");
	case 'c':
		return !strcmp(b, "celery");
	case 'r':
		return !strcmp(b, "rq") || !strcmp(b, "rqworker");
	case 'a':
		return !strcmp(b, "arq");
	case 'd':
		return !strcmp(b, "dramatiq") || !strcmp(b, "daphne");
	case 'h':
		return !strncmp(b, "huey", 4) || !strcmp(b, "hypercorn");
	case 'f':
		return !strcmp(b, "faust");
	default:
		return false;
	}
}

/*
 * Could classify() make a worker of this command? Only a command naming a
 * Python program, a wrapper, or matching a `workers:` glob can be one;
 * most commands are none, and skipping them early keeps the walk cheap.
 */
static bool maybe_worker(const struct cg_config *config,
			 const struct cg_sh_cmd *c)
{
	if (config && config->workers.n)
		return true;
	for (size_t i = 0; i < c->nwords && i < 8; i++)
		if (worker_name(cg_path_base(c->words[i].text)))
			return true;
	return false;
}

static bool is_builtin(const char *name)
{
	static const char *const names[] = {
	    "cd",     "pushd", "popd",	 "export", "set",    "unset", "echo",
	    "printf", "true",  "false",	 ":",	   "local",  "shift", "read",
	    "test",   "[",     "source", ".",	   "sleep",  "wait",  "exit",
	    "return", "trap",  "alias",	 "umask",  "ulimit", NULL};

	for (size_t i = 0; names[i]; i++)
		if (name[0] == names[i][0] && !strcmp(name, names[i]))
			return true;
	return false;
}

static void add_process(struct walk *w, const struct cg_sh_cmd *c,
			bool background)
{
	struct cg_process_fact p = {0};
	const char **argv;
	size_t start = c->words[0].start, end = c->words[c->nwords - 1].end;
	char *text;

	/* every background start, and workers started in the foreground;
	 * builtins in a backgrounded `( cd app && ./serve ) &` start
	 * nothing that runs on */
	if (!background && !maybe_worker(w->config, c))
		return;
	if (background && is_builtin(c->words[0].text))
		return;
	argv = cg_xcalloc(c->nwords, sizeof(*argv));
	for (size_t i = 0; i < c->nwords; i++)
		argv[i] = c->words[i].text;
	text = cg_xstrndup(w->s->sh.text + start, end - start);
	for (char *t = text; *t; t++)
		if (*t == '\n' || *t == '\r')
			*t = ' ';
	p.origin = CG_PROCESS_CI;
	p.command = text;
	p.argv = argv;
	p.argc = c->nwords;
	p.background = background;
	p.scope = w->scope;
	p.script = w->s;
	p.cmd = c;
	p.group = w->group;
	p.item = w->item;
	cg_process_classify(w->config, &p);
	if (p.background || p.worker) {
		p.src = cg_script_src(w->s, start);
		p.pos = cg_script_pos(w->s, start, end);
		if (w->ahead) {
			struct cg_script_facts *a = w->ahead;

			CG_GROW(a->procs, a->procs_alloc, a->nprocs + 1);
			a->procs[a->nprocs++] = p;
			return; /* it owns text and argv now */
		}
		cg_fact_process(w->m, &p);
	}
	free(text);
	free(argv);
}

static void add_ref(struct walk *w, const struct cg_sh_word *word,
		    enum cg_file_ref_kind kind)
{
	struct cg_file_ref r = {0};
	const char *t = word->text;

	if (word->expands || !*t || t[0] == '/' || t[0] == '~' || t[0] == '-' ||
	    strchr(t, '*') || strchr(t, '?') || strstr(t, "://"))
		return;
	r.kind = kind;
	r.path = t;
	r.required = true;
	r.src = cg_script_src(w->s, word->start);
	r.pos = cg_script_pos(w->s, word->start, word->end);
	if (w->ahead) {
		CG_GROW(w->ahead->refs, w->ahead->refs_alloc,
			w->ahead->nrefs + 1);
		w->ahead->refs[w->ahead->nrefs++] = r;
		return;
	}
	cg_fact_file_ref(w->m, &r);
}

/* What a simple command runs or names from the repository. */
static void refs_of(struct walk *w, const struct cg_sh_cmd *c, size_t i)
{
	const struct cg_sh_word *prog = &c->words[i];
	const char *b = cg_path_base(prog->text);
	bool shell = cg_posix_shell_name(prog->text, NULL);
	size_t script = c->nwords; /* the word it runs as a script file */

	if (!prog->expands &&
	    (cg_starts_with(prog->text, "./") ||
	     (strchr(prog->text, '/') && prog->text[0] != '/'))) {
		add_ref(w, prog, CG_REF_SCRIPT);
	} else if (shell) {
		/* its first operand is the script, unless -c made it run a
		 * string */
		struct cg_shell_flags fl;

		cg_shell_flags_of(&fl, CG_FLAGS_INVOKE, c, i + 1);
		if (!fl.c && !fl.unreadable)
			script = fl.operand;
	} else if (strchr("s.pnr", b[0]) && b[0] &&
		   (!strcmp(b, "source") || !strcmp(b, ".") ||
		    !strncmp(b, "python", 6) || !strcmp(b, "node") ||
		    !strcmp(b, "ruby") || !strcmp(b, "perl"))) {
		/* the first operand that is not an option is the script,
		 * unless -c/-m made the program run something else */
		for (script = i + 1; script < c->nwords; script++) {
			const char *a = c->words[script].text;

			if (a[0] != '-')
				break;
			if (strpbrk(a + 1, "cm") && a[1] != '-') {
				script = c->nwords;
				break;
			}
		}
	}
	if (script < c->nwords) {
		const char *a = c->words[script].text;

		if (cg_ends_with(a, ".sh") || cg_ends_with(a, ".py") ||
		    cg_ends_with(a, ".bash") || cg_ends_with(a, ".js") ||
		    cg_ends_with(a, ".rb") || cg_ends_with(a, ".pl") ||
		    strchr(a, '/'))
			add_ref(w, &c->words[script], CG_REF_SCRIPT);
	}
	for (size_t k = i + 1; k + 1 < c->nwords; k++)
		if (c->words[k].text[0] == '-' &&
		    (word_is(&c->words[k], "-f") ||
		     word_is(&c->words[k], "--file") ||
		     word_is(&c->words[k], "--config") ||
		     word_is(&c->words[k], "-c") ||
		     word_is(&c->words[k], "--env-file"))) {
			if (word_is(&c->words[k], "-c") &&
			    (shell || !strncmp(b, "python", 6)))
				continue;
			add_ref(w, &c->words[k + 1], CG_REF_CONFIG_FILE);
		}
}

static void walk_list(struct walk *w, const struct cg_sh_list *l,
		      bool background);

static void walk_cmd(struct walk *w, const struct cg_sh_cmd *c, bool background)
{
	if (c->kind == CG_SH_SIMPLE) {
		size_t i = 0;

		if (!c->nwords || c->words[0].text[0] == '[' ||
		    c->words[0].text[0] == '(')
			return;
		/* nohup and sudo run the command in the foreground (measured:
		 * bash waits for `nohup sleep 2`); setsid forks only with -f,
		 * as a command of a script is no process-group leader */
		while (i < c->nwords && strchr("nse", c->words[i].text[0]) &&
		       c->words[i].text[0] &&
		       (word_is(&c->words[i], "nohup") ||
			word_is(&c->words[i], "setsid") ||
			word_is(&c->words[i], "exec") ||
			word_is(&c->words[i], "sudo"))) {
			if (word_is(&c->words[i], "setsid"))
				while (i + 1 < c->nwords &&
				       c->words[i + 1].text[0] == '-') {
					const char *o = c->words[i + 1].text;

					if (!strcmp(o, "--fork") ||
					    (o[1] != '-' && strchr(o, 'f')))
						background = true;
					i++;
				}
			i++;
		}
		if (i < c->nwords) {
			if (detaches(c, i))
				background = true;
			refs_of(w, c, i);
		}
		add_process(w, c, background);
		return;
	}
	/* `( cd app && python s.py ) &`: what the compound runs, runs in
	 * the background with it (a function body runs where it is called,
	 * not where it is defined) */
	if (c->kind == CG_SH_FUNCDEF)
		background = false;
	for (size_t b = 0; b < 3; b++)
		if (c->body[b])
			walk_list(w, c->body[b], background);
	for (size_t a = 0; a < c->narms; a++)
		walk_list(w, c->arms[a], background);
}

static void walk_list(struct walk *w, const struct cg_sh_list *l,
		      bool background)
{
	if (!l || ++w->depth > 200) {
		w->depth--;
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++)
				walk_cmd(w, &ao->pipes[p].cmds[k],
					 ao->background || background);
	}
	w->depth--;
}

/* Walk `s` and the scripts nested in it that the shell runs in place. */
static void walk_script(struct walk *w, const struct cg_script *s)
{
	const struct cg_script *outer = w->s;

	w->s = s;
	walk_list(w, s->sh.top, false);
	for (size_t i = 0; i < s->nnested; i++) {
		const struct cg_nested_script *n = &s->nested[i];

		if (n->kind == CG_NESTED_SHELL || n->kind == CG_NESTED_EVAL)
			walk_script(w, n->script);
	}
	w->s = outer;
}

void cg_ci_script_facts(struct cg_model *m, const struct cg_script *s,
			size_t scope, size_t group, size_t item)
{
	struct walk w = {m, NULL, m->config, s, scope, group, item, 0};
	const struct cg_script_facts *a;

	if (!s)
		return;
	if (!(a = s->facts_ahead)) {
		walk_script(&w, s);
		return;
	}
	for (size_t i = 0; i < a->nprocs; i++) {
		struct cg_process_fact p = a->procs[i];

		p.scope = scope;
		p.group = group;
		p.item = item;
		cg_fact_process(m, &p);
	}
	for (size_t i = 0; i < a->nrefs; i++)
		cg_fact_file_ref(m, &a->refs[i]);
}

void cg_ci_script_facts_ahead(const struct cg_config *config,
			      struct cg_script *s)
{
	struct walk w = {NULL, NULL, config, s, 0, 0, 0, 0};

	if (!s || s->facts_ahead)
		return;
	w.ahead = cg_xcalloc(1, sizeof(*w.ahead));
	walk_script(&w, s);
	s->facts_ahead = w.ahead;
}

void cg_script_facts_free(struct cg_script_facts *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nprocs; i++) {
		free((char *)a->procs[i].command);
		free(a->procs[i].argv);
	}
	free(a->procs);
	free(a->refs);
	free(a);
}
