/* Unit tests for src/core: buffers, arena, source positions, globs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"
#include "core/url.h"

static void test_core__buf_appends_and_caps(void **state)
{
	struct cg_buf b;

	cg_buf_init(&b, 8);
	assert_string_equal(b.buf, "");
	assert_int_equal(cg_buf_addstr(&b, "abc"), 0);
	assert_int_equal(cg_buf_addf(&b, "%d", 42), 0);
	assert_string_equal(b.buf, "abc42");
	assert_int_equal(cg_buf_addstr(&b, "toolong"), CG_ELIMIT);
	assert_string_equal(b.buf, "abc42");
	cg_buf_release(&b);
	assert_string_equal(b.buf, "");
}

static void test_core__linecol_counts_code_points(void **state)
{
	struct cg_src s;
	uint32_t line, col;
	const char *t = "a: 1\r\nb: \xc3\xa9x\rc\n";

	cg_src_init_mem(&s, "f.yml", t, strlen(t));
	assert_int_equal(s.nlines, 4);
	cg_src_linecol(&s, 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	/* 'x' after a two-byte e-acute on line 2 is column 5 */
	cg_src_linecol(&s, 11, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 5);
	assert_int_equal(cg_src_offset(&s, 2, 5), 11);
	cg_src_linecol(&s, 13, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 1);
	size_t len;
	const char *l = cg_src_line(&s, 1, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(l, "a: 1", 4);
	assert_null(cg_src_line(&s, 9, &len));
	cg_src_release(&s);
}

static void test_core__utf8_validation(void **state)
{
	assert_true(cg_utf8_valid("plain", 5));
	assert_true(cg_utf8_valid("\xe2\x82\xac", 3));
	assert_false(cg_utf8_valid("\xe9t\xe9", 3));	/* Latin-1 */
	assert_false(cg_utf8_valid("\xc0\xaf", 2));	/* overlong */
	assert_false(cg_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(cg_utf8_valid("\xe2\x82", 2));	/* truncated */
	/* a bad byte at every place after and inside runs of ASCII (read
	 * eight at a time) is still found, and a good one still passes */
	for (size_t n = 0; n < 40; n++) {
		char t[48];

		memset(t, 'a', sizeof(t));
		t[n] = '\xe9';
		assert_false(cg_utf8_valid(t, sizeof(t)));
		memcpy(t + n, "\xe2\x82\xac", 3);
		assert_true(cg_utf8_valid(t, sizeof(t)));
		assert_false(cg_utf8_valid(t, n + 2)); /* cut inside it */
	}
}

/* Lines broken by \n alone (the fast path) and by the other breaks the
 * YAML spec knows get the same table. */
static void test_core__line_table(void **state)
{
	const char *lf = "a\n\nbb\nlast";
	const char *mixed = "a\r\n\rbb\xc2\x85last";
	const char *sep = "a\xe2\x80\xa8\nbb\nlast";
	struct cg_src s;
	size_t len;

	cg_src_init_mem(&s, "f", lf, strlen(lf));
	assert_int_equal(s.nlines, 4);
	assert_memory_equal(cg_src_line(&s, 3, &len), "bb", 2);
	assert_int_equal(len, 2);
	assert_memory_equal(cg_src_line(&s, 4, &len), "last", 4);
	assert_int_equal(cg_src_line(&s, 2, &len) - s.text, 2);
	assert_int_equal(len, 0);
	cg_src_release(&s);
	cg_src_init_mem(&s, "f", mixed, strlen(mixed));
	assert_int_equal(s.nlines, 4);
	assert_memory_equal(cg_src_line(&s, 3, &len), "bb", 2);
	assert_memory_equal(cg_src_line(&s, 4, &len), "last", 4);
	cg_src_release(&s);
	cg_src_init_mem(&s, "f", sep, strlen(sep));
	assert_int_equal(s.nlines, 4);
	cg_src_release(&s);
	cg_src_init_mem(&s, "f", "x\n", 2);
	assert_int_equal(s.nlines, 2);
	cg_src_release(&s);
	cg_src_init_mem(&s, "f", "", 0);
	assert_int_equal(s.nlines, 1);
	cg_src_release(&s);
}

static void test_core__glob(void **state)
{
	assert_true(cg_glob_match("legacy/**", "legacy/a/b.yml"));
	assert_false(cg_glob_match("legacy/**", "src/legacy/a.yml"));
	assert_true(cg_glob_match("**/x.yml", "x.yml"));
	assert_true(cg_glob_match("**/x.yml", "a/b/x.yml"));
	assert_true(cg_glob_match("*.yml", "ci.yml"));
	assert_false(cg_glob_match("*.yml", "a/ci.yml"));
	/* a '*' after '**' in any folder; it still stays in its segment */
	assert_true(cg_glob_match("**/*.yml", "a/b/ci.yml"));
	assert_true(
	    cg_glob_match("**/*-compose.yml", "x/portainer-compose.yml"));
	assert_true(cg_glob_match("**/*.env.*.example", "a/.env.dev.example"));
	assert_false(cg_glob_match("**/*.yml", "a/b/ci.yaml"));
	assert_false(cg_glob_match("src/*.c", "src/a/b.c"));
	assert_false(cg_glob_match("**/a*/x", "ab/c/x"));
	assert_false(cg_glob_match("**/a*/x", "ba/x"));
	assert_false(cg_glob_match("**/x.yml", "ax.yml"));
	/* `**` + `/NAME`: NAME is matched against the last component only */
	assert_false(cg_glob_match("**/*compose*.yml", "compose.d/x.yml"));
	assert_true(cg_glob_match("**/*compose*.yml", "compose.d/compose.yml"));
	assert_false(cg_glob_match("**/x.yml", "x.yml/y"));
	assert_true(cg_glob_match("a**b", "a/c/b"));
	assert_true(cg_glob_match("python -m app.worker*",
				  "python -m app.worker.pool"));
}

static void test_core__arena_zeroes(void **state)
{
	struct cg_arena a = CG_ARENA_INIT;
	char *p = cg_arena_alloc(&a, 100000);

	for (int i = 0; i < 100000; i++)
		assert_int_equal(p[i], 0);
	assert_string_equal(cg_arena_strndup(&a, "hello", 4), "hell");
	cg_arena_release(&a);
}

/* The string map: prefixes as keys, first value wins, case folding,
 * and thousands of keys through its growth. */
static void test_core__strmap(void **state)
{
	struct cg_strmap m, nc;
	const char *path = "api/v1/app.py";
	char keys[3000][16];

	(void)state;
	cg_strmap_init(&m, false);
	assert_int_equal(cg_strmap_get(&m, "api", 3), (size_t)-1);
	assert_int_equal(cg_strmap_put(&m, path, 3, 7), 7);
	assert_int_equal(cg_strmap_put(&m, "api", 3, 9), 7);
	assert_int_equal(cg_strmap_get(&m, "api", 3), 7);
	assert_int_equal(cg_strmap_get(&m, path, 6), (size_t)-1);
	assert_int_equal(cg_strmap_get(&m, "API", 3), (size_t)-1);
	assert_int_equal(cg_strmap_put(&m, "", 0, 1), 1);
	assert_int_equal(cg_strmap_get(&m, path, 0), 1);
	for (int i = 0; i < 3000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		cg_strmap_put(&m, keys[i], strlen(keys[i]), (size_t)i + 100);
	}
	for (int i = 0; i < 3000; i++)
		assert_int_equal(cg_strmap_get(&m, keys[i], strlen(keys[i])),
				 (size_t)i + 100);
	assert_int_equal(cg_strmap_get(&m, "k3000", 5), (size_t)-1);
	assert_int_equal(m.n, 3002);
	cg_strmap_release(&m);
	assert_int_equal(cg_strmap_get(&m, "api", 3), (size_t)-1);

	cg_strmap_init(&nc, true);
	cg_strmap_put(&nc, "Redis.Default", 13, 3);
	assert_int_equal(cg_strmap_get(&nc, "redis.default", 13), 3);
	assert_int_equal(cg_strmap_get(&nc, "REDIS.DEFAULT", 13), 3);
	assert_int_equal(cg_strmap_get(&nc, "redis.defaulx", 13), (size_t)-1);
	cg_strmap_release(&nc);

	/* two-part keys: the NUL keeps the parts apart */
	{
		size_t l1, l2;
		char *k1 = cg_strmap_key2("ab", 2, "c", 1, &l1);
		char *k2 = cg_strmap_key2("a", 1, "bc", 2, &l2);

		cg_strmap_init(&m, false);
		cg_strmap_put(&m, k1, l1, 1);
		assert_int_equal(l1, 4);
		assert_int_equal(cg_strmap_get(&m, k2, l2), (size_t)-1);
		assert_int_equal(cg_strmap_get(&m, k1, l1), 1);
		assert_string_equal(k1 + 3, "c");
		cg_strmap_release(&m);
		free(k1);
		free(k2);
	}

	/* set: the old value back, the new one kept */
	cg_strmap_init(&m, false);
	assert_int_equal(cg_strmap_set(&m, "db", 2, 4), (size_t)-1);
	assert_int_equal(cg_strmap_set(&m, "db", 2, 2), 4);
	assert_int_equal(cg_strmap_get(&m, "db", 2), 2);
	assert_int_equal(m.n, 1);
	cg_strmap_release(&m);
}

/* One reading of redis:// and rediss:// for `wait` and `slots` alike. */
static void test_core__redis_url(void **state)
{
	static const struct {
		const char *url;
		const char *user, *password, *host;
		int port;
		long db;
		bool tls, no_verify;
		const char *ca_file;
	} good[] = {
	    {"redis://h", NULL, NULL, "h", 6379, 0, false, false, NULL},
	    {"redis://h:7000/3", NULL, NULL, "h", 7000, 3, false, false, NULL},
	    {"redis://:s%40cret@h/1", "", "s@cret", "h", 6379, 1, false, false,
	     NULL},
	    {"redis://alice:pw@h:1/", "alice", "pw", "h", 1, 0, false, false,
	     NULL},
	    /* a name without ':' is a user (redis-py, go-redis) */
	    {"redis://alice@h", "alice", NULL, "h", 6379, 0, false, false,
	     NULL},
	    {"redis://[::1]:6380/2", NULL, NULL, "::1", 6380, 2, false, false,
	     NULL},
	    {"REDIS://h/0?x=1", NULL, NULL, "h", 6379, 0, false, false, NULL},
	    /* the last '@' ends the user info */
	    {"redis://u:p@ss@h", "u", "p@ss", "h", 6379, 0, false, false, NULL},
	    /* TLS, with redis-py's parameters */
	    {"rediss://h", NULL, NULL, "h", 6379, 0, true, false, NULL},
	    {"rediss://:pw@h:6380/1?ssl_ca_certs=/etc/ca%20x.pem", "", "pw",
	     "h", 6380, 1, true, false, "/etc/ca x.pem"},
	    {"rediss://h?ssl_cert_reqs=none", NULL, NULL, "h", 6379, 0, true,
	     true, NULL},
	    {"rediss://h?ssl_cert_reqs=required&x=1", NULL, NULL, "h", 6379, 0,
	     true, false, NULL},
	    /* Python's ssl: CERT_OPTIONAL verifies a server like REQUIRED */
	    {"rediss://h?ssl_cert_reqs=optional", NULL, NULL, "h", 6379, 0,
	     true, false, NULL},
	};
	static const struct {
		const char *url, *says;
	} bad[] = {
	    {"http://h", "must start with redis:// or rediss://"},
	    {"redis://h?ssl_ca_certs=ca.pem", "use rediss://"},
	    {"redis://h?ssl_cert_reqs=none", "use rediss://"},
	    {"rediss://h?ssl_cert_reqs=maybe", "none, optional or required"},
	    {"rediss://h?ssl_ca_certs=", "needs a file name"},
	    {"h:6379", "not a URL"},
	    {"redis://:6379", "needs a host"},
	    {"redis://h:0", "bad port '0'"},
	    {"redis://h:99999", "bad port '99999'"},
	    {"redis://h/x", "database 'x' is not a number"},
	    {"redis://h/-1", "is not a number"},
	    {"redis://h/99999999999", "is not a number"},
	    /* "@host" forgotten: the password must not be echoed */
	    {"redis://u:hunter2", "bad port (want"},
	    {"redis://[::1", "unterminated '['"},
	};
	char err[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		struct cg_redis_url r;

		if (cg_redis_url_parse(&r, good[i].url, err, sizeof(err)) < 0)
			fail_msg("%s: %s", good[i].url, err);
		if (good[i].user)
			assert_string_equal(r.url.user, good[i].user);
		else
			assert_null(r.url.user);
		if (good[i].password)
			assert_string_equal(r.url.password, good[i].password);
		else
			assert_null(r.url.password);
		assert_string_equal(r.url.host, good[i].host);
		assert_int_equal(r.url.port, good[i].port);
		assert_int_equal(r.db, good[i].db);
		assert_int_equal(r.tls, good[i].tls);
		assert_int_equal(r.no_verify, good[i].no_verify);
		if (good[i].ca_file)
			assert_string_equal(r.ca_file, good[i].ca_file);
		else
			assert_null(r.ca_file);
		cg_redis_url_release(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct cg_redis_url r;

		err[0] = '\0';
		if (cg_redis_url_parse(&r, bad[i].url, err, sizeof(err)) == 0)
			fail_msg("%s: accepted", bad[i].url);
		if (!strstr(err, bad[i].says))
			fail_msg("%s: '%s' does not say '%s'", bad[i].url, err,
				 bad[i].says);
		assert_null(strstr(err, "hunter2"));
	}
}

/* A reader of text skips a binary file and one that is not UTF-8, with a
 * note that says which; a reader of bytes (WireMock's mappings) takes
 * both, and a decoded text replaces the bytes with its own lines. */
static void test_core__src_check_and_replace(void **state)
{
	struct cg_src s;

	assert_int_equal(cg_src_check("a.json", "ok", 2, CG_SRC_TEXT), 0);
	assert_int_equal(cg_src_check("a.json", "a\0b", 3, CG_SRC_TEXT),
			 CG_ESKIP);
	assert_string_equal(cg_error_last(),
			    "'a.json' is a binary file, skipped");
	assert_int_equal(cg_src_check("a.json", "caf\xe9", 4, CG_SRC_TEXT),
			 CG_ESKIP);
	assert_string_equal(cg_error_last(),
			    "'a.json' is not valid UTF-8, skipped");
	assert_int_equal(cg_src_check("a.json", "a\0b", 3, CG_SRC_BYTES), 0);
	assert_int_equal(cg_src_check("a.json", "caf\xe9", 4, CG_SRC_BYTES), 0);

	cg_src_init_mem(&s, "a.json", "a\0\n\0", 4);
	assert_int_equal(s.nlines, 2);
	cg_src_replace_text(&s, cg_xstrdup("x\ny\nz"), 5);
	assert_int_equal(s.len, 5);
	assert_int_equal(s.nlines, 3);
	assert_int_equal(s.line_start[2], 4);
	assert_string_equal(s.path, "a.json");
	cg_src_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_core__buf_appends_and_caps),
	    cmocka_unit_test(test_core__linecol_counts_code_points),
	    cmocka_unit_test(test_core__utf8_validation),
	    cmocka_unit_test(test_core__src_check_and_replace),
	    cmocka_unit_test(test_core__line_table),
	    cmocka_unit_test(test_core__glob),
	    cmocka_unit_test(test_core__arena_zeroes),
	    cmocka_unit_test(test_core__strmap),
	    cmocka_unit_test(test_core__redis_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
