/*
 * Unit tests for src/load/yaml_fast.c: the fast scanner gives the tree
 * libyaml gives (values, styles, tags, positions), or leaves the file to
 * libyaml. Every case is loaded both ways and the two trees compared node
 * by node; so is every YAML file of the repository.
 *
 * Run with file arguments, it compares those files and prints each
 * difference (the corpus check in the note): test_yaml_fast FILE...
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "load/yaml_int.h"

static char diff[512];

enum verdict { SAME, LEFT_TO_LIBYAML, DIFFERENT };

/* Load text both ways: SAME (the scanner read it, same tree),
 * LEFT_TO_LIBYAML (it stopped), or DIFFERENT (with `diff` set). */
static enum verdict compare(const char *path, const char *text, size_t len)
{
	struct cg_src src;
	struct cg_tree lib, fast;
	int rl, rf;
	enum verdict v = SAME;

	cg_src_init_mem(&src, path, text, len);
	rl = cg_yaml_load_how(&lib, &src, NULL, NULL, CG_YAML_LIBYAML);
	rf = cg_yaml_load_how(&fast, &src, NULL, NULL, CG_YAML_FAST_ONLY);
	if (rf) {
		snprintf(diff, sizeof(diff),
			 "the scanner stopped at yaml_fast.c:%d; libyaml %s",
			 rf, rl ? "refuses it" : "reads it");
		v = LEFT_TO_LIBYAML;
	} else if (rl) {
		snprintf(diff, sizeof(diff), "libyaml refuses it: %s",
			 cg_error_last());
		v = DIFFERENT;
	} else if (!cg_yaml_same_tree(&lib, &fast, diff, sizeof(diff))) {
		v = DIFFERENT;
	}
	cg_tree_release(&lib);
	cg_tree_release(&fast);
	cg_src_release(&src);
	cg_error_clear();
	return v;
}

static void same(const char *text)
{
	enum verdict v = compare("case.yml", text, strlen(text));

	if (v != SAME)
		fail_msg("%s\n---\n%s", diff, text);
}

static void not_fast(const char *text)
{
	enum verdict v = compare("case.yml", text, strlen(text));

	if (v != LEFT_TO_LIBYAML)
		fail_msg("%s\n---\n%s",
			 v == DIFFERENT ? diff : "read by the scanner", text);
}

static void test_workflow(void **state)
{
	(void)state;
	same("name: ci\n"
	     "on:\n  push:\n    branches: [main, 'release/*']\n"
	     "  pull_request:\n"
	     "env:\n  PYTHONUNBUFFERED: \"1\"\n"
	     "x-common: &common\n  timeout: 10\n"
	     "jobs:\n"
	     "  test:\n"
	     "    runs-on: ubuntu-latest # comment\n"
	     "    services:\n"
	     "      redis:\n        image: redis:7\n"
	     "        ports: [\"6379:6379\"]\n"
	     "        options: >-\n"
	     "          --health-cmd \"redis-cli ping\" --health-interval 5s\n"
	     "    steps:\n"
	     "      - uses: actions/checkout@v4\n"
	     "      - name: test\n"
	     "        run: |\n"
	     "          set -o pipefail\n"
	     "          pytest -v 2>&1 | tee test.log\n"
	     "\n"
	     "      - <<: *common\n"
	     "        run: echo ${{ matrix.x }}\n");
}

static void test_plain(void **state)
{
	(void)state;
	same("a: b c\n");
	same("a: b  c   \n");
	same("a: b  c   "); /* trailing blanks at the end of the text */
	same("k: [a  , b  ]");
	same("a: b #c\nd: e#f\n");
	same("a: b\n  c\n\n  d\n\n\n  e\nf: g\n");
	same("- a\n  b\n- c\n");
	same("- a\n  - b\n");
	not_fast("key: value\n   more: x y\n");
	same("a: http://x:80/y\nb: -1\nc: :x\nd: ?x\n");
	not_fast("e: x:\n");
	same("plain\ntext\n\nhere\n");
	same("a: b\n# comment\nc: d\n");
	same("a: b\n  # comment\nc: d\n");
	same("a: 'x' \nb: \"y\"   # c\n");
	same("k : v\n'q' : w\n");
	same("a:\n\n\n  b\n");
	same("a: b\n---\nc: d\n");
	same("a: x\n ---\n");
	not_fast("a: b: c\n");
	not_fast("a: b\n  c: d\n");
	not_fast("a\nb: c\n");
	not_fast("? a\n: b\n");
	not_fast("a:\tb\n");
	not_fast("a: b\r\nc: d\r\n");
	/* control characters, mid-word and at the end */
	not_fast("abcdefg: hij\x7fklmnop\n");
	not_fast("abcdefghij: k\x1b\n");
	not_fast("abcdefghij: klmnopq\x01");
	not_fast("%YAML 1.1\n---\na: b\n");
	not_fast("a: b\n...\n");
	not_fast("a: @x\n");
	not_fast("&a k: v\n");
}

static void test_quoted(void **state)
{
	(void)state;
	same("a: 'it''s'\n");
	same("a: \"x\\ty\\n\\u00e9\\x41\\U0001F600\\\\\\\"\\/\\0z\"\n");
	same("a: \"one\n  two\n\n  three\"\n");
	same("a: 'one\n  two  \n   \n  three'\n");
	same("a: \"x\\\n   y\"\n");
	same("a: \"x\\\n\n   y\"\n");
	same("a: \"x  \\\n  y\"\n");
	same("\"k\": v\n'k 2': v\n");
	same("a: \"\"\nb: ''\n");
	same("a: \"\\N\\_\\L\\P\\e\\a\\b\\v\\f\\r\\ \"\n");
	not_fast("a: \"\\q\"\n");
	not_fast("a: \"\\uD800\"\n");
	not_fast("a: \"open\n");
	not_fast("\"a\nb\": c\n");
	not_fast("a: \"x\"#c\n");
}

static void test_block_scalars(void **state)
{
	(void)state;
	same("a: |\n  x\n  y\nb: c\n");
	same("a: |-\n  x\n\n\nb: c\n");
	same("a: |+\n  x\n\n\nb: c\n");
	same("a: >\n  one\n  two\n\n  three\n    more\n  four\n");
	same("a: >-\n  one\n   two\n  three\n");
	same("a: |2\n    x\n   y\n");
	same("- |1\n  x\n");
	same("a: | # comment\n  x\n");
	not_fast("a: |\n\n  \n    x\n  y\n");
	same("a: |\n\n  \n    x\n    y\n");
	not_fast("a: |\n    \n  x\n");
	same("a: |\nb: c\n");
	same("a: >\n\n  x\n\n");
	same("a: |\n  x");
	same("a: |+\n  x\n  ");
	same("|\n x\n y\n");
	same("a:\n  - |\n    x\n    y\n  - z\n");
	same("a: |\n  # not a comment\n  x\n# a comment\nb: c\n");
	not_fast("a: |0\n  x\n");
	not_fast("a: | x\n  y\n");
}

static void test_collections(void **state)
{
	(void)state;
	same("a:\n- x\n- y\nb: z\n");
	same("a:\n  - x\n  -\n  - - y\n    - z\n");
	same("- a: b\n  c: d\n- e\n");
	same("- a:\n  - x\n- b\n");
	same("- a:\n- b\n");
	same("-\n- x\n");
	same("a:\nb:\n  c:\n");
	same("a: []\nb: {}\n");
	same("a: &x 1\nb: [a, [b, c], {d: e}, \"f\", 'g', *x]\n");
	same("a: [\n  one,\n  two, # c\n  three\n]\n");
	same("a: [a b\n  c, d]\n");
	same("a: {\"k\":v, 'j': w}\n");
	same("a: [x, y, ]\n");
	same("a: !reference [.setup, script]\nb: !!str 1\nc: !!map\n  d: e\n");
	same(".d: &d\n  image: x\n  tags: [a]\njob:\n  <<: *d\n  script: y\n");
	same("a: &s [1, 2]\nb: *s\nc: &m {x: 1}\n");
	same("- - - a\n    - b\n  - c\n");
	same("a:\n    b: 1\n    c:\n      - d\n");
	same("---\n---\na: 1\n---\n");
	same("# only a comment\n");
	same("");
	same("---\n");
	same("--- # c\na: b\n");
	same("a: \xc3\xa9t\xc3\xa9 # caf\xc3\xa9\nb: [\"\xe2\x82\xac\", x]\n");
	not_fast("a:\n    b: 1\n  c: 2\n");
	not_fast("a: [b: c]\n");
	/* a document marker inside a flow collection (fuzz_yaml) */
	not_fast("S# : [\"\",---\"\",&e\n--- &B \"\", \"p: >\"]");
	not_fast("a: {b:\n--- c}\n");
	not_fast("a: [b,\n---\n]\n");
	same("a: [b,\n---]\n"); /* `---]` is no marker: a plain scalar */
	not_fast("a: {b}\n");
	not_fast("[a]: b\n");
	not_fast("*a : b\n");
	same("a: &x\nb: c\n");
	same("a: &x !t # c\nb: *x\n");
	same("a: &x\n- 1\n- 2\nb: *x\n");
	same("- &x\n- *x\n");
	same("a: b\n  &x\n"); /* a continuation line */
	not_fast("a: - b\n");
	not_fast("- a\nb: c\n");
	not_fast("a: 1\n- b\n");
	same("\xef\xbb\xbf"
	     "a: b\n"); /* cg_src drops the mark */
	not_fast("a: \xc2\x85\n");
}

/* every YAML file under dir, recursively (build and bench output left
 * out): count those read by the scanner and fail at a difference */
static void walk(const char *dir, int *files, int *fast)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' && strcmp(e->d_name, ".github") &&
		    strcmp(e->d_name, ".gitlab-ci.yml"))
			continue;
		if (!strncmp(e->d_name, "build", 5) ||
		    !strcmp(e->d_name, "out"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, files, fast);
		} else if (S_ISREG(st.st_mode) && st.st_size < (1 << 22) &&
			   ((n > 4 && !strcmp(e->d_name + n - 4, ".yml")) ||
			    (n > 5 && !strcmp(e->d_name + n - 5, ".yaml")))) {
			FILE *f = fopen(path, "rb");
			char *text = malloc((size_t)st.st_size + 1);
			size_t len =
			    f ? fread(text, 1, (size_t)st.st_size, f) : 0;
			enum verdict v;

			if (f)
				fclose(f);
			v = compare(path, text, len);
			free(text);
			if (v == DIFFERENT)
				fail_msg("%s: %s", path, diff);
			(*files)++;
			*fast += v == SAME;
		}
	}
	closedir(d);
}

static void test_repository_files(void **state)
{
	char root[4096];
	int files = 0, fast = 0;
	size_t n;

	(void)state;
	snprintf(root, sizeof(root), "%s", CG_TEST_DATA);
	n = strlen(root);
	/* CG_TEST_DATA is <source>/tests/data */
	if (n > 11 && !strcmp(root + n - 11, "/tests/data"))
		root[n - 11] = '\0';
	walk(root, &files, &fast);
	print_message("%d YAML files, %d read by the fast scanner\n", files,
		      fast);
	assert_true(files > 50);
	/* most of them are the block YAML it is for */
	assert_true(fast * 10 >= files * 7);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_workflow),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_quoted),
	    cmocka_unit_test(test_block_scalars),
	    cmocka_unit_test(test_collections),
	    cmocka_unit_test(test_repository_files),
	};

	if (argc > 1) {
		int bad = 0, fast = 0;

		for (int i = 1; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			char *text = NULL;
			size_t len = 0, cap = 0, got;
			enum verdict v;

			if (!f)
				continue;
			do {
				CG_GROW(text, cap, len + 65536);
				got = fread(text + len, 1, 65536, f);
				len += got;
			} while (got);
			fclose(f);
			v = compare(argv[i], text, len);
			free(text);
			fast += v == SAME;
			if (v == DIFFERENT) {
				printf("DIFF %s: %s\n", argv[i], diff);
				bad++;
			} else if (v == LEFT_TO_LIBYAML) {
				printf("LIBYAML %s: %s\n", argv[i], diff);
			}
		}
		printf("%d files, %d read by the scanner, %d different\n",
		       argc - 1, fast, bad);
		return bad != 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
