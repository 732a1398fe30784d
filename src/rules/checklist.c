/*
 * The environment-variable checklist (see checklist.h), from the env fact
 * table. What names an app variable in each place:
 *
 *   - example: an entry of an example env file (.env.example, .env.sample,
 *     .env.template, .env.dist and kin); where a folder has none, a
 *     committed `.env` (tracked by git, or any outside git) stands in for
 *     it. Compose reads that `.env` for `${}` only; its entries reach a
 *     container only through `env_file:`, counted under compose.
 *   - compose: the `environment:` and `env_file:` entries of a service that
 *     runs the app: it has `build:`, or its image is one of the repository
 *     (the image a `build:` service is tagged with, an image named after
 *     the repository's or the compose file's folder; an interpolated
 *     name is read with its defaults, and one without is not known).
 *     Not the settings of a third-party container (the postgres image's
 *     POSTGRES_PASSWORD). An entry with no value (`FOO:`, `- FOO`) or
 *     one that is `${FOO:-d}` passes FOO on when it is set: it names FOO
 *     without needing it. And compose interpolation anywhere in the file:
 *     `${X}` and `${X:?err}` need X in the example file (the compose
 *     project reads it from `.env` or the shell, not CI or Kubernetes);
 *     `${X:-d}` names it without needing it.
 *   - CI: env/variables at any level (workflow or pipeline, job, step, a
 *     GitHub job container's env, and the NAME=value lines a step writes
 *     to $GITHUB_ENV: LATER rows, which name a variable without needing
 *     it elsewhere) of a job that runs the app or its
 *     tests: a critical command (tests, migrations, ...), a process it
 *     starts or `docker compose up|run`. Not a service container's own
 *     settings. A variable the CI files read themselves (`$X`, `${{
 *     env.X }}`: an image name, a toggle) is the pipeline's: named, not
 *     needed elsewhere. A compose file such a job starts (`-f FILE`,
 *     COMPOSE_FILE) gives the job its app services' env.
 *   - example entries commented out (`# CACHE_TTL=60`) name a variable
 *     as documented and optional.
 *   - k8s: a container's `env:` (`valueFrom` refs included) and the keys
 *     of the ConfigMaps and Secrets it imports with `envFrom:`; not a
 *     container of a known third-party image (redis, postgres, ...).
 *   - code: a read of the variable in the code (USE rows of place CODE:
 *     process.env.X, import.meta.env.X; Python's os.environ["X"],
 *     os.getenv, django-environ, pydantic settings fields). A read with no
 * default needs the variable in the example file only, as compose's `${X}`
 * does: that file is where a developer learns what to set, while which of the
 * app's deployments runs the code that reads it (a script, one worker of
 * several, a test) cannot be told, so CI, compose and Kubernetes are not asked
 * for it. A read with a default (`|| "d"`, `os.getenv("X", "d")`) names the
 * variable and needs nothing. Code is never a place a variable is missing from:
 * libraries read variables the app's code never names (DATABASE_URL by an ORM,
 *     SENTRY_DSN by an SDK), and a repository's code may be in a
 *     language ciguard does not read.
 *
 * Units: each folder with an example file documents its own tree. The
 * example file, compose files and code belong to the deepest unit whose
 * folder holds them; CI and Kubernetes serve the whole repository, so a
 * variable named there joins each unit that names it too, or the root's
 * when none does. With one unit or none, everything is one unit.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/checklist.h"
#include "rules/critical.h"
#include "core/banned.h"

static const char *const col_keys[CG_CL_NCOLS] = {"example", "code", "compose",
						  "ci", "k8s"};
static const char *const col_titles[CG_CL_NCOLS] = {".env.example", "code",
						    "compose", "CI", "k8s"};

const char *cg_cl_col_key(enum cg_cl_col c)
{
	return c < CG_CL_NCOLS ? col_keys[c] : "?";
}

const char *cg_cl_col_title(enum cg_cl_col c)
{
	return c < CG_CL_NCOLS ? col_titles[c] : "?";
}

/* ----------------------------------------------------- runtime names */

/* Set by the CI system, the shell, the OS, or read by an interpreter or
 * a build tool: exact names, then prefixes. */
static const char *const runtime_names[] = {"CI",
					    "COLUMNS",
					    "DEBIAN_FRONTEND",
					    "DISPLAY",
					    "EDITOR",
					    "FORCE_COLOR",
					    "GOFLAGS",
					    "GOPATH",
					    "GOPROXY",
					    "GO111MODULE",
					    "CGO_ENABLED",
					    "GRADLE_OPTS",
					    "HOME",
					    "HOSTNAME",
					    "JAVA_HOME",
					    "JAVA_OPTS",
					    "JAVA_TOOL_OPTIONS",
					    "LANG",
					    "LANGUAGE",
					    "LOGNAME",
					    "MAVEN_OPTS",
					    "INIT_CWD",
					    "JEST_WORKER_ID",
					    "NO_COLOR",
					    "VERCEL",
					    "VITEST",
					    "PAGER",
					    "PATH",
					    "PWD",
					    "RUST_BACKTRACE",
					    "RUSTFLAGS",
					    "SHELL",
					    "SHLVL",
					    "SSH_AUTH_SOCK",
					    "TERM",
					    "TMPDIR",
					    "TEMP",
					    "TMP",
					    "TZ",
					    "USER",
					    "VIRTUAL_ENV",
					    "CARGO_TERM_COLOR",
					    NULL};

/* The CI's and the tools' own, and what the platform a service runs on
 * sets for it (KUBERNETES_SERVICE_HOST, VERCEL_URL, ...). */
static const char *const runtime_prefixes[] = {
    "GITHUB_", "RUNNER_", "ACTIONS_", "GITLAB_", "CI_", "LC_", "PYTHON", "PIP_",
    "PIPENV_", "POETRY_", "UV_", "NPM_CONFIG_", "YARN_", "PNPM_", "COMPOSE_",
    "DOCKER_", "BUILDKIT_", "DOTNET_", "NUGET_", "TOX_", "PYTEST_", "COVERAGE_",
    "FF_", "CIRCLE_", "TRAVIS_", "BUILDKITE_", "BITBUCKET_", "DRONE_",
    "APPVEYOR_",
    /* Node.js: the runtime's own settings (NODE_ENV, NODE_OPTIONS,
     * NODE_EXTRA_CA_CERTS...), what npm passes to scripts
     * (npm_package_version, npm_lifecycle_event...), test runners and
     * Vercel's system variables */
    "NODE_", "npm_", "VITEST_", "VERCEL_",
    /* what the platform a service runs on sets for it */
    "KUBERNETES_", "RENDER_", "RAILWAY_", "FLY_", "HEROKU_", NULL};

bool cg_cl_ignored(const struct cg_config *config, const char *name)
{
	/* the first byte tells most names apart at once */
	for (size_t i = 0; runtime_names[i]; i++)
		if (name[0] == runtime_names[i][0] &&
		    !strcmp(name, runtime_names[i]))
			return true;
	for (size_t i = 0; runtime_prefixes[i]; i++) {
		const char *p = runtime_prefixes[i];

		if (name[0] == p[0] && !strncmp(name, p, strlen(p)))
			return true;
	}
	if (config)
		for (size_t i = 0; i < config->env_ignore.n; i++)
			if (cg_glob_match(config->env_ignore.items[i], name))
				return true;
	return false;
}

/* ------------------------------------------------------- app scopes */

/* What the build knows of each scope: whether it runs the app, and which
 * compose file imports it into an app service. */
struct scan {
	const struct cg_model *m;
	bool *app;		   /* per scope: its definitions are app env */
	const struct cg_src **imp; /* per scope: imported by an app service
				      of this compose file */
	bool *imp_k8s;		   /* per scope: imported by an app container */
	const char **ci_read;	   /* names CI files read, sorted */
	size_t nci_read;
	char **ci_compose; /* compose files CI jobs start */
	size_t nci_compose;
	struct contrib *c; /* what each row adds */
	size_t nc, c_alloc;
	struct cg_strmap units; /* a unit's folder -> its index */
};

/* A row's part: a name in a place (one column), in a folder. */
struct contrib {
	const char *name;
	const struct cg_env_fact *e;
	enum cg_cl_col col;
	bool demands;
	bool needs_example;
	bool app_def;	  /* an app definition: makes the place the unit's */
	bool standin;	  /* an entry of a committed `.env` */
	bool global;	  /* CI, k8s: the whole repository's */
	const char *path; /* the file the folder comes from */
	size_t unit;
};

/* The image name without registry-port confusion: its last path
 * component, without a tag or digest: "ghcr.io/acme/api:1" -> "api". */
static void image_base(const char *image, const char **p, size_t *n)
{
	const char *b = strrchr(image, '/');
	size_t len;

	b = b ? b + 1 : image;
	len = strcspn(b, ":@");
	*p = b;
	*n = len;
}

/* The image without its tag or digest: "ghcr.io/acme/api:1" ->
 * "ghcr.io/acme/api". */
static size_t image_repo_len(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *from = slash ? slash + 1 : image;

	return (size_t)(from - image) + strcspn(from, ":@");
}

static bool same_image(const char *a, const char *b)
{
	size_t na = image_repo_len(a), nb = image_repo_len(b);

	return na == nb && !memcmp(a, b, na);
}

/* The last component of the folder of `path` ("" at the root), or of
 * `dir` itself when is_dir. */
static void folder_base(const char *path, bool is_dir, const char **p,
			size_t *n)
{
	const char *end = is_dir ? path + strlen(path) : strrchr(path, '/');
	const char *start;

	if (!end) {
		*p = path;
		*n = 0;
		return;
	}
	while (end > path && end[-1] == '/')
		end--;
	start = end;
	while (start > path && start[-1] != '/')
		start--;
	*p = start;
	*n = (size_t)(end - start);
}

static bool eq_nocase(const char *a, size_t na, const char *b, size_t nb)
{
	if (na != nb || !na)
		return false;
	for (size_t i = 0; i < na; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/*
 * An image name with each `${X:-d}` / `${X-d}` replaced by its default,
 * as compose gives it when X is unset; NULL when some part has none
 * (`${X}`, `$X`): the name is not known.
 */
static char *with_defaults(const char *image)
{
	struct cg_buf b = CG_BUF_INIT;
	const char *p = image;

	while (*p) {
		const char *close, *op;

		if (*p != '$') {
			cg_buf_addch(&b, *p++);
			continue;
		}
		close = p[1] == '{' ? strchr(p, '}') : NULL;
		op = close ? strchr(p, '-') : NULL;
		if (!close || !op || op > close) {
			cg_buf_release(&b);
			return NULL;
		}
		cg_buf_add(&b, op + 1, (size_t)(close - op - 1));
		p = close + 1;
	}
	return cg_buf_detach(&b, NULL);
}

static bool named_after_folder(const struct cg_model *m,
			       const struct cg_service_fact *s,
			       const char *image);

/* A compose service that runs the app (see the top of the file). */
static bool compose_app(const struct cg_model *m,
			const struct cg_service_fact *s)
{

	char *image;
	bool app = false;

	if (s->kind == CG_SERVICE_APP)
		return true;
	if (s->kind != CG_SERVICE_OTHER || !s->image)
		return false;
	image = with_defaults(s->image);
	if (!image)
		return false;
	for (size_t i = 0; i < m->facts.nservices && !app; i++) {
		const struct cg_service_fact *o = &m->facts.services[i];

		app = o->kind == CG_SERVICE_APP && o->image &&
		      o->place == CG_PLACE_COMPOSE &&
		      same_image(o->image, image);
	}
	if (!app)
		app = named_after_folder(m, s, image);
	free(image);
	return app;
}

/* The image is named after the compose file's folder or the
 * repository's. */
static bool named_after_folder(const struct cg_model *m,
			       const struct cg_service_fact *s,
			       const char *image)
{
	const char *b, *f;
	size_t nb, nf;

	image_base(image, &b, &nb);
	folder_base(s->src->path, false, &f, &nf);
	if (eq_nocase(b, nb, f, nf))
		return true;
	if (m->opt.root) {
		folder_base(m->opt.root, true, &f, &nf);
		if (!(nf == 1 && f[0] == '.') &&
		    !(nf == 2 && !memcmp(f, "..", 2)))
			return eq_nocase(b, nb, f, nf);
	}
	return false;
}

static bool runs_compose_list(const struct cg_sh_list *l, unsigned depth);

/* `docker compose up|run|start|create` (docker-compose too): starts the
 * app's containers. */
static bool runs_compose_cmd(const struct cg_sh_cmd *c, unsigned depth)
{
	size_t i = 0;

	if (c->kind != CG_SH_SIMPLE) {
		for (size_t b = 0; b < 3; b++)
			if (runs_compose_list(c->body[b], depth + 1))
				return true;
		for (size_t a = 0; a < c->narms; a++)
			if (runs_compose_list(c->arms[a], depth + 1))
				return true;
		return false;
	}
	i = cg_sh_cmd_unwrap(c, 0, 0); /* sudo, env, timeout... */
	if (i + 1 < c->nwords &&
	    !strcmp(cg_path_base(c->words[i].text), "docker") &&
	    !strcmp(c->words[i + 1].text, "compose"))
		i += 2;
	else if (i < c->nwords &&
		 !strcmp(cg_path_base(c->words[i].text), "docker-compose"))
		i++;
	else
		return false;
	for (; i < c->nwords; i++) {
		const char *w = c->words[i].text;

		if (w[0] == '-') {
			/* options with a value: -f FILE, -p NAME, --profile P,
			 * --env-file F, --project-directory D */
			if (!strcmp(w, "-f") || !strcmp(w, "-p") ||
			    !strcmp(w, "--file") || !strcmp(w, "--profile") ||
			    !strcmp(w, "--env-file") ||
			    !strcmp(w, "--project-name") ||
			    !strcmp(w, "--project-directory"))
				i++;
			continue;
		}
		return !strcmp(w, "up") || !strcmp(w, "run") ||
		       !strcmp(w, "start") || !strcmp(w, "create");
	}
	return false;
}

static bool runs_compose_list(const struct cg_sh_list *l, unsigned depth)
{
	if (!l || depth > 64)
		return false;
	for (size_t i = 0; i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++)
				if (runs_compose_cmd(
					&l->items[i].pipes[p].cmds[k],
					depth + 1))
					return true;
	return false;
}

/* The CI groups that run the app or its tests mark their job scope, the
 * file scope above it and the job container's env. */
static void mark_ci_jobs(struct scan *sc)
{
	const struct cg_model *m = sc->m;
	struct cg_buf name = CG_BUF_INIT;

	for (size_t g = 0; g < m->facts.ngroups; g++) {
		const struct cg_script_group *gr = &m->facts.groups[g];
		bool runs = gr->process_end > gr->process_first;
		size_t job = gr->scope, up;

		for (size_t i = 0; !runs && i < gr->nitems; i++)
			runs =
			    gr->items[i].script &&
			    (cg_critical_in_script(gr->items[i].script,
						   m->config, &name, NULL) ||
			     runs_compose_list(gr->items[i].script->sh.top, 0));
		if (!runs || job >= m->facts.nscopes)
			continue;
		for (up = job; up != CG_NO_SCOPE && up < m->facts.nscopes;
		     up = m->facts.scopes[up].parent)
			sc->app[up] = true;
		up = m->facts.scopes[job].underlay;
		if (up != CG_NO_SCOPE && up < m->facts.nscopes)
			sc->app[up] = true;
	}
	cg_buf_release(&name);
}

static void mark_containers(struct scan *sc)
{
	const struct cg_model *m = sc->m;
	const struct cg_facts *f = &m->facts;

	for (size_t i = 0; i < f->nservices; i++) {
		const struct cg_service_fact *s = &f->services[i];
		const struct cg_scope *own;

		if (s->place != CG_PLACE_COMPOSE ||
		    s->own_scope >= f->nscopes || !compose_app(m, s))
			continue;
		sc->app[s->own_scope] = true;
		own = &f->scopes[s->own_scope];
		for (size_t k = 0; k < own->nimports; k++)
			if (own->imports[k] < f->nscopes &&
			    !sc->imp[own->imports[k]])
				sc->imp[own->imports[k]] = s->src;
	}
	for (size_t i = 0; i < f->nscopes; i++) {
		const struct cg_scope *s = &f->scopes[i];

		if (s->kind != CG_SCOPE_K8S_CONTAINER ||
		    (s->image &&
		     cg_service_kind_of_image(s->image) != CG_SERVICE_OTHER))
			continue;
		sc->app[i] = true;
		for (size_t k = 0; k < s->nimports; k++)
			if (s->imports[k] < f->nscopes)
				sc->imp_k8s[s->imports[k]] = true;
	}
}

/* ------------------------------------------------------ contributions */

static void add(struct scan *sc, const struct cg_env_fact *e,
		enum cg_cl_col col, bool demands, bool app_def,
		const char *path)
{
	struct contrib *c;

	CG_GROW(sc->c, sc->c_alloc, sc->nc + 1);
	c = &sc->c[sc->nc++];
	memset(c, 0, sizeof(*c));
	c->name = e->name;
	c->e = e;
	c->col = col;
	c->demands = demands;
	c->app_def = app_def;
	c->global = col == CG_CL_CI || col == CG_CL_K8S;
	c->path = path;
}

static bool is_committed(const struct cg_model *m, const char *path)
{
	if (!m->in_git)
		return true;
	for (size_t i = 0; i < m->nuntracked; i++)
		if (!strcmp(m->untracked[i], path))
			return false;
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names CI files read themselves (their USE rows), sorted. */
static void ci_reads(struct scan *sc)
{
	const struct cg_facts *f = &sc->m->facts;
	size_t alloc = 0;

	for (size_t i = 0; i < f->nenv; i++)
		if (f->env[i].role == CG_ENV_USE &&
		    f->env[i].place == CG_PLACE_CI && f->env[i].name) {
			CG_GROW(sc->ci_read, alloc, sc->nci_read + 1);
			sc->ci_read[sc->nci_read++] = f->env[i].name;
		}
	if (sc->nci_read)
		qsort(sc->ci_read, sc->nci_read, sizeof(*sc->ci_read),
		      cmp_name);
}

/* A definition in CI `scope` is app env: the scope (a step: its job) is
 * a job that runs the app, the file around one, or such a job's
 * container. */
static bool ci_app_scope(const struct scan *sc, size_t scope)
{
	const struct cg_facts *f = &sc->m->facts;

	if (scope >= f->nscopes)
		return false;
	if (f->scopes[scope].kind == CG_SCOPE_CI_STEP &&
	    f->scopes[scope].parent < f->nscopes)
		scope = f->scopes[scope].parent;
	return sc->app[scope];
}

/*
 * A CI row. A definition in a job that runs the app (or in the file
 * around it) is app env; the pipeline's own settings (a variable the CI
 * files read themselves: an image name, a toggle in `rules:`) and a read
 * of one (a CI/CD setting) name it without needing it elsewhere.
 */
static void add_ci(struct scan *sc, const struct cg_env_fact *e)
{
	const char *key = e->name;
	bool read;

	if (e->role != CG_ENV_DEF && e->role != CG_ENV_LATER) {
		add(sc, e, CG_CL_CI, false, false, e->src->path);
		return;
	}
	if (!ci_app_scope(sc, e->scope))
		return;
	read = sc->nci_read && bsearch(&key, sc->ci_read, sc->nci_read,
				       sizeof(*sc->ci_read), cmp_name);
	/* what a step writes to $GITHUB_ENV is most often the pipeline's
	 * own (a version, a tag, a computed path): it gives CI the variable,
	 * and asks nothing of the other places */
	add(sc, e, CG_CL_CI, !read && e->role != CG_ENV_LATER, true,
	    e->src->path);
}

/* A compose definition needs its variable unless it only passes one on
 * when it is set: `FOO:` or `- FOO` (no value: the shell's FOO, if any)
 * and `FOO: ${FOO:-d}` (a default). */
static bool compose_needs(const struct cg_env_fact *e)
{
	return e->value && e->value_kind != CG_VALUE_INTERP_DEFAULT;
}

/* The compose files a CI job that runs the app starts (`docker compose
 * -f PATH`, or COMPOSE_FILE set in its env, ':'-separated as on Linux):
 * their app env is that job's env too. */
static void ci_compose_files(struct scan *sc)
{
	const struct cg_facts *f = &sc->m->facts;
	size_t alloc = 0;

	for (size_t i = 0; i < f->nfile_refs; i++) {
		const struct cg_file_ref *r = &f->file_refs[i];

		if (r->kind == CG_REF_CONFIG_FILE && r->group < f->ngroups &&
		    f->groups[r->group].scope < f->nscopes &&
		    sc->app[f->groups[r->group].scope]) {
			CG_GROW(sc->ci_compose, alloc, sc->nci_compose + 1);
			sc->ci_compose[sc->nci_compose++] = cg_xstrdup(r->path);
		}
	}
	for (size_t i = 0; i < f->nenv; i++) {
		const struct cg_env_fact *e = &f->env[i];
		const char *v = e->value;

		if (e->role != CG_ENV_DEF || e->place != CG_PLACE_CI || !v ||
		    !ci_app_scope(sc, e->scope) ||
		    strcmp(e->name, "COMPOSE_FILE"))
			continue;
		while (*v) {
			size_t len = strcspn(v, ":");
			const char *p = v;

			if (len > 2 && p[0] == '.' && p[1] == '/') {
				p += 2;
				len -= 2;
			}
			if (len) {
				CG_GROW(sc->ci_compose, alloc,
					sc->nci_compose + 1);
				sc->ci_compose[sc->nci_compose++] =
				    cg_xstrndup(p, len);
			}
			v += strcspn(v, ":");
			if (*v == ':')
				v++;
		}
	}
}

static bool run_by_ci(const struct scan *sc, const char *path)
{
	for (size_t i = 0; i < sc->nci_compose; i++)
		if (!strcmp(sc->ci_compose[i], path))
			return true;
	return false;
}

/* A definition of an app service of compose file `file` (its own, or one
 * of an env_file it imports). */
static void add_compose_def(struct scan *sc, const struct cg_env_fact *e,
			    const struct cg_src *file)
{
	add(sc, e, CG_CL_COMPOSE, compose_needs(e), true, file->path);
	if (run_by_ci(sc, file->path))
		add(sc, e, CG_CL_CI, false, true, e->src->path);
}

static void collect(struct scan *sc)
{
	const struct cg_model *m = sc->m;
	const struct cg_facts *f = &m->facts;

	for (size_t i = 0; i < f->nenv; i++) {
		const struct cg_env_fact *e = &f->env[i];
		bool def = e->role == CG_ENV_DEF;
		const struct cg_src *imp;

		if (!e->name || !*e->name || !e->src ||
		    cg_cl_ignored(m->config, e->name))
			continue;
		imp = e->scope < f->nscopes ? sc->imp[e->scope] : NULL;
		if (def && imp)
			add_compose_def(sc, e, imp);
		if (def && e->scope < f->nscopes && sc->imp_k8s[e->scope])
			add(sc, e, CG_CL_K8S, true, true, e->src->path);
		switch (e->place) {
		case CG_PLACE_ENV_EXAMPLE:
			/* an entry commented out documents an optional one */
			if (def || e->role == CG_ENV_DOC)
				add(sc, e, CG_CL_EXAMPLE, def, true,
				    e->src->path);
			break;
		case CG_PLACE_DOTENV:
			if (def &&
			    !strcmp(cg_path_base(e->src->path), ".env") &&
			    is_committed(m, e->src->path)) {
				add(sc, e, CG_CL_EXAMPLE, true, true,
				    e->src->path);
				sc->c[sc->nc - 1].standin = true;
			}
			break;
		case CG_PLACE_COMPOSE:
			if (!def) {
				add(sc, e, CG_CL_COMPOSE, false, false,
				    e->src->path);
				sc->c[sc->nc - 1].needs_example =
				    !e->has_default;
			} else if (e->scope < f->nscopes && sc->app[e->scope])
				add_compose_def(sc, e, e->src);
			break;
		case CG_PLACE_CI:
			add_ci(sc, e);
			break;
		case CG_PLACE_K8S:
			if (def && e->scope < f->nscopes &&
			    f->scopes[e->scope].kind ==
				CG_SCOPE_K8S_CONTAINER &&
			    sc->app[e->scope])
				add(sc, e, CG_CL_K8S, true, true, e->src->path);
			break;
		case CG_PLACE_CODE:
			/* a read names the variable; without a default the
			 * example file must document it. It makes code no
			 * place a variable can be missing from. */
			add(sc, e, CG_CL_CODE, false, false, e->src->path);
			sc->c[sc->nc - 1].needs_example = !e->has_default;
			break;
		default:
			break;
		}
	}
}

/* ------------------------------------------------------------- units */

/* The folder of `path`, as a new string ("" at the root). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return cg_xstrndup(path, slash ? (size_t)(slash - path) : 0);
}

/* The unit of folder `dir`, or CG_NO_INDEX. */
static size_t unit_find(const struct scan *sc, const char *dir)
{
	return cg_strmap_get(&sc->units, dir, strlen(dir));
}

static size_t unit_add(struct cg_checklist *cl, struct scan *sc, size_t *alloc,
		       const char *dir, const struct cg_src *example)
{
	struct cg_cl_unit *u;

	CG_GROW(cl->units, *alloc, cl->nunits + 1);
	u = &cl->units[cl->nunits];
	memset(u, 0, sizeof(*u));
	u->dir = cg_xstrdup(dir);
	u->example = example;
	cg_strmap_put(&sc->units, u->dir, strlen(u->dir), cl->nunits);
	return cl->nunits++;
}

/* Of two example files in one folder, the one a message names:
 * `.env.example` itself, else the first by path. */
static bool better_example(const struct cg_src *a, const struct cg_src *b)
{
	bool ca = !strcmp(cg_path_base(a->path), ".env.example");
	bool cb = b && !strcmp(cg_path_base(b->path), ".env.example");

	if (!b || ca != cb)
		return !b || ca;
	return strcmp(a->path, b->path) < 0;
}

/* Units from the example files, then committed `.env` files in folders
 * that have none. */
static void make_units(struct cg_checklist *cl, struct scan *sc)
{
	size_t alloc = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sc->nc; i++) {
			const struct contrib *c = &sc->c[i];
			char *dir;
			size_t u;

			if (c->col != CG_CL_EXAMPLE ||
			    c->standin != (pass == 1))
				continue;
			dir = dir_of(c->path);
			u = unit_find(sc, dir);
			if (u == CG_NO_INDEX)
				unit_add(cl, sc, &alloc, dir, c->e->src);
			else if (pass == 0 &&
				 better_example(c->e->src,
						cl->units[u].example))
				cl->units[u].example = c->e->src;
			free(dir);
		}
	/* a stand-in whose folder has an example file is no entry */
	for (size_t i = 0; i < sc->nc; i++)
		if (sc->c[i].standin) {
			char *dir = dir_of(sc->c[i].path);
			size_t u = unit_find(sc, dir);

			if (u != CG_NO_INDEX &&
			    cl->units[u].example != sc->c[i].e->src)
				sc->c[i].col = CG_CL_NCOLS; /* dropped */
			free(dir);
		}
	if (unit_find(sc, "") == CG_NO_INDEX)
		unit_add(cl, sc, &alloc, "", NULL);
}

/* The deepest unit whose folder holds `path`: of its folders, from the
 * innermost out, the first that is a unit's (the root's is ""). */
static size_t unit_of(const struct scan *sc, const char *path)
{
	size_t u;

	for (size_t n = strlen(path); n-- > 0;)
		if (path[n] == '/' &&
		    (u = cg_strmap_get(&sc->units, path, n)) != CG_NO_INDEX)
			return u;
	return cg_strmap_get(&sc->units, "", 0);
}

static int cmp_unit_name(const void *a, const void *b)
{
	const struct contrib *x = a, *y = b;
	int r;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->e < y->e ? -1 : x->e > y->e;
}

static int cmp_row(const void *a, const void *b)
{
	const struct cg_cl_row *x = a, *y = b;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool before(const struct cg_env_fact *a, const struct cg_env_fact *b)
{
	int r = strcmp(a->src->path, b->src->path);

	if (r)
		return r < 0;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line;
	return a->pos.col < b->pos.col;
}

static void merge_cell(struct cg_cl_cell *to, const struct cg_cl_cell *from)
{
	if (!from->first)
		return;
	if (!to->first || before(from->first, to->first))
		to->first = from->first;
	to->demands = to->demands || from->demands;
	to->needs_example = to->needs_example || from->needs_example;
	to->app = to->app || from->app;
}

/* Rows of contributions c[0..n), sorted by unit and name: one per unit
 * and name, appended to rows[*nrows...]. */
static void fold(const struct contrib *c, size_t n, struct cg_cl_row **rows,
		 size_t *nrows, size_t *alloc)
{
	for (size_t i = 0; i < n; i++) {
		struct cg_cl_cell one = {0};
		struct cg_cl_row *r;

		if (c[i].col >= CG_CL_NCOLS)
			continue;
		r = *nrows ? &(*rows)[*nrows - 1] : NULL;
		if (!r || r->unit != c[i].unit || strcmp(r->name, c[i].name)) {
			CG_GROW(*rows, *alloc, *nrows + 1);
			r = &(*rows)[(*nrows)++];
			memset(r, 0, sizeof(*r));
			r->name = c[i].name;
			r->unit = c[i].unit;
		}
		one.first = c[i].e;
		one.demands = c[i].demands;
		one.needs_example = c[i].needs_example;
		one.app = c[i].app_def;
		merge_cell(&r->cell[c[i].col], &one);
	}
}

static int cmp_row_name(const void *key, const void *row)
{
	return strcmp(key, ((const struct cg_cl_row *)row)->name);
}

/*
 * The rows: one per unit and name. With one unit or none, every
 * contribution is that unit's. Else the example files, compose files and
 * code go to the deepest unit whose folder holds them, and the CI and
 * Kubernetes cells of a name join every unit row of that name, or make a
 * row of the root's when no unit names it.
 */
static void make_rows(struct cg_checklist *cl, struct scan *sc)
{
	size_t root = unit_find(sc, ""), real = 0, alloc = 0, nfolder = 0;
	struct cg_cl_row *glob = NULL;
	size_t nglob = 0, glob_alloc = 0;
	bool *used;

	for (size_t u = 0; u < cl->nunits; u++)
		real += cl->units[u].example != NULL;
	for (size_t i = 0; i < sc->nc; i++) {
		struct contrib *c = &sc->c[i];

		if (real <= 1) {
			c->global = false;
			c->unit = root;
			for (size_t u = 0; u < cl->nunits; u++)
				if (cl->units[u].example)
					c->unit = u;
		} else if (c->global) {
			c->unit = CG_NO_INDEX;
		} else {
			c->unit = unit_of(sc, c->path);
			if (c->unit == CG_NO_INDEX)
				c->unit = root;
		}
		nfolder += !c->global;
	}
	if (sc->nc)
		qsort(sc->c, sc->nc, sizeof(*sc->c), cmp_unit_name);
	/* folder contributions first: their units sort before NO_INDEX
	 * (with none, sc->c is NULL, and NULL + 0 is undefined) */
	fold(sc->c, nfolder, &cl->rows, &cl->nrows, &alloc);
	fold(sc->nc ? sc->c + nfolder : NULL, sc->nc - nfolder, &glob, &nglob,
	     &glob_alloc);
	used = cg_xcalloc(nglob + 1, sizeof(*used));
	for (size_t i = 0; i < cl->nrows && nglob; i++) {
		struct cg_cl_row *r = &cl->rows[i];
		struct cg_cl_row *g =
		    bsearch(r->name, glob, nglob, sizeof(*glob), cmp_row_name);

		if (!g)
			continue;
		for (int c = 0; c < CG_CL_NCOLS; c++)
			merge_cell(&r->cell[c], &g->cell[c]);
		used[g - glob] = true;
	}
	for (size_t k = 0; k < nglob; k++)
		if (!used[k]) {
			CG_GROW(cl->rows, alloc, cl->nrows + 1);
			cl->rows[cl->nrows] = glob[k];
			cl->rows[cl->nrows++].unit = root;
		}
	free(used);
	free(glob);
	if (cl->nrows)
		qsort(cl->rows, cl->nrows, sizeof(*cl->rows), cmp_row);
	for (size_t i = 0; i < cl->nrows; i++)
		for (int c = 0; c < CG_CL_NCOLS; c++)
			if (cl->rows[i].cell[c].app) {
				cl->units[cl->rows[i].unit].has[c] = true;
				cl->has[c] = true;
			}
}

/* Drop the rows only CI reads and nothing needs: the pipeline's own
 * variables (a loop's `$f`, a CI/CD setting it reads). */
static void drop_pipeline_rows(struct cg_checklist *cl)
{
	size_t k = 0;

	for (size_t i = 0; i < cl->nrows; i++) {
		const struct cg_cl_row *r = &cl->rows[i];
		bool keep = false;

		for (int c = 0; c < CG_CL_NCOLS && !keep; c++)
			keep = r->cell[c].demands || r->cell[c].needs_example ||
			       (c != CG_CL_CI && r->cell[c].first);
		if (keep)
			cl->rows[k++] = *r;
	}
	cl->nrows = k;
}

void cg_checklist_build(const struct cg_model *m, struct cg_checklist *cl)
{
	struct scan sc = {0};
	size_t ns = m->facts.nscopes;

	memset(cl, 0, sizeof(*cl));
	sc.m = m;
	sc.app = cg_xcalloc(ns + 1, sizeof(*sc.app));
	sc.imp = cg_xcalloc(ns + 1, sizeof(*sc.imp));
	sc.imp_k8s = cg_xcalloc(ns + 1, sizeof(*sc.imp_k8s));
	mark_ci_jobs(&sc);
	mark_containers(&sc);
	ci_reads(&sc);
	ci_compose_files(&sc);
	collect(&sc);
	make_units(cl, &sc);
	make_rows(cl, &sc);
	drop_pipeline_rows(cl);
	free(sc.app);
	free(sc.imp);
	free(sc.imp_k8s);
	free(sc.ci_read);
	for (size_t i = 0; i < sc.nci_compose; i++)
		free(sc.ci_compose[i]);
	free(sc.ci_compose);
	free(sc.c);
	cg_strmap_release(&sc.units);
}

void cg_checklist_release(struct cg_checklist *cl)
{
	for (size_t u = 0; u < cl->nunits; u++)
		free((char *)cl->units[u].dir);
	free(cl->units);
	free(cl->rows);
	memset(cl, 0, sizeof(*cl));
}

size_t cg_cl_missing(const struct cg_checklist *cl, const struct cg_cl_row *r,
		     bool missing[CG_CL_NCOLS])
{
	const struct cg_cl_unit *u = &cl->units[r->unit];
	bool needed = false, in_example = false;
	size_t n = 0;

	for (int c = 0; c < CG_CL_NCOLS; c++) {
		missing[c] = false;
		needed = needed || r->cell[c].demands;
		in_example = in_example || r->cell[c].needs_example;
	}
	if (!needed && !in_example)
		return 0;
	for (int c = 0; c < CG_CL_NCOLS; c++)
		if (u->has[c] && !r->cell[c].first &&
		    (needed || c == CG_CL_EXAMPLE)) {
			missing[c] = true;
			n++;
		}
	return n;
}

const struct cg_env_fact *cg_cl_first(const struct cg_cl_row *r)
{
	for (int c = 0; c < CG_CL_NCOLS; c++)
		if (r->cell[c].first)
			return r->cell[c].first;
	return NULL;
}
