/* Between the files of src/model only. */
#ifndef CG_MODEL_INT_H
#define CG_MODEL_INT_H

#include "model/model.h"

bool cg_is_workflow_path(const char *path);
bool cg_is_action_path(const char *path);
void cg_collect_suppressions(struct cg_model *m, const struct cg_file *f);
struct cg_prepared;
void cg_gh_prepare(struct cg_prepared *p, const struct cg_file *f);
void cg_gh_build(struct cg_model *m, struct cg_file *f);
void cg_gh_release(struct cg_model *m);
/* Interpret a GitHub `shell:` value (keyword or custom template). */
void cg_gh_shell_parse(struct cg_shell *sh, const struct cg_node *node,
		       const struct cg_src *src);
/* GitLab CI: register a loaded file, then build every job once all
 * files (and their local includes) are registered. */
void cg_gl_register(struct cg_model *m, struct cg_file *f);
void cg_gl_build_jobs(struct cg_model *m);
void cg_gl_includes(const struct cg_node *root, struct cg_strlist *out);
/* A top-level key of a GitLab file that is no job (`default`, `stages`). */
bool cg_gl_reserved(const char *key);
void cg_gl_release(struct cg_model *m);
/* Parse a YAML scalar as a script; NULL when it is not a scalar (or it
 * cannot be parsed: a note says why). Taken from m->prepared when a
 * loader's prepare made it already. */
struct cg_script *cg_script_new(struct cg_model *m, const struct cg_src *src,
				const struct cg_node *node);
/* The same without a model, for a loader's prepare (any thread): the
 * nodes live in `arena`; *note is what the model must note (caller frees),
 * else NULL. */
struct cg_script *cg_script_build(struct cg_arena *arena,
				  const struct cg_src *src,
				  const struct cg_node *node, char **note);
/*
 * The items of one GitLab job joined into the one script its shell runs
 * (see struct cg_script), as gitlab-runner writes it: each non-empty item
 * after an `echo` of itself (so $? is 0 when an item starts), and with
 * `check_each` (FF_ENABLE_BASH_EXIT_CODE_CHECK) a check of $? after each.
 * NULL when n is 0 or it cannot be parsed.
 */
struct cg_script *cg_script_join(struct cg_model *m,
				 struct cg_script *const *items, size_t n,
				 bool check_each);
void cg_script_free(struct cg_script *s);
/* Process starts and file references of a CI script (ci_scripts.c), in
 * env scope `scope`, item `item` of script group `group`, the script
 * starting in folder `workdir` of the repository ("" the root; NULL when
 * not known: no path is taken then, but what it writes is kept). */
void cg_ci_script_facts(struct cg_model *m, const struct cg_script *s,
			size_t scope, size_t group, size_t item,
			const char *workdir);
/* The same walk ahead, on any thread (a loader's prepare): the rows are
 * kept in s->facts_ahead for cg_ci_script_facts, which then only adds
 * them. Reads only `config`. */
void cg_ci_script_facts_ahead(const struct cg_config *config,
			      struct cg_script *s);
void cg_script_facts_free(struct cg_script_facts *a);
/* USE rows (place CI, scope `scope`) for the variables the values under
 * `root` of a CI file read: `$X`, `${X}`, and for `github` `env.X` in
 * expressions (ci_uses.c). */
void cg_ci_env_uses(struct cg_model *m, const struct cg_node *root,
		    const struct cg_src *src, size_t scope, bool github);
/* What git has of each path the file references name (file_refs.c),
 * after every file is read. */
void cg_file_refs_settle(struct cg_model *m);

/* ports.c: Docker's `ports:` publications into port maps. */
struct cg_ports {
	struct cg_port_map *v;
	size_t n, alloc;
};
/* "N" or "N-M" (n bytes) -> [lo, hi]; false when it is neither (an
 * interpolation, text) or out of range. */
bool cg_port_range(const char *s, size_t n, unsigned *lo, unsigned *hi);
void cg_ports_add(struct cg_ports *ps, unsigned container, unsigned published,
		  const struct cg_pos *pos);
/* Container ports [clo, chi] published on host ports [hlo, hhi] (hlo 0:
 * not published): equal-length ranges pair up, a host range for one
 * container port is some port of it (published_unknown). */
void cg_ports_map(struct cg_ports *ps, unsigned clo, unsigned chi, unsigned hlo,
		  unsigned hhi, const struct cg_pos *pos);
/* The short syntax `[[ip:][host[-range]]:]container[-range][/proto]`, the
 * ip maybe `[v6]`, already interpolated: text left with a `$` (an
 * unset variable, a GitHub expression) publishes its container port, when
 * that can be read, at a host port that cannot be told. */
void cg_ports_short(struct cg_ports *ps, const char *s,
		    const struct cg_pos *pos);

#endif
