/*
 * Service variables and endpoints, for the service rules, the service
 * connectivity matrix and the commands that print it: which env variables
 * point at which kind of service, what a value says about the host and
 * port it reaches, and whether that reaches a service of a CI job.
 *
 * Names. Built in: redis: REDIS_URL, REDIS_HOST with REDIS_PORT, VALKEY_URL,
 * VALKEY_HOST with VALKEY_PORT, and CELERY_BROKER_URL or CACHE_URL when
 * their value has a redis scheme; postgres: DATABASE_URL,
 * SQLALCHEMY_DATABASE_URI, POSTGRES_HOST with POSTGRES_PORT, PGHOST with
 * PGPORT; wiremock: WIREMOCK_URL. `services:` in .ciguard.yml names the
 * variables a kind's code reads: for that kind its names replace the
 * built-in ones where the question is "does the code get a URL"
 * (CG_SVC_NAMES_APP, service-url-missing) and add to them where the
 * question is "does any variable that looks like this service's URL come
 * from a secret or point elsewhere" (CG_SVC_NAMES_ALL). A configured name
 * ending in HOST or PORT is a host or port variable, any other a URL.
 * Besides names, a value whose scheme names a kind (redis://, rediss://,
 * postgres://, postgresql+psycopg://, mysql://, amqp://) points at that
 * kind, whatever the variable is called.
 *
 * Reaching. A GitHub job on the runner reaches a service at localhost
 * (127.0.0.1, ::1) and a published host port; a GitHub job with
 * `container:` and every GitLab job at one of the service's host names
 * (its key; GitLab: its alias or the names derived from its image) and
 * the port it listens on in its container. A URL without a port means its
 * scheme's default port (redis 6379, postgresql 5432, mysql 3306, amqp
 * 5672, http 80, https 443).
 */
#ifndef CG_MODEL_SERVICE_VARS_H
#define CG_MODEL_SERVICE_VARS_H

#include "model/model.h"

enum cg_svc_role {
	CG_SVC_NONE,
	CG_SVC_URL,  /* a URL, or host[:port] */
	CG_SVC_HOST, /* a host name; its port in the partner PORT name */
	CG_SVC_PORT,
};

enum cg_svc_names {
	/* the built-in names and the configuration's */
	CG_SVC_NAMES_ALL,
	/* the configuration's when it lists the kind, else the built-in */
	CG_SVC_NAMES_APP,
};

/*
 * The role `name` plays for services of kind `k` (CG_SVC_NONE: none).
 * *needs_scheme (may be NULL) is set when the name counts only if its
 * value's scheme names `k` (CELERY_BROKER_URL, CACHE_URL).
 */
enum cg_svc_role cg_svc_var_role(const struct cg_model *m,
				 enum cg_service_kind k, const char *name,
				 enum cg_svc_names which, bool *needs_scheme);

/* True when some name (built-in or configured) points at kind `k`. */
bool cg_svc_kind_named(const struct cg_model *m, enum cg_service_kind k,
		       enum cg_svc_names which);

/* True when .ciguard.yml `services:` lists kind `k`. */
bool cg_svc_kind_configured(const struct cg_model *m, enum cg_service_kind k);

/* "`REDIS_URL`, `REDIS_HOST`, ..." for messages (URL and HOST names). */
void cg_svc_names_text(const struct cg_model *m, enum cg_service_kind k,
		       enum cg_svc_names which, struct cg_buf *out);

/* The PORT name that goes with HOST name `host` (REDIS_HOST ->
 * REDIS_PORT, PGHOST -> PGPORT) into `out`; false when it has none. */
bool cg_svc_port_partner(const char *host, struct cg_buf *out);

/* ---------------------------------------------------------- values */

/*
 * What a value says about where it points. Expressions are resolved where
 * the repository says what they are: `${{ env.X }}` and, in GitLab
 * values and in shell words, `$X` / `${X}` through the env a consumer
 * sees; `${{ job.services.ID.ports[N] }}` is the port GitHub published for
 * container port N of service ID. What stays unknown leaves the host or
 * the port unread.
 */
struct cg_svc_endpoint {
	char *text;	 /* the value, resolved where possible (owned) */
	char scheme[32]; /* lower-case; "" when none */
	bool network;	 /* false: sqlite:, file:, unix: ... */
	bool http;	 /* http, https */
	enum cg_service_kind scheme_kind; /* OTHER when none or http */
	char *host;	   /* NULL when unknown or absent (owned) */
	unsigned port;	   /* 0 when unknown or absent */
	bool port_implied; /* `port` is the scheme's default */
	bool port_written; /* the text has a port, maybe unread */
	/* the host or port comes from a secret, a `vars.` value or a GitLab
	 * CI/CD setting */
	bool from_secret;
	/* `${{ job.services.ID.ports[N] }}`: ID's index in the service
	 * table, else CG_NO_INDEX */
	size_t port_service;
	/* [host_start, port_end) is the host:port part of `text` */
	size_t host_start, port_end;
};

/*
 * Read `value` as a consumer in env scope `scope` of group `g` sees it
 * (`g` NULL: outside CI, a compose, Kubernetes or env file value, where
 * `${{ }}` is unknown). `shell` says `$X` is expanded (a shell word, or a
 * GitLab value; a GitHub `env:` value is taken as written). Returns false (and
 * fills nothing that needs releasing) when the value is not a URL or
 * host[:port].
 */
bool cg_svc_endpoint_read(const struct cg_model *m,
			  const struct cg_script_group *g, size_t scope,
			  const char *value, bool shell,
			  struct cg_svc_endpoint *out);
void cg_svc_endpoint_release(struct cg_svc_endpoint *e);

/* The default port of a scheme ("redis" 6379, "https" 443 ...), 0. */
unsigned cg_svc_scheme_port(const char *scheme);

/* localhost, 127.x.x.x, ::1, [::1], 0.0.0.0 */
bool cg_svc_host_is_local(const char *host);

/* ------------------------------------------------------- reaching */

enum cg_svc_verdict {
	CG_SVC_REACHES,
	CG_SVC_WRONG_HOST,
	CG_SVC_WRONG_PORT,
	CG_SVC_NOT_PUBLISHED, /* job on the runner; the service publishes
				 no port */
	CG_SVC_RANDOM_PORT,   /* job on the runner; only a bare container
				 port: published on a random host port */
};

/* The group's jobs reach services through a container network (GitHub
 * `container:`, GitLab), not localhost. */
bool cg_svc_in_container(const struct cg_model *m,
			 const struct cg_script_group *g);

/*
 * Does host `host` (NULL: not judged) and port `port` (0: not judged;
 * `port_service` != CG_NO_INDEX: the port GitHub published for that
 * service) reach service `service` from a job of group `g`?
 */
enum cg_svc_verdict cg_svc_reach(const struct cg_model *m,
				 const struct cg_script_group *g,
				 size_t service, const char *host,
				 unsigned port, size_t port_service);

/*
 * Where a job of `g` reaches `service`, "host:port", into `out`:
 * localhost:6380, postgres:5432,
 * localhost:${{ job.services.redis.ports[6379] }}. False (and `out` gets
 * the host only) when no port can be named: a runner job and a service
 * that publishes none, or a kind whose port is unknown.
 */
bool cg_svc_expected(const struct cg_model *m, const struct cg_script_group *g,
		     size_t service, struct cg_buf *out);

/* A value for a variable of `role` that reaches `service` from `g`:
 * "redis://localhost:6379", "postgresql://postgres:5432", "localhost". */
void cg_svc_suggest(const struct cg_model *m, const struct cg_script_group *g,
		    size_t service, enum cg_svc_role role, struct cg_buf *out);

/* The first service of kind `k` among `g`'s (its index in the service
 * table), or CG_NO_INDEX. */
size_t cg_svc_first_of_kind(const struct cg_model *m,
			    const struct cg_script_group *g,
			    enum cg_service_kind k);

/* The container port a service of `s` listens on: its first mapped
 * container port, else its kind's default; 0 when unknown. */
unsigned cg_svc_container_port(const struct cg_service_fact *s);

#endif
