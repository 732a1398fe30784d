/*
 * loader: one kind of file the model reads, as data [ctags parser
 * definitions]. loaders.def lists every loader once; model.c walks that
 * table to claim files, parse them in the loader's format and hand them to
 * its build function, which fills typed views and the fact tables. A
 * loader never knows about rules.
 */
#ifndef CG_LOADER_H
#define CG_LOADER_H

#include "model/model.h"

struct cg_loader {
	const char *id;
	/* globs over the path relative to the root (cg_glob_match: `**`
	 * crosses folders, `*` does not); NULL-terminated */
	const char *const *patterns;
	/* a finer test once a pattern matched, or NULL */
	bool (*claims)(const char *path);
	/*
	 * A cheap test of the file's text before it is parsed, or NULL.
	 * False passes the file on to the next loader that claims it (none:
	 * it is not kept), so a loader with broad patterns (`**.yaml`) pays
	 * a scan, not a parse, for each file that is not its own. It may set
	 * *why to say why it declined ("a Helm template, skipped": the model
	 * notes it after the path). It may run on a worker thread (check
	 * --jobs), so it only reads `m`'s options and paths.
	 */
	bool (*sniff)(const struct cg_model *m, const struct cg_src *src,
		      const char **why);
	enum cg_file_format format;
	/* its files are handed over as they are (cg_src_check's
	 * CG_SRC_BYTES): not skipped for NUL bytes or bad UTF-8, the loader
	 * decodes them (WireMock's reader takes UTF-16 and UTF-32, and
	 * refuses some bad UTF-8 but not all) */
	bool bytes;
	/* QUICK loaders run in both layers, FULL ones only in the full */
	enum cg_layer layer;
	/*
	 * Optional, right after the parse and on the same thread (a worker
	 * of check --jobs): parse the file's scripts ahead with
	 * cg_prepared_add, for build's cg_script_new to take. It reads only
	 * the file. What it misses, build parses itself; what build does
	 * not take is dropped: the model is the same either way.
	 */
	void (*prepare)(struct cg_prepared *p, const struct cg_file *f);
	/* one parsed file (f->loaded) -> views and facts */
	void (*build)(struct cg_model *m, struct cg_file *f);
	/* after every file is built: cross-file resolution; may read more
	 * files with cg_model_read_file */
	void (*finish)(struct cg_model *m);
	/* free what build/finish kept outside the arena */
	void (*release)(struct cg_model *m);
};

/* Scripts a loader's prepare made ahead of its build. */
struct cg_prepared_script {
	const struct cg_node *node; /* the scalar it was parsed from */
	const struct cg_src *src;
	struct cg_script *script; /* NULL: it could not be parsed */
	char *note;		  /* for the model's notes, or NULL */
	bool taken;		  /* build has it (and the note) */
};

struct cg_prepared {
	struct cg_prepared_script *items; /* by node, once sorted */
	size_t n, alloc;
	struct cg_arena *arena;		/* the preparing thread's */
	const struct cg_config *config; /* the model's (read only) */
};

/* Parse the scalar `node` of `src` as a script, into p->arena, and find
 * its process starts and file references (cg_ci_script_facts_ahead). */
void cg_prepared_add(struct cg_prepared *p, const struct cg_src *src,
		     const struct cg_node *node);
void cg_prepared_sort(struct cg_prepared *p);
/* Free what build did not take. */
void cg_prepared_release(struct cg_prepared *p);

#define CG_LOADER(name) extern const struct cg_loader cg_loader_##name;
#include "model/loaders.def"
#undef CG_LOADER

extern const struct cg_loader *const cg_loaders[];
extern const size_t cg_nloaders;

/*
 * The file at `path` (relative to the root) read and built with `loader`,
 * once: a file already read is returned as it is. NULL when the file is
 * not among the repository's files (untracked-and-ignored, missing), is
 * ignored by .ciguard.yml `paths.ignore`, cannot be read (a note says
 * why), or the loader's sniff declines it. The path is normalised first
 * (`./a/../b` -> `b`); one that leaves the root is refused.
 */
struct cg_file *cg_model_read_file(struct cg_model *m, const char *path,
				   const struct cg_loader *loader);
/*
 * `rel`, written in a file of folder `dir` ("" at the root), as a path
 * relative to the root with `.`, `..` and empty segments resolved. NULL
 * when `rel` is empty or absolute, climbs out of the root, or names the
 * root itself. Caller frees.
 */
char *cg_model_path(const char *dir, const char *rel);
/* True when `path` (normalised) is one of the repository's files, or a
 * folder holding one. */
bool cg_model_has_path(const struct cg_model *m, const char *path);

#endif
