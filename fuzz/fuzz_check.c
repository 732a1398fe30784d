/*
 * libFuzzer target for the whole check of one file: the input is written
 * as .github/workflows/ci.yml (or, when it starts with '#gitlab', as
 * .gitlab-ci.yml) in a scratch folder, modelled and checked with every
 * rule. It must never crash, and every finding must point inside the file
 * (nested `bash -c` scripts map their positions through the outer one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/diag_list.h"
#include "model/model.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	check(f != NULL, "cannot write the scratch file");
	check(fwrite(data, 1, size, f) == size, "short write");
	fclose(f);
}

/* at exit: the scratch folder goes */
static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/.github/workflows/ci.yml", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.gitlab-ci.yml", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.github/workflows", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.github", root);
	rmdir(path);
	rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char gh[128], gl[128];
	bool gitlab = size >= 7 && !memcmp(data, "#gitlab", 7);
	struct cg_model_options mo;
	struct cg_check_options co;
	struct cg_diag_list out;
	struct cg_model m;

	if (!root[0]) {
		char dir[128];

		snprintf(root, sizeof(root), "/tmp/ciguard-fuzz-check-XXXXXX");
		check(mkdtemp(root) != NULL, "mkdtemp");
		snprintf(dir, sizeof(dir), "%s/.github", root);
		mkdir(dir, 0755);
		snprintf(dir, sizeof(dir), "%s/.github/workflows", root);
		mkdir(dir, 0755);
		atexit(cleanup);
	}
	snprintf(gh, sizeof(gh), "%s/.github/workflows/ci.yml", root);
	snprintf(gl, sizeof(gl), "%s/.gitlab-ci.yml", root);
	unlink(gh);
	unlink(gl);
	write_file(gitlab ? gl : gh, data, size);

	memset(&mo, 0, sizeof(mo));
	mo.root = root;
	mo.layer = CG_LAYER_FULL;
	memset(&co, 0, sizeof(co));
	co.layer = CG_LAYER_FULL;
	cg_diag_list_init(&out);
	if (cg_model_build(&m, &mo) == 0) {
		cg_check_run(&out, &m, &co);
		cg_filter_suppressions(&out, &m, &co);
		for (size_t i = 0; i < out.n; i++) {
			const struct cg_pos *p = &out.items[i].pos;
			const struct cg_src *src =
			    cg_model_find_src(&m, out.items[i].path);

			check(out.items[i].message && out.items[i].message[0],
			      "finding without a message");
			if (!src)
				continue;
			check(p->line >= 1 && p->line <= src->nlines &&
				  p->col >= 1,
			      "finding outside the file");
			check(p->end_line > p->line ||
				  (p->end_line == p->line &&
				   p->end_col >= p->col),
			      "finding ends before it starts");
		}
	}
	cg_model_release(&m);
	cg_diag_list_release(&out);
	return 0;
}
