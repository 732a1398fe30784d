/*
 * matrix: the service connectivity matrix, derived from the fact tables
 * once every loader ran. One row per service (redis, postgres, wiremock,
 * ... by kind; a service of another kind, or the application itself, by
 * its name), one column per environment (CI, local, production); a cell
 * holds every place that environment says where the service is, the one
 * to show first.
 *
 * A cell's values, first the one to show:
 *   CI:         the URL variables CI sets (workflow, job, step env), then
 *               where each job reaches its service containers
 *               (localhost:PUBLISHED on the runner, NAME:PORT in a
 *               container job or GitLab);
 *   local:      the example env file (`.env.example`), a committed `.env`,
 *               then compose's published host ports (localhost:PUBLISHED),
 *               then the URLs compose gives its containers, then where
 *               the containers reach each service (NAME:CONTAINER_PORT);
 *   production: the URL variables of Kubernetes containers (and of
 *               ConfigMaps and Secrets), then the Services (NAME:PORT).
 * A variable points at a kind by its name (model/service_vars.h, with
 * .ciguard.yml `services:`) or by its URL's scheme. A value from a
 * secret (`${{ secrets.X }}`, `${{ vars.X }}`, a secretKeyRef, a GitLab
 * CI/CD variable, a Kubernetes Secret's key) keeps no host or port, only
 * the variable's name: it prints as `secret:NAME`. ciguard never reads a
 * secret's value.
 *
 * The matrix is built from the model and owns its strings; the model must
 * outlive it (positions and sources point into it). Building reads only,
 * so rules on several threads may each build one (or share one through
 * their memo).
 */
#ifndef CG_MATRIX_H
#define CG_MATRIX_H

#include "model/model.h"
#include "model/service_vars.h"

#define CG_MATRIX_NENV 3 /* CI, local, production */

enum cg_matrix_origin {
	CG_MATRIX_FROM_ENV,	/* an env variable's value */
	CG_MATRIX_FROM_SERVICE, /* where a service is published */
};

struct cg_matrix_value {
	enum cg_matrix_origin origin;
	char *host;		       /* NULL when not known (owned) */
	unsigned port;		       /* 0 when not known */
	bool port_implied;	       /* the URL's scheme's default port */
	const char *secret;	       /* from a secret: the variable's name */
	const struct cg_env_fact *def; /* FROM_ENV */
	const struct cg_service_fact *svc; /* FROM_SERVICE */
	const struct cg_src *src;
	struct cg_pos pos; /* the variable, or the service's port (key) */
	unsigned rank;	   /* lower is shown first */
};

struct cg_matrix_cell {
	struct cg_matrix_value *values; /* first: the one to show */
	size_t n, alloc;
};

struct cg_matrix_row {
	char *service; /* "redis", or a service's name (owned) */
	enum cg_service_kind kind;
	struct cg_matrix_cell cells[CG_MATRIX_NENV];
};

struct cg_matrix {
	struct cg_matrix_row *rows; /* known kinds by name, then others */
	size_t n, alloc;
};

/* The column of environment `e` (CI 0, local 1, production 2), or -1. */
int cg_matrix_column(enum cg_environment e);
/* The environment of column `col`. */
enum cg_environment cg_matrix_environment(int col);

/* Build the matrix of `m` into `out` (release with cg_matrix_release).
 * Never fails. */
void cg_matrix_build(struct cg_matrix *out, const struct cg_model *m);
void cg_matrix_release(struct cg_matrix *mx);

/* The row named `service` (a kind's name or alias: "postgresql" finds
 * "postgres"; case-insensitive), or NULL. */
const struct cg_matrix_row *cg_matrix_find(const struct cg_matrix *mx,
					   const char *service);

/* "host:port", "host", "secret:NAME" or "?" (nothing known) into `out`. */
void cg_matrix_value_text(const struct cg_matrix_value *v, struct cg_buf *out);

/* The kind variable `def` points at (by its URL's scheme, else by its
 * name: DATABASE_URL=mysql://... is MySQL) and the role its name plays;
 * CG_SERVICE_OTHER when none. */
enum cg_service_kind cg_matrix_def_kind(const struct cg_model *m,
					const struct cg_env_fact *def,
					enum cg_svc_role *role);

/* `$X` / `${X}` in `d`'s value are interpolated where it is read: compose
 * and env files (`${X:-d}`, `${X:?err}` then leave that part unknown, as
 * do names the repository does not set), GitLab variables. */
bool cg_matrix_value_expands(const struct cg_model *m,
			     const struct cg_env_fact *d);

/* The kind of service `s` runs: its own, or for a compose service with no
 * image (an override file's `db:` adding ports), that of the service of
 * the same name in another compose file of its folder, which compose
 * merges it with. */
enum cg_service_kind cg_matrix_service_kind(const struct cg_model *m,
					    const struct cg_service_fact *s);

#endif
