/*
 * Inside the YAML loader (yaml.c, yaml_fast.c): the events a tree is built
 * from. libyaml's parser is one source of them; yaml_fast.c's scanner,
 * which reads the block-style YAML most CI files are written in, is the
 * other. Both give the same events with the same marks for the same text:
 * tests/unit/load/test_yaml_fast.c and fuzz/fuzz_yaml.c hold them to it.
 */
#ifndef CG_YAML_INT_H
#define CG_YAML_INT_H

#include "load/load.h"

/* A position: byte offset, and the 1-based line and column (code points)
 * that libyaml's mark gives after the loader's conversion. */
struct cg_ymark {
	size_t off;
	uint32_t line, col;
};

enum cg_yev_type {
	CG_YEV_DOC_START,
	CG_YEV_DOC_END,
	CG_YEV_SCALAR,
	CG_YEV_ALIAS,
	CG_YEV_SEQ_START,
	CG_YEV_MAP_START,
	CG_YEV_SEQ_END,
	CG_YEV_MAP_END,
};

struct cg_yev {
	enum cg_yev_type type;
	struct cg_ymark start, end;
	const char *tag;    /* resolved, NUL-terminated, or NULL */
	const char *anchor; /* NUL-terminated or NULL; an alias's name */
	const char *value;  /* a scalar's value (len bytes, may hold NUL) */
	size_t len;
	enum cg_scalar_style style;
};

struct cg_ybuilder;

/* Build from one event: 0, or an error (cg_error_set) that ends the load. */
int cg_ybuild_event(struct cg_ybuilder *b, const struct cg_yev *ev);

/*
 * Read `src` with the fast scanner, feeding `b`. 0: the whole stream was
 * read. Else the text holds something the scanner leaves to libyaml (any
 * error too), and the value is the line of yaml_fast.c that stopped; the
 * caller then drops what was built and starts again with libyaml, which
 * gives the exact error. Sets no error of its own (an error of the builder
 * stays set, for libyaml to set again).
 */
int cg_yaml_fast_scan(struct cg_ybuilder *b, const struct cg_src *src,
		      bool ascii);

/* How cg_yaml_load_how reads: as cg_yaml_load_in does (the fast scanner,
 * and libyaml where it stops), or with libyaml or the scanner alone (the
 * tests' and the fuzzer's comparisons). CG_YAML_FAST_ONLY returns
 * cg_yaml_fast_scan's value when the scanner stops. */
enum cg_yaml_how { CG_YAML_AUTO, CG_YAML_LIBYAML, CG_YAML_FAST_ONLY };

int cg_yaml_load_how(struct cg_tree *out, const struct cg_src *src,
		     const struct cg_load_limits *lim, struct cg_arena *arena,
		     enum cg_yaml_how how);

/* A double-quoted escape: the code point of \N \_ \L \P (else 0), and
 * the hex digits of \x \u \U (2, 4, 8; else 0). */
uint32_t cg_yaml_named_escape(char c);
size_t cg_yaml_escape_digits(char c);

/* A character of an anchor's or alias's name, as libyaml reads them. */
bool cg_yaml_anchor_char(char c);

/* Are two trees the same node for node (kind, style, tag, value, size,
 * positions)? If not, false, with what differs first in why. */
bool cg_yaml_same_tree(const struct cg_tree *a, const struct cg_tree *b,
		       char *why, size_t nwhy);

#endif
