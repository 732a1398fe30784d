/*
 * Facts from the shell scripts of CI jobs, shared by the GitHub and GitLab
 * loaders: the processes a script starts in the background or as workers,
 * and the repository files it runs or names (`./scripts/x.sh`, `bash x.sh`,
 * `python tools/y.py`, `-f FILE`), and what it writes for the references
 * after it (outputs, and commands that may write anything). The walk
 * visits every simple command of the script and of the scripts nested in
 * it (`bash -c '...'`), in source order, following `cd` to know the folder
 * a relative path is read in; a word that expands (`$X`, `${{ }}`) is never
 * taken as a path, and after a `cd` it cannot follow no path is taken.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

/* What a walk found: rows in walk order, without scope, group and item;
 * reference paths relative to the folder the script starts in. Kept in
 * the script when found ahead (cg_ci_script_facts_ahead). */
struct cg_script_facts {
	struct cg_process_fact *procs; /* command and argv are owned */
	size_t nprocs, procs_alloc;
	struct cg_file_ref *refs; /* path is owned */
	size_t nrefs, refs_alloc;
};

struct walk {
	struct cg_script_facts *out;
	const struct cg_config *config;
	const struct cg_script *s;
	/* the folder commands run in, relative to where the script starts
	 * ("" there); NULL once a `cd` made it unknown. Each `cd` makes a
	 * new string, kept in `dirs` until the walk ends, so the folder is
	 * saved and compared as a pointer. */
	const char *cwd;
	char **dirs;
	size_t ndirs, dirs_alloc;
	bool moved; /* a `cd` ran */
	bool built; /* a BUILD row is in: later ones add nothing */
	unsigned depth;
	/* the starts of the script's simple commands that run in the
	 * background: a nested script one of them runs does too */
	uint32_t *bg;
	size_t nbg, bg_alloc;
};

#define CWD_MAX 1024

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
	p.script = w->s;
	p.cmd = c;
	cg_process_classify(w->config, &p);
	if (p.background || p.worker) {
		struct cg_script_facts *a = w->out;

		p.src = cg_script_src(w->s, start);
		p.pos = cg_script_pos(w->s, start, end);
		CG_GROW(a->procs, a->procs_alloc, a->nprocs + 1);
		a->procs[a->nprocs++] = p;
		return; /* it owns text and argv now */
	}
	free(text);
	free(argv);
}

/* A row for `path` (owned by the row: relative to the script's start
 * folder for a path, as is for BUILD) at script bytes [start, end). */
static struct cg_file_ref *add_row(struct walk *w, enum cg_file_ref_kind kind,
				   char *path, uint32_t start, uint32_t end)
{
	struct cg_script_facts *a = w->out;
	struct cg_file_ref *r;

	CG_GROW(a->refs, a->refs_alloc, a->nrefs + 1);
	r = &a->refs[a->nrefs++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->path = path;
	r->required = true;
	r->src = cg_script_src(w->s, start);
	/* what CI writes is never reported: no position (mapping one to the
	 * file costs more than the rest of the row) */
	if (kind != CG_REF_OUTPUT && kind != CG_REF_BUILD)
		r->pos = cg_script_pos(w->s, start, end);
	return r;
}

/* A command that may write anything: only a script's first counts (a
 * reference after a later one is after the first too). */
static void add_build(struct walk *w, const struct cg_sh_word *word)
{
	if (w->built)
		return;
	w->built = true;
	add_row(w, CG_REF_BUILD, cg_xstrdup(word->text), word->start,
		word->end);
}

/* A word that names a path of the repository: literal, relative, no
 * glob, no URL, no option. */
static bool repo_word(const struct cg_sh_word *word)
{
	const char *t = word->text;

	return !word->expands && *t && t[0] != '/' && t[0] != '~' &&
	       t[0] != '-' && !strpbrk(t, "*?[") && !strstr(t, "://");
}

static void add_ref(struct walk *w, const struct cg_sh_word *word,
		    enum cg_file_ref_kind kind)
{
	if (!repo_word(word))
		return;
	if (!w->cwd) {
		/* an output's folder is not known, but that it is written
		 * still counts (cg_ci_script_facts) */
		if (kind == CG_REF_OUTPUT)
			add_row(w, kind, cg_xstrdup(word->text), word->start,
				word->end)
			    ->unplaced = true;
		return;
	}
	add_row(w, kind,
		*w->cwd ? cg_xasprintf("%s/%s", w->cwd, word->text)
			: cg_xstrdup(word->text),
		word->start, word->end);
}

/* Follow `cd DIR` / `pushd DIR` (words from i): a literal relative DIR
 * moves the folder; anything else (no operand, `-`, $X, an absolute
 * path, popd) makes it unknown. */
static void change_dir(struct walk *w, const struct cg_sh_cmd *c, size_t i)
{
	const char *b = c->words[i].text;
	const struct cg_sh_word *to = NULL;
	size_t k = i + 1;
	char *next = NULL;

	w->moved = true;
	if (strcmp(b, "popd")) {
		while (k < c->nwords && c->words[k].text[0] == '-' &&
		       c->words[k].text[1] && !word_is(&c->words[k], "--") &&
		       !c->words[k].expands)
			k++;
		if (k < c->nwords && word_is(&c->words[k], "--"))
			k++;
		if (k + 1 == c->nwords)
			to = &c->words[k];
	}
	if (to && w->cwd && repo_word(to) && strlen(w->cwd) < CWD_MAX) {
		next = *w->cwd ? cg_xasprintf("%s/%s", w->cwd, to->text)
			       : cg_xstrdup(to->text);
		CG_GROW(w->dirs, w->dirs_alloc, w->ndirs + 1);
		w->dirs[w->ndirs++] = next;
	}
	w->cwd = next;
}

/* Programs that may write files in the repository without naming them
 * (builds, installs, downloads, archives, containers). */
static const char *const builders[] = {
    "7z",	 "ant",	       "autoreconf", "bazel",	 "bazelisk",
    "bun",	 "bundle",     "c++",	     "cargo",	 "cc",
    "clang",	 "clang++",    "cmake",	     "composer", "conda",
    "configure", "curl",       "deno",	     "docker",	 "docker-compose",
    "dotnet",	 "g++",	       "gcc",	     "gem",	 "gh",
    "git",	 "gmake",      "go",	     "gradle",	 "gradlew",
    "gunzip",	 "gzip",       "helm",	     "invoke",	 "just",
    "make",	 "mamba",      "maturin",    "meson",	 "micromamba",
    "mix",	 "mvn",	       "mvnw",	     "ninja",	 "nix",
    "node",	 "nox",	       "npm",	     "npx",	 "nx",
    "pdm",	 "perl",       "php",	     "pip",	 "pip3",
    "pipenv",	 "pipx",       "pnpm",	     "podman",	 "podman-compose",
    "poetry",	 "pre-commit", "rake",	     "ruby",	 "rustc",
    "sbt",	 "scons",      "swift",	     "tar",	 "task",
    "tox",	 "turbo",      "unzip",	     "uv",	 "uvx",
    "wget",	 "yarn",       "zip",
};

/* The builders by hash (asked of every simple command of every script,
 * on worker threads too): filled once. */
#define BUILDER_SLOTS 256
static const char *builder_slot[BUILDER_SLOTS];
static pthread_once_t builders_once = PTHREAD_ONCE_INIT;

static size_t name_slot(const char *name)
{
	return (size_t)cg_hash64(CG_HASH_INIT, name, strlen(name)) &
	       (BUILDER_SLOTS - 1);
}

static void builders_fill(void)
{
	for (size_t i = 0; i < sizeof(builders) / sizeof(*builders); i++) {
		size_t k = name_slot(builders[i]);

		while (builder_slot[k])
			k = (k + 1) & (BUILDER_SLOTS - 1);
		builder_slot[k] = builders[i];
	}
}

static bool builder(const char *b)
{
	if (!strncmp(b, "python", 6) || !strncmp(b, "pypy", 4))
		return true;
	pthread_once(&builders_once, builders_fill);
	for (size_t k = name_slot(b); builder_slot[k];
	     k = (k + 1) & (BUILDER_SLOTS - 1))
		if (!strcmp(builder_slot[k], b))
			return true;
	return false;
}

static bool output_redir(const struct cg_sh_redir *r)
{
	return r->fd != -2 &&
	       (r->kind == CG_SH_REDIR_OUT || r->kind == CG_SH_REDIR_APPEND ||
		r->kind == CG_SH_REDIR_CLOBBER || r->kind == CG_SH_REDIR_RDWR ||
		r->kind == CG_SH_REDIR_OUT_ERR ||
		r->kind == CG_SH_REDIR_APPEND_ERR);
}

/* The files a command's redirections write. */
static void redir_outputs(struct walk *w, const struct cg_sh_cmd *c)
{
	for (size_t k = 0; k < c->nredirs; k++)
		if (output_redir(&c->redirs[k]))
			add_ref(w, &c->redirs[k].target, CG_REF_OUTPUT);
}

/* The operands of a command from word i + 1: not options, not after an
 * option that takes the next word (approximated: none do). */
static bool operand(const struct cg_sh_cmd *c, size_t k)
{
	return c->words[k].text[0] != '-' || c->words[k].expands;
}

/* Does option `a` of program `prog` (base name `b`) take the path it
 * writes as the next word? -o is an option's name for shells (`bash -o
 * pipefail`), ssh and mount, and takes no word for grep and unzip. */
static bool output_option(const char *a, const char *prog, const char *b)
{
	switch (a[1]) {
	case 'o':
		if (a[2])
			return !strcmp(a, "-out");
		/* fall through */
	case 'O':
		return !a[2] && !cg_posix_shell_name(prog, NULL) &&
		       strcmp(b, "ssh") && strcmp(b, "scp") &&
		       strcmp(b, "mount") && strcmp(b, "grep") &&
		       strcmp(b, "unzip") && strcmp(b, "set");
	case 'B':
		return !a[2] && !strcmp(b, "cmake");
	case 'd':
		return !a[2] && !strcmp(b, "unzip");
	case 'C':
		return !a[2] && !strcmp(b, "tar");
	case '-':
		return a[2] == 'o' &&
		       (!strcmp(a, "--output") || !strcmp(a, "--out") ||
			!strcmp(a, "--outdir") || !strcmp(a, "--output-dir") ||
			!strcmp(a, "--output-document"));
	default:
		return false;
	}
}

/* The operands that programs which make files name: all of touch's,
 * mkdir's, tee's, truncate's; the destination (`last`, the last operand)
 * of cp, mv, ln, install, rsync; the folder of a virtualenv; git clone's
 * folder (with none, a folder named after the URL: a BUILD covers it). */
static void named_outputs(struct walk *w, const struct cg_sh_cmd *c, size_t i,
			  const char *b, size_t last)
{
	enum { NONE, ALL, LAST, VENV, CLONE } what = NONE;

	switch (b[0]) { /* by the first letter: most commands are none */
	case 't':
		if (!strcmp(b, "touch") || !strcmp(b, "tee") ||
		    !strcmp(b, "truncate"))
			what = ALL;
		break;
	case 'm':
		what = !strcmp(b, "mkdir") ? ALL
		       : !strcmp(b, "mv")  ? LAST
					   : NONE;
		break;
	case 'c':
	case 'l':
	case 'i':
	case 'r':
		if (!strcmp(b, "cp") || !strcmp(b, "ln") ||
		    !strcmp(b, "install") || !strcmp(b, "rsync"))
			what = LAST;
		break;
	case 'v':
		if (!strcmp(b, "virtualenv"))
			what = VENV;
		break;
	case 'p':
		if (!strncmp(b, "python", 6) && i + 2 < c->nwords &&
		    word_is(&c->words[i + 1], "-m") &&
		    (word_is(&c->words[i + 2], "venv") ||
		     word_is(&c->words[i + 2], "virtualenv")))
			what = VENV;
		break;
	case 'u':
		if (!strcmp(b, "uv") && i + 1 < c->nwords &&
		    word_is(&c->words[i + 1], "venv"))
			what = VENV;
		break;
	case 'g':
		if (!strcmp(b, "git") && i + 2 < c->nwords &&
		    word_is(&c->words[i + 1], "clone") && last > i + 2)
			what = CLONE;
		break;
	default:
		break;
	}
	if (what == ALL) {
		for (size_t k = i + 1; k < c->nwords; k++)
			if (operand(c, k))
				add_ref(w, &c->words[k], CG_REF_OUTPUT);
	} else if (what != NONE && last < c->nwords &&
		   (what != LAST || last > i + 1)) {
		add_ref(w, &c->words[last], CG_REF_OUTPUT);
	}
}

/* What simple command (program at i) writes or may write. */
static void outputs_of(struct walk *w, const struct cg_sh_cmd *c, size_t i)
{
	const struct cg_sh_word *prog = &c->words[i];
	const char *b = cg_path_base(prog->text);
	size_t last = c->nwords;

	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *a = c->words[k].text;

		if (operand(c, k))
			last = k;
		else if (k + 1 < c->nwords && output_option(a, prog->text, b))
			add_ref(w, &c->words[k + 1], CG_REF_OUTPUT);
		else if (a[1] == '-' && !strncmp(a, "--output=", 9) &&
			 !c->words[k].expands) {
			struct cg_sh_word v = c->words[k];

			v.text = a + 9;
			add_ref(w, &v, CG_REF_OUTPUT);
		}
	}
	named_outputs(w, c, i, b, last);
	if (!w->built &&
	    (builder(b) || (strchr(prog->text, '/') && prog->text[0] != '/')))
		add_build(w, prog);
}

/* Does -f (word k) name a file that program (word i) reads? Not for
 * `rm -f`, `ln -f`, `git push -f`, `pkill -f PATTERN`, `cut -f FIELDS`,
 * nor docker's and podman's -f (force, follow) outside build and
 * compose. */
static bool f_reads(const struct cg_sh_cmd *c, size_t i, size_t k)
{
	static const char *const not_a_file[] = {
	    "rm",   "rmdir",   "unlink", "ln",	"pkill", "pgrep",
	    "kill", "killall", "git",	 "cut", NULL};
	const char *b = cg_path_base(c->words[i].text);

	for (size_t n = 0; not_a_file[n]; n++)
		if (!strcmp(b, not_a_file[n]))
			return false;
	if (!strcmp(b, "docker") || !strcmp(b, "podman")) {
		for (size_t j = i + 1; j < k; j++)
			if (word_is(&c->words[j], "build") ||
			    word_is(&c->words[j], "buildx") ||
			    word_is(&c->words[j], "compose"))
				return true;
		return false;
	}
	return true;
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
		    strchr(a, '/')) {
			add_ref(w, &c->words[script], CG_REF_SCRIPT);
			/* a script of the repository may write anything */
			add_build(w, &c->words[script]);
		}
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
			if (word_is(&c->words[k], "-f") && !f_reads(c, i, k))
				continue;
			add_ref(w, &c->words[k + 1], CG_REF_CONFIG_FILE);
		}
}

static void walk_list(struct walk *w, const struct cg_sh_list *l,
		      bool background);

static void walk_cmd(struct walk *w, const struct cg_sh_cmd *c, bool background)
{
	const char *before;

	if (c->kind == CG_SH_SIMPLE) {
		size_t i = 0;

		if (!c->nwords || c->words[0].text[0] == '[' ||
		    c->words[0].text[0] == '(') {
			redir_outputs(w, c);
			return;
		}
		/* the wrappers run the command in the foreground (measured:
		 * bash waits for `nohup sleep 2`, `sudo`, `timeout`); setsid
		 * forks only with -f, as a command of a script is no
		 * process-group leader */
		i = cg_sh_cmd_unwrap(c, 0, 0);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(cg_path_base(c->words[k].text), "setsid"))
				for (k++; k < i && c->words[k].text[0] == '-';
				     k++) {
					const char *o = c->words[k].text;

					if (!strcmp(o, "--fork") ||
					    (o[1] != '-' && strchr(o, 'f')))
						background = true;
				}
		if (i < c->nwords) {
			const char *b = c->words[i].text;

			if (detaches(c, i))
				background = true;
			refs_of(w, c, i);
			outputs_of(w, c, i);
			if (b[0] == 'c' || b[0] == 'p')
				if (!strcmp(b, "cd") || !strcmp(b, "pushd") ||
				    !strcmp(b, "popd"))
					change_dir(w, c, i);
		}
		redir_outputs(w, c);
		add_process(w, c, background);
		if (background) {
			CG_GROW(w->bg, w->bg_alloc, w->nbg + 1);
			w->bg[w->nbg++] = c->start;
		}
		return;
	}
	redir_outputs(w, c);
	/* `( cd app && python s.py ) &`: what the compound runs, runs in
	 * the background with it (a function body runs where it is called,
	 * not where it is defined) */
	if (c->kind == CG_SH_FUNCDEF)
		background = false;
	before = w->cwd;
	for (size_t b = 0; b < 3; b++)
		if (c->body[b])
			walk_list(w, c->body[b], background);
	for (size_t a = 0; a < c->narms; a++)
		walk_list(w, c->arms[a], background);
	/* a subshell's `cd` ends with it, and a function's runs later; one
	 * in a branch or loop may or may not have run */
	if (c->kind == CG_SH_SUBSHELL || c->kind == CG_SH_FUNCDEF)
		w->cwd = before;
	else if (c->kind != CG_SH_GROUP && w->cwd != before)
		w->cwd = NULL;
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
		/* a background list and a pipeline of several commands run in
		 * subshells; a command after `||` may not run at all */
		const char *start = w->cwd;
		bool unsure = false;

		for (size_t p = 0; p < ao->n; p++) {
			const struct cg_sh_pipeline *pl = &ao->pipes[p];
			const char *before = w->cwd;

			for (size_t k = 0; k < pl->n; k++)
				walk_cmd(w, &pl->cmds[k],
					 ao->background || background);
			if (pl->n > 1)
				w->cwd = before;
			else if (p && ao->ops[p - 1] == CG_SH_OP_OR &&
				 w->cwd != before)
				unsure = true;
		}
		if (ao->background)
			w->cwd = start;
		else if (unsure && w->cwd != start)
			w->cwd = NULL;
	}
	w->depth--;
}

/* Walk `s` and the scripts nested in it that the shell runs in place
 * (a nested script starts where the outer one does when no `cd` ran;
 * where it runs is not followed), each in the background when the
 * command that runs it is (`sh -c "python -m app.worker" &`). */
static void walk_script(struct walk *w, const struct cg_script *s,
			bool background)
{
	const struct cg_script *outer = w->s;
	uint32_t *outer_bg = w->bg, *bg;
	size_t outer_nbg = w->nbg, outer_alloc = w->bg_alloc, nbg;

	w->s = s;
	w->bg = NULL;
	w->nbg = w->bg_alloc = 0;
	walk_list(w, s->sh.top, background);
	bg = w->bg;
	nbg = w->nbg;
	w->bg = NULL;
	w->nbg = w->bg_alloc = 0;
	for (size_t i = 0; i < s->nnested; i++) {
		const struct cg_nested_script *n = &s->nested[i];
		bool in_bg = false;

		if (n->kind != CG_NESTED_SHELL && n->kind != CG_NESTED_EVAL)
			continue;
		for (size_t k = 0; k < nbg && !in_bg; k++)
			in_bg = bg[k] == n->cmd_start;
		w->cwd = w->moved ? NULL : "";
		walk_script(w, n->script, background || in_bg);
	}
	free(bg);
	w->bg = outer_bg;
	w->nbg = outer_nbg;
	w->bg_alloc = outer_alloc;
	w->s = outer;
}

static struct cg_script_facts *walk_all(const struct cg_config *config,
					const struct cg_script *s)
{
	struct walk w = {0};

	w.out = cg_xcalloc(1, sizeof(*w.out));
	w.config = config;
	w.s = s;
	w.cwd = "";
	walk_script(&w, s, false);
	for (size_t i = 0; i < w.ndirs; i++)
		free(w.dirs[i]);
	free(w.dirs);
	return w.out;
}

void cg_ci_script_facts(struct cg_model *m, const struct cg_script *s,
			size_t scope, size_t group, size_t item,
			const char *workdir)
{
	struct cg_script_facts *own = NULL;
	const struct cg_script_facts *a;

	if (!s)
		return;
	if (!(a = s->facts_ahead))
		a = own = walk_all(m->config, s);
	for (size_t i = 0; i < a->nprocs; i++) {
		struct cg_process_fact p = a->procs[i];

		p.scope = scope;
		p.group = group;
		p.item = item;
		cg_fact_process(m, &p);
	}
	for (size_t i = 0; i < a->nrefs; i++) {
		struct cg_file_ref r = a->refs[i];
		char *path = NULL;

		r.group = group;
		r.item = item;
		if (r.kind == CG_REF_BUILD) {
			cg_fact_file_ref(m, &r);
			continue;
		}
		if (!r.unplaced && workdir)
			path = cg_model_path(workdir, r.path);
		if (!path && r.kind == CG_REF_OUTPUT) {
			/* written, but where is not known: as written, or
			 * its last part when it climbs */
			r.unplaced = true;
			if (!(path = cg_model_path(NULL, r.path)) &&
			    *cg_path_base(r.path))
				path = cg_xstrdup(cg_path_base(r.path));
		}
		if (!path)
			continue;
		r.path = path;
		cg_fact_file_ref(m, &r);
		free(path);
	}
	cg_script_facts_free(own);
}

void cg_ci_script_facts_ahead(const struct cg_config *config,
			      struct cg_script *s)
{
	if (!s || s->facts_ahead)
		return;
	s->facts_ahead = walk_all(config, s);
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
	for (size_t i = 0; i < a->nrefs; i++)
		free((char *)a->refs[i].path);
	free(a->refs);
	free(a);
}
