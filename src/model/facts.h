/*
 * facts: what the loaders learned about the repository, in tables that
 * cross-file rules read without knowing which kind of file a row came from.
 *
 * Every row has a position in a file. Rows refer to each other by index
 * (a scope, a service, a script group), never by pointer, so the tables can
 * grow while loaders add to them. Strings live in the model's arena.
 *
 * Env scopes nest: a GitHub step inside its job inside its workflow, a
 * compose service inside its file, a Kubernetes container inside its
 * manifest. A process sees the definitions of its own scope first, then
 * those its scope imports (compose `env_file:`, Kubernetes `envFrom:`; a
 * later import wins over an earlier one), then its parent's, and so on: the
 * order in which GitHub, compose and Kubernetes let one value override
 * another. cg_env_lookup walks that order.
 *
 * Loaders fill the tables through the cg_fact_* functions below (declared
 * for loaders; a rule only reads).
 */
#ifndef CG_FACTS_H
#define CG_FACTS_H

#include "core/core.h"
#include "load/load.h"

struct cg_config;
struct cg_model;
struct cg_script;
struct cg_sh_cmd;
struct cg_shell;
struct cg_gh_step;
struct cg_gh_job;
struct cg_gl_job;

#define CG_NO_SCOPE ((size_t)-1)
#define CG_NO_INDEX ((size_t)-1)

/* The kinds of file a variable can be named in (the env checklist's
 * columns). */
enum cg_place {
	CG_PLACE_ENV_EXAMPLE, /* .env.example, .env.sample, .env.template,
				 .env.dist */
	CG_PLACE_DOTENV,      /* a committed .env, or a compose env_file */
	CG_PLACE_CI,	      /* GitHub workflows, GitLab CI */
	CG_PLACE_COMPOSE,
	CG_PLACE_K8S,
	CG_PLACE_CODE,
	CG_PLACE_IMAGE, /* a Dockerfile's ENV: what its containers start with
			   (no place of env-checklist's) */
	CG_NPLACES,
};

/* Where a service or a process runs. */
enum cg_environment {
	CG_ENVIRONMENT_NONE,
	CG_ENVIRONMENT_CI,
	CG_ENVIRONMENT_LOCAL,	   /* compose, .env files */
	CG_ENVIRONMENT_PRODUCTION, /* Kubernetes */
};

const char *cg_place_name(enum cg_place p);
const char *cg_environment_name(enum cg_environment e);

/* ------------------------------------------------------------ scopes */

enum cg_scope_kind {
	CG_SCOPE_FILE,	     /* a whole file: workflow env, compose file,
				an env file's entries, a manifest */
	CG_SCOPE_CI_JOB,     /* GitHub job, GitLab job */
	CG_SCOPE_CI_STEP,    /* GitHub step */
	CG_SCOPE_CI_SERVICE, /* a service container's own env */
	CG_SCOPE_COMPOSE_SERVICE,
	CG_SCOPE_K8S_CONTAINER,
	/* a ConfigMap or Secret: its keys. They are a container's variables
	 * only where its scope imports this one (envFrom); a ConfigMap
	 * mounted as files has keys that are file names. */
	CG_SCOPE_K8S_CONFIG,
	/* a stage of a Dockerfile: the ENV its containers start with. A
	 * compose service built from it has it as its underlay. */
	CG_SCOPE_IMAGE,
};

struct cg_scope {
	enum cg_scope_kind kind;
	size_t parent;	  /* CG_NO_SCOPE at the top */
	const char *name; /* job id, step title, service or container name,
			     ConfigMap name; the path for a FILE */
	enum cg_place place;
	enum cg_environment environment;
	const struct cg_src *src;
	struct cg_pos pos; /* the key that opens it (FILE: line 1) */
	/*
	 * CI jobs: how the job reaches its service containers. A GitHub job
	 * on the runner reaches them at localhost and the published port; a
	 * GitHub job with `container:` and every GitLab job at the service's
	 * host name and its container port.
	 */
	bool in_container;
	/* the image a container scope runs (CI_SERVICE, COMPOSE_SERVICE,
	 * K8S_CONTAINER); NULL when none is named or for other scopes */
	const char *image;
	/* its env is given as one expression (GitHub `env: ${{ ... }}`):
	 * the names it sets cannot be known */
	bool env_unknown;
	/* env imported into this scope, lowest precedence first: the FILE
	 * scope of an env_file, the K8S_CONFIG scope of an envFrom */
	size_t *imports;
	size_t nimports, imports_alloc;
	/* env that everything else overrides, consulted after the parents:
	 * a GitHub job container's `env:` (the runner passes workflow, job
	 * and step env to each step with `docker exec -e`, which wins over
	 * the container's own), the Dockerfile stage a compose service is
	 * built from (its ENV is the image's); CG_NO_SCOPE when none */
	size_t underlay;
};

/* --------------------------------------------------------------- env */

enum cg_env_role {
	CG_ENV_DEF, /* the variable is set here */
	CG_ENV_USE, /* the variable is read here: compose `${VAR}`, a name a
		       step passes on, a code read */
	/* an example env file names it in an entry commented out (`#
	 * NAME=value`): documented, and optional */
	CG_ENV_DOC,
	/* set for later: a GitHub step writes NAME=value to $GITHUB_ENV
	 * (itself, or through the steps of a composite action of the
	 * repository it `uses:`), and the job's steps after it have it (its
	 * scope is the writing step, which does not; src and pos are where
	 * the write is). No lookup finds it; value and value_kind are as for
	 * a DEF. */
	CG_ENV_LATER,
};

/* What a definition's value is made of. */
enum cg_value_kind {
	CG_VALUE_NONE,	  /* no value: a use, `KEY=` in an example file */
	CG_VALUE_LITERAL, /* text as written */
	/* set outside the repository: `${{ secrets.X }}`, `${{ vars.X }}`
	 * (or an expression that can be it: `${{ secrets.X || 'd' }}`),
	 * a Kubernetes secretKeyRef (ref "secret/NAME/KEY"), a GitLab `$X`
	 * that no `variables:` of the file defines (a CI/CD setting); `ref`
	 * names it. A key of a Kubernetes Secret of the repository is a
	 * SECRET row too, with no value: ciguard never keeps one. */
	CG_VALUE_SECRET,
	/* the value of another variable of the repository: `${{ env.X }}`,
	 * `$X`, Kubernetes `$(X)`, a configMapKeyRef whose ConfigMap is not
	 * in the repository (ref "configmap/NAME/KEY"); `ref` names it. A
	 * configMapKeyRef whose ConfigMap is there is LITERAL with that
	 * key's value (no value_pos: it is in the ConfigMap's file) and
	 * keeps its ref. */
	CG_VALUE_VARIABLE,
	/* text with `${X}` (or `$X`) interpolated and no default for some X */
	CG_VALUE_INTERP,
	/* text whose every interpolation has a default (`${X:-d}`) */
	CG_VALUE_INTERP_DEFAULT,
	/* another `${{ }}` expression (matrix, inputs, steps outputs...);
	 * a Kubernetes fieldRef or resourceFieldRef (ref "field/PATH",
	 * "resource/NAME"): the pod's own data */
	CG_VALUE_EXPRESSION,
};

struct cg_env_fact {
	const char *name;
	enum cg_env_role role;
	enum cg_place place;
	size_t scope;
	const struct cg_src *src;
	struct cg_pos pos; /* the name */
	/* CG_ENV_DEF: the value as written (NULL when none) and where it is */
	const char *value;
	struct cg_pos value_pos;
	bool value_has_pos;
	enum cg_value_kind value_kind;
	const char *ref; /* SECRET/VARIABLE: "secrets.X", "vars.X", "X" */
	/* DEF in an env file: marked `# required` by its trailing comment or
	 * by a line of the comment lines directly above it; the marker is
	 * the comment's first word `required` (any case, maybe in brackets,
	 * not followed by a letter, digit or '_': `# Required. The key`), or
	 * its last word `(required)` / `[required]`; `# not required` is
	 * none. USE: `${X:?err}` / `${X?e}`. */
	bool required;
	/* USE: `${X:-d}` / `${X-d}`, and `${X:+r}` / `${X+r}` (nothing is
	 * missing when X is unset) */
	bool has_default;
	bool commented; /* DEF in an env file: a comment documents it */
};

/*
 * Build cg_env_lookup's index now. A lookup builds it when facts were
 * added since; cg_model_build calls this last, so the rules, which run on
 * several threads at once (check --jobs), only ever read it.
 */
void cg_facts_index(struct cg_model *m);
/*
 * The definition of `name` that a process in `scope` sees (see the top of
 * this file), or NULL. Definitions only; uses are not values.
 */
const struct cg_env_fact *cg_env_lookup(const struct cg_model *m, size_t scope,
					const char *name);
/*
 * The definition of `name` that item `item` of group `g` runs with. In a
 * GitHub job, a variable an earlier step wrote to $GITHUB_ENV (its last
 * LATER row) overrides the job's and the workflow's `env:` and the job
 * container's, though not the step's own `env:`: the runner keeps those
 * writes with the job's env and applies the step's over both
 * (actions/runner SetEnvFileCommand). Elsewhere, as cg_env_lookup from
 * the item's scope; an item past the end looks up from the group's.
 */
struct cg_script_group;
const struct cg_env_fact *cg_env_lookup_item(const struct cg_model *m,
					     const struct cg_script_group *g,
					     size_t item, const char *name);
/* True when `scope` is `ancestor` or lies inside it. */
bool cg_scope_within(const struct cg_model *m, size_t scope, size_t ancestor);
/* The nearest enclosing scope of `kind` (maybe `scope` itself), or
 * CG_NO_SCOPE. */
size_t cg_scope_up(const struct cg_model *m, size_t scope,
		   enum cg_scope_kind kind);

/* ---------------------------------------------------------- services */

enum cg_service_kind {
	CG_SERVICE_OTHER,
	CG_SERVICE_REDIS,
	CG_SERVICE_POSTGRES,
	CG_SERVICE_WIREMOCK,
	CG_SERVICE_MYSQL,
	CG_SERVICE_RABBITMQ,
	CG_SERVICE_APP, /* built from this repository (compose `build:`) */
};

/* The kind an image name stands for: redis, valkey, bitnami/redis...;
 * OTHER when none. */
enum cg_service_kind cg_service_kind_of_image(const char *image);
/* "redis", "postgres", ... (OTHER: "service") */
const char *cg_service_kind_name(enum cg_service_kind k);
/* The kind named `name` in .ciguard.yml `services:` ("redis",
 * "postgresql", ...), OTHER when unknown. */
enum cg_service_kind cg_service_kind_parse(const char *name);

/* The port a service of kind `k` listens on in its container by default
 * (redis 6379, postgres 5432, wiremock 8080, ...); 0 when unknown. */
unsigned cg_service_default_port(enum cg_service_kind k);

struct cg_port_map {
	unsigned container; /* 0 when unknown (a range, an expression) */
	/* host port; 0 when not published, or published at a port we
	 * cannot tell (a random one, an interpolation, a range for one
	 * container port) */
	unsigned published;
	/* published, at a host port that is not random but cannot be told
	 * here (an expression, an unset variable, a host range) */
	bool published_unknown;
	/*
	 * A Kubernetes Service: `container` is its `port`, the one other
	 * pods use with its host names (as they use a compose service's
	 * container port), `published` its nodePort, and `target` the pod
	 * port it forwards to (targetPort; a named one through the selected
	 * pods' containerPort; 0 when unknown). Elsewhere `target` is 0.
	 */
	unsigned target;
	struct cg_pos pos;
};

/* A service a compose service waits for (`depends_on:`). */
struct cg_service_dep {
	const char *name; /* the other service's key */
	bool healthy;	  /* `condition: service_healthy` */
	struct cg_pos pos;
};

struct cg_service_fact {
	enum cg_service_kind kind;
	const char *name;   /* key under services:, compose service, k8s
			       Service name */
	const char **hosts; /* names that reach it from another container:
			       the name, GitLab's alias or the host names
			       GitLab derives from the image */
	size_t nhosts;
	/* more names reach it that ciguard cannot know: GitLab derives
	 * them from an image name that holds a variable, expanded first */
	bool hosts_unknown;
	const char *image; /* NULL when none */
	enum cg_environment environment;
	enum cg_place place;
	size_t scope;	  /* the CI job, the compose file, the manifest */
	size_t own_scope; /* its own env (CI_SERVICE, COMPOSE_SERVICE), or
			     CG_NO_SCOPE */
	const struct cg_src *src;
	struct cg_pos pos; /* its key */
	struct cg_port_map *ports;
	size_t nports;
	/* a health check is declared (GitHub `--health-cmd` in options,
	 * compose `healthcheck:` that is not `disable: true` or
	 * `test: ["NONE"]`) */
	bool healthcheck;
	/* compose `depends_on:` (list or map form), in order; in the model's
	 * arena as the loader gives it (not copied) */
	const struct cg_service_dep *depends_on;
	size_t ndepends_on;
	/* the kind it has as part of its folder's stack: a compose service
	 * of no known kind that names no image (an override file's `ports:`)
	 * takes the kind of the first same-named service of a known kind in
	 * another compose file of its folder; else `kind`. Set when every
	 * compose file is built (cg_matrix_service_kind) */
	enum cg_service_kind dir_kind;
};

/* --------------------------------------------------------- processes */

enum cg_process_origin {
	CG_PROCESS_CI,	    /* a command in a CI script */
	CG_PROCESS_COMPOSE, /* a compose service's command/entrypoint */
	CG_PROCESS_K8S,	    /* a Kubernetes container's command/args */
};

struct cg_process_fact {
	enum cg_process_origin origin;
	const char *command; /* the command line as written, one line */
	/* its words (literal text), argc of them. Kubernetes: `command`
	 * then `args`; with `args` alone the image's entrypoint, which
	 * ciguard cannot see, runs them: argv holds the args alone */
	const char **argv;
	size_t argc;
	/* started in the background: `&`, nohup, setsid, `docker run -d`,
	 * `docker compose up -d` without --wait */
	bool background;
	bool python;	 /* runs a Python program */
	bool unbuffered; /* `python -u` (or -u in combined flags) */
	/* `python -E` or `-I`: CPython reads no PYTHON* variable, so
	 * PYTHONUNBUFFERED does not reach it */
	bool ignores_env;
	bool worker; /* a worker command (celery/rq/arq/dramatiq/huey
			worker, python -m ...worker..., gunicorn/uvicorn,
			or a `workers:` glob of .ciguard.yml) */
	/* runs to completion, not as a service: a Kubernetes init
	 * container, or a Job's or CronJob's container */
	bool oneshot;
	size_t scope; /* the env it runs with */
	const struct cg_src *src;
	/* the command (CI: its first word to its last; Kubernetes: the
	 * `command:` value, or `args:`'s when there is no command) */
	struct cg_pos pos;
	/* CI: the script and the simple command; the group and item */
	const struct cg_script *script;
	const struct cg_sh_cmd *cmd;
	size_t group, item;
};

/*
 * Fill p->python, p->unbuffered and p->worker from p->argv: wrappers
 * (`env A=B`, nohup, setsid, exec, `poetry run`, `uv run`, `pipenv run`,
 * `sh -c` is not unwrapped) are looked through; python/pythonX.Y/pypy
 * with `-u` among its options (alone or in a cluster, before what it
 * runs, past -W/-X values), or an `env PYTHONUNBUFFERED=...` prefix
 * turning it on unless -E/-I (p->ignores_env) has it ignored; Python programs
 * (gunicorn, uvicorn, celery, rq, arq, dramatiq, huey_consumer, hypercorn,
 * daphne); workers as facts.h says, with `workers:` of .ciguard.yml
 * matched against p->command.
 */
void cg_process_classify(const struct cg_config *config,
			 struct cg_process_fact *p);
/* What a Python process runs, as its command line names it. */
enum cg_py_entry_kind {
	CG_PY_ENTRY_NONE,   /* -c, a REPL, or nothing ciguard can name */
	CG_PY_ENTRY_MODULE, /* `python -m NAME`: target is NAME */
	CG_PY_ENTRY_SCRIPT, /* `python path.py`, `./path.py`: the path */
	/* a runner given the module of its app: `celery -A proj worker`,
	 * `arq app.worker.WorkerSettings`, `uvicorn app.main:app`,
	 * `dramatiq app.tasks`, `huey_consumer app.huey`: the dotted name
	 * before any `:` (it may end in an attribute of the module) */
	CG_PY_ENTRY_APP,
};

struct cg_py_entry {
	enum cg_py_entry_kind kind;
	const char *target; /* an argv word, or a part of one (see text) */
	size_t target_len;
	/* the runner's base name: "python3", "celery", "uvicorn", ... (an
	 * argv word) */
	const char *program;
	/* the runner logs that it started by itself (celery, rq, arq,
	 * dramatiq, huey, gunicorn, uvicorn, hypercorn, daphne, granian,
	 * faust): the app's own code need not */
	bool runner_logs_start;
};

/* What `p` runs (wrappers such as nohup, env, `poetry run` looked
 * through); kind NONE when it is no Python program or names nothing. */
void cg_process_python_entry(const struct cg_process_fact *p,
			     struct cg_py_entry *out);
/* The value the last `NAME=value` word in front of p's program gives
 * NAME (`NAME=1 python`, `env NAME=1 python`; the words a `sh -c`
 * string's exports add, see cg_fact_process_started), or NULL. */
const char *cg_process_env_word(const struct cg_process_fact *p,
				const char *name);
/* PYTHONUNBUFFERED's value turns it on, as CPython 3.7+ reads it: an
 * integer is on unless it is 0; any other non-empty text is on. */
bool cg_python_unbuffered_value(const char *value);

/* ---------------------------------------------------- file references */

enum cg_file_ref_kind {
	CG_REF_SCRIPT,	    /* a script a CI step runs */
	CG_REF_ENV_FILE,    /* compose env_file */
	CG_REF_VOLUME,	    /* a compose bind-mount source, or the `file:` of
			       a top-level secret or config */
	CG_REF_CONFIG_FILE, /* a -f/--file/--config file named in a step */
	CG_REF_MAPPINGS,    /* a WireMock mappings folder (a bind mount into
			       /home/wiremock) */
	CG_REF_K8S_FILE,    /* a configMapGenerator file */
	CG_REF_DOCKERFILE,  /* the Dockerfile a compose `build:` names */
	/* what CI itself makes, for the references after it */
	CG_REF_OUTPUT, /* a path a CI step writes or creates: a redirection
			  target, cp/mv/ln/install's destination, the
			  operands of touch/mkdir/tee, -o/--output, cmake -B,
			  `python -m venv DIR`, git clone's folder, what
			  actions/download-artifact or actions/cache restore
			  (`**`: anything); with no group, a GitLab
			  artifacts/cache path (a glob) every job may get */
	CG_REF_BUILD,  /* a command that may write files it does not name
			  (make, npm, a script of the repository, an action
			  other than checkout/setup-*); path: its name */
};

/* What git has of a referenced path, worked out by the model once every
 * file is read (file_refs.c); OUTPUT and BUILD rows stay UNKNOWN. */
enum cg_ref_git {
	CG_REF_GIT_UNKNOWN,   /* not a git work tree, or git failed */
	CG_REF_GIT_ABSENT,    /* nothing at the path in the work tree */
	CG_REF_GIT_TRACKED,   /* in the index (a folder: a file under it);
				 also a path inside a submodule */
	CG_REF_GIT_UNTRACKED, /* in the work tree, neither in the index nor
				 ignored (a folder: none of its files is
				 tracked, some are untracked) */
	CG_REF_GIT_IGNORED,   /* in the work tree and ignored (a folder:
				 not empty, none of its files tracked or
				 untracked) */
	CG_REF_GIT_EMPTY,     /* an empty folder: git keeps no folders */
};

#define CG_NO_GROUP ((size_t)-1)

struct cg_file_ref {
	enum cg_file_ref_kind kind;
	const char *path;    /* relative to the repository root, normalised;
				a folder has no trailing '/' */
	bool required;	     /* compose env_file `required: false` -> false */
	bool read_only;	     /* a volume mounted read-only (`:ro`) */
	bool folder;	     /* set by the model: a folder in the work tree */
	bool unplaced;	     /* an OUTPUT whose folder is not known (after a
				`cd $X`): path is as written, at any folder */
	enum cg_ref_git git; /* set by the model */
	/* a CI script's: its script group and item, rows in the order the
	 * job runs them; CG_NO_GROUP for compose, k8s and GitLab
	 * artifacts */
	size_t group, item;
	const struct cg_src *src;
	struct cg_pos pos; /* the reference */
	/* a volume's or mappings folder's path in the container (compose);
	 * NULL when not known */
	const char *target;
};

/* ------------------------------------------------------ script groups */

/* One script of a group, as the CI runs it. */
struct cg_script_item {
	struct cg_script *script; /* NULL for a step without `run:` */
	/* the shell that runs it and its options at the start: a GitHub
	 * step's effective shell; for GitLab, bash as gitlab-runner starts
	 * it (`set -o pipefail; set -o errexit`, shells/bash.go) */
	const struct cg_shell *shell;
	size_t scope;		       /* the env it runs with (step or job) */
	const struct cg_gh_step *step; /* GitHub; NULL for GitLab */
	/* GitHub: the step's `name:` (NULL when it has none) and the
	 * action it `uses:` (NULL for a `run:` step) */
	const char *name;
	const char *uses;
	struct cg_pos pos; /* the step (or the script key) */
};

enum cg_group_kind {
	CG_GROUP_GITHUB_JOB,
	CG_GROUP_GITHUB_ACTION, /* a composite action's steps */
	CG_GROUP_GITLAB_JOB,
};

/* A CI job: the scripts it runs in order, sharing its services. */
struct cg_script_group {
	enum cg_group_kind kind;
	const char *name; /* job id */
	size_t scope;	  /* the job's env scope */
	const struct cg_src *src;
	struct cg_pos pos; /* the job key */
	struct cg_script_item *items;
	size_t nitems, items_alloc;
	const struct cg_gh_job *gh;
	const struct cg_gl_job *gl;
	/* its service containers: indices into the service table */
	size_t *services;
	size_t nservices, services_alloc;
	/* the process rows its scripts start: [process_first, process_end)
	 * of the process table (CI rows are added a group at a time) */
	size_t process_first, process_end;
};

/*
 * Does the CI runner set `name`, never empty, in the environment of every
 * script of a group of `kind`, before any `env:` or `variables:`? GitHub:
 * its default environment variables (CI, GITHUB_SHA, RUNNER_OS, ... but
 * not GITHUB_HEAD_REF, empty outside pull requests); GitLab: the
 * predefined variables of every job (CI, CI_JOB_ID, CI_COMMIT_SHA, ...);
 * both: HOME and PATH.
 */
bool cg_runner_sets(enum cg_group_kind kind, const char *name);

/* ------------------------------------------------- documented matrix */

/* What a cell of a documented service matrix says (model/docs.c). */
enum cg_doc_value {
	CG_DOC_NONE,	 /* empty, n/a, -, —: nothing in that environment */
	CG_DOC_UNKNOWN,	 /* text that names no host ("TBD", a note) */
	CG_DOC_SECRET,	 /* `secret`, `secret:NAME`: from a secret */
	CG_DOC_ENDPOINT, /* a host, host:port or URL */
};

/*
 * One cell of a Markdown table that documents the service connectivity
 * matrix: a header with a Service column and at least one environment
 * column (CI, local dev, production). One row per cell of an environment
 * column; a cell the repository cannot contradict is still a row (its
 * value says so).
 */
struct cg_doc_cell {
	const char *service; /* the row's Service cell, as written */
	const char *column;  /* the column's header, as written */
	enum cg_environment environment;
	const char *text; /* the cell, Markdown removed */
	enum cg_doc_value value;
	const char *host;  /* ENDPOINT: lower-case, brackets removed */
	unsigned port;	   /* ENDPOINT: 0 when not written or implied */
	bool port_implied; /* the port is the URL scheme's default */
	const struct cg_src *src;
	struct cg_pos row_pos; /* the row, its first byte to its last */
	struct cg_pos pos;     /* the cell */
};

/* ---------------------------------------------------------- WireMock */

/*
 * WireMock reads every `.json` file under the `mappings/` folder of its
 * root (recursively) with its Jackson reader (comments and single quotes
 * allowed, see load.h), as one stub or as `{"mappings": [...]}`; a file it
 * cannot read stops the server. `bodyFileName` is a file under `__files/`
 * of the same root. The wiremock loader (wiremock.c) fills these tables.
 */

/* The URL matcher of a request pattern; ANY when it has none. */
enum cg_wm_url_kind {
	CG_WM_URL_ANY,
	CG_WM_URL,		/* url */
	CG_WM_URL_PATH,		/* urlPath */
	CG_WM_URL_PATTERN,	/* urlPattern */
	CG_WM_URL_PATH_PATTERN, /* urlPathPattern */
	CG_WM_URL_PATH_TEMPLATE /* urlPathTemplate */
};

/* One stub of a mapping file. */
struct cg_wm_mapping {
	const struct cg_src *src;
	/* the mappings folder it was found in, relative to the repository
	 * root: the stubs of one folder are one server's */
	const char *mappings_dir;
	struct cg_pos pos;	   /* the stub's object */
	bool has_request;	   /* `request` is an object */
	struct cg_pos request_pos; /* the `request` key (else pos) */
	enum cg_wm_url_kind url_kind;
	const char *url;    /* the matcher's value; NULL for ANY */
	const char *method; /* as written; "ANY" when not given */
	long priority;	    /* 5 (WireMock's default) when not given */
	const char *scenario, *required_state; /* NULL when not given */
	/* the whole request pattern as text, keys sorted and a missing
	 * method written as ANY: equal text, equal requests matched */
	const char *request_key;
	/* response.bodyFileName as written (NULL when none), where it is,
	 * and whether it holds `{{` (response templating: only known when
	 * a request comes) */
	const char *body_file;
	struct cg_pos body_file_pos;
	bool body_file_templated;
	/* the folder bodyFileName is read from (`__files/` of its root),
	 * NULL when not known, and whether that file is there */
	const char *files_dir;
	bool body_file_found;
	bool loads; /* WireMock loads its file: no problem of it is fatal */
	/* its `id` (else `uuid`) when a 36-character UUID, lower-cased;
	 * NULL when none */
	const char *id;
	struct cg_pos id_pos;
};

/* Something wrong with a mapping file, where it is. */
struct cg_wm_problem {
	const struct cg_src *src;
	struct cg_pos pos;
	const char *message;
	const char *subject; /* the offending text */
	/* WireMock refuses the file (the server does not start); else it
	 * loads and the stub answers wrongly */
	bool fatal;
};

/* Where a WireMock container gets its stubs from. */
enum cg_wm_source_kind {
	/* a repository folder bind-mounted at its root or its mappings
	 * folder (compose `volumes:`) */
	CG_WM_SOURCE_MOUNT,
	/* a CI step posts them (POST /__admin/mappings or
	 * /__admin/mappings/import), itself or in a repository script it
	 * runs (then pos is the step's reference to the script) */
	CG_WM_SOURCE_ADMIN_API,
	CG_WM_SOURCE_DOCKER_CP, /* a CI step copies them in (`docker cp`) */
};

struct cg_wm_source {
	enum cg_wm_source_kind kind;
	size_t service; /* the container: a row of the service table */
	/* MOUNT: the folder as mounted (relative to the repository root),
	 * something is there, and the mapping files WireMock finds in it.
	 * `unlisted`: files are there on disk but none is among the
	 * repository's files (git ignores them): nmapping_files does not
	 * count them */
	const char *path;
	bool exists, unlisted;
	size_t nmapping_files;
	const struct cg_src *src;
	struct cg_pos pos; /* the mount's source, or the command */
};

struct cg_wm_facts {
	struct cg_wm_mapping *mappings;
	size_t nmappings, mappings_alloc;
	struct cg_wm_problem *problems;
	size_t nproblems, problems_alloc;
	struct cg_wm_source *sources;
	size_t nsources, sources_alloc;
	size_t nmapping_files; /* mapping files read, valid or not */
};

/* ------------------------------------------------------------ Python */

/*
 * A Python file of the repository, read by the python loader (python.c,
 * full layer only; `--quick` never opens one): its structure (load.h,
 * "python structure": defs and their decorators, calls and their
 * arguments, with/try blocks, strings, assignments, imports), its strings
 * in the model's arena. Rows refer to each other by index within `code`.
 * With a code_visit (cg_model_options: what `ciguard check` does) the
 * structure and the source text live only while it is called, and the
 * row keeps the facts below and the module's name and path.
 * Files under virtualenvs, site-packages, node_modules, __pycache__, tox
 * and setuptools build trees are not read.
 *
 * The env variables it reads are rows of the env table (CG_ENV_USE,
 * CG_PLACE_CODE, scope CG_NO_SCOPE; has_default when a default is given):
 * os.environ["X"], os.environ.get("X"[, d]), os.environ.setdefault,
 * os.getenv("X"[, d]), `"X" in os.environ` (a default: it checks), the
 * same through `from os import environ/getenv` and aliases; django-environ
 * `env("X")`, `env.str("X", default=...)` where `env` is bound to
 * environ.Env(...) in the file (its keyword schemes give defaults) or
 * imported by that name; pydantic BaseSettings fields (upper-cased, after
 * the env_prefix of `model_config = SettingsConfigDict(env_prefix=...)`,
 * `class Config: env_prefix = ...` or the class keywords; an alias,
 * validation_alias or v1 `env=` of Field() names the variable itself; a
 * field with a default has one).
 */
struct cg_py_file {
	const struct cg_src *src;
	/*
	 * Its dotted module name, as Python imports it with the first folder
	 * up that is not a package (has no __init__.py) on sys.path:
	 * `app/worker/pool.py` with app/ and app/worker/ packages is
	 * "app.worker.pool", `app/worker/__init__.py` is "app.worker", a
	 * `__main__.py` is "pkg.__main__" (what `python -m pkg` runs).
	 */
	const char *module;
	bool package; /* an __init__.py */
	bool main;    /* a __main__.py */
	/* its structure; empty after the model's code_visit saw it (see
	 * cg_model_options) */
	struct cg_py_module code;
};

struct cg_py_facts {
	struct cg_py_file *files; /* in the order they were read */
	size_t nfiles, files_alloc;
	/* the loader's, from one file to the next */
	struct cg_py_tokens tokens;
	struct cg_py_scratch scratch;
	/* a visited module's structure, until the next one */
	struct cg_arena code_arena;
};

/*
 * The Python file that `python -m NAME` (or an import of NAME) would run,
 * for dotted `name`: the file whose module is `name` (for a package, its
 * __main__.py when `main`, else its __init__.py), else one whose path
 * (without .py, `/` read as `.`) ends with `name` at a folder boundary;
 * NULL when none.
 */
const struct cg_py_file *cg_py_find_module(const struct cg_model *m,
					   const char *name, bool main);
/*
 * `dotted` (a callee or name as written in def `func` of `f`, CG_PY_NONE:
 * module level) with its first name resolved through the imports that
 * file and the enclosing defs make: `t.sleep` -> "time.sleep" after
 * `import time as t`, `sleep` -> "time.sleep" after `from time import
 * sleep`, `aioredis.Redis` -> "redis.asyncio.Redis" after `import
 * redis.asyncio as aioredis`. A name no import binds is left as it is.
 * Relative imports keep their dots (".x.y"). Writes to `out` (reset
 * first); returns true when an import resolved it.
 */
bool cg_py_canonical(const struct cg_py_file *f, uint32_t func,
		     const char *dotted, struct cg_buf *out);
/* True when def `inner` of `code` is `outer` or lies inside it. */
bool cg_py_def_within(const struct cg_py_module *code, uint32_t inner,
		      uint32_t outer);

/* ------------------------------------------------------------ tables */

struct cg_facts {
	struct cg_scope *scopes;
	size_t nscopes, scopes_alloc;
	struct cg_env_fact *env;
	size_t nenv, env_alloc;
	struct cg_service_fact *services;
	size_t nservices, services_alloc;
	struct cg_process_fact *processes;
	size_t nprocesses, processes_alloc;
	struct cg_file_ref *file_refs;
	size_t nfile_refs, file_refs_alloc;
	struct cg_script_group *groups;
	size_t ngroups, groups_alloc;
	struct cg_doc_cell *doc_cells;
	size_t ndoc_cells, doc_cells_alloc;
	struct cg_wm_facts wiremock; /* freed by its loader's release */
	struct cg_py_facts python;   /* freed by its loader's release */
	/* per scope, the indices of its env DEF and LATER rows (built on
	 * first lookup) */
	size_t **scope_defs;
	size_t *scope_ndefs;
	size_t nscope_index;
};

/* ------------------------------------------- for loaders (filling) */

/* Append a row; returns its index. Strings are copied into the model's
 * arena; positions are copied. */
size_t cg_fact_scope(struct cg_model *m, enum cg_scope_kind kind, size_t parent,
		     const char *name, const struct cg_src *src,
		     const struct cg_pos *pos);
void cg_fact_scope_import(struct cg_model *m, size_t scope, size_t imported);
/* Record the image container scope `scope` runs (copied). */
void cg_fact_scope_image(struct cg_model *m, size_t scope, const char *image);
size_t cg_fact_env(struct cg_model *m, const struct cg_env_fact *row);
size_t cg_fact_service(struct cg_model *m, const struct cg_service_fact *row);
size_t cg_fact_process(struct cg_model *m, const struct cg_process_fact *row);
/*
 * Classify (cg_process_classify) and add the process a service or
 * container starts with `row->argv`. A shell given a script string
 * (`sh -c "..."`, `bash -lc`, after wrappers) runs what the string says:
 * the rows are then the commands that keep running, those of the
 * script's last pipeline and of each it starts with `&` (every command
 * of a pipeline: `python app.py | tee log` runs python too), at row's
 * position. Such a row's argv
 * starts with the `NAME=value` words the script puts in the command's
 * environment: what it exports before it for sure (`export NAME=value`,
 * or `NAME=value` then `export NAME`, at the top level, first in its
 * and-or list or after `&&`s only; `unset NAME` gives `NAME=`), then the
 * command's own assignments. Returns the first row.
 */
size_t cg_fact_process_started(struct cg_model *m, struct cg_process_fact *row);
size_t cg_fact_file_ref(struct cg_model *m, const struct cg_file_ref *row);
size_t cg_fact_group(struct cg_model *m, const struct cg_script_group *row);
void cg_fact_group_item(struct cg_model *m, size_t group,
			const struct cg_script_item *item);
void cg_fact_group_service(struct cg_model *m, size_t group, size_t service);
size_t cg_fact_doc_cell(struct cg_model *m, const struct cg_doc_cell *row);
void cg_facts_release(struct cg_facts *f);

/*
 * Classify a value as written in a file of `place` (see cg_value_kind):
 * `${{ secrets.X }}` / `${{ vars.X }}` (SECRET), `${{ env.X }}` (VARIABLE),
 * other `${{ }}` (EXPRESSION), `${X}` / `$X` interpolations (INTERP or
 * INTERP_DEFAULT; a value that is only `$X` or `${X}` is VARIABLE), else
 * LITERAL. *ref_out gets the referenced name (arena) or NULL.
 */
enum cg_value_kind cg_value_classify(struct cg_model *m, const char *value,
				     const char **ref_out);

#endif
