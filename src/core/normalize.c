/*
 * Output normalisation for `ciguard flaky`: two failures of one test
 * print the same text except for what changes from run to run (the
 * time, a pid, an address, a temporary folder, how long it took). Those
 * are replaced by placeholders so that the same failure compares equal.
 *
 * A fixed, ordered list of PCRE2 patterns (byte mode: output need not
 * be UTF-8), each substituted globally; earlier ones take the longer
 * forms (a whole ISO timestamp) before later ones see their parts (a
 * time of day, a duration). Compiled once per process.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/core.h"
#include "core/banned.h"

#define DAY "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
#define MON "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#define UNIT "(?:ns|us|\xc2\xb5s|ms|s|m|h)"
/* what ends a path in running text */
#define PATHCH "[^\\s'\"`:,;()\\[\\]{}<>|]"

static const struct {
	const char *pattern;
	const char *replacement;
} rules[] = {
    /* terminal colours and other CSI sequences */
    {"\\x1b\\[[0-9;?]*[ -/]*[@-~]", ""},
    {"\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
     "[0-9a-fA-F]{12}\\b",
     "<UUID>"},
    /* ISO 8601 / RFC 3339, Python logging's comma before milliseconds */
    {"\\b\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?"
     "(?:\\s?(?:Z|UTC|GMT|[+-]\\d{2}:?\\d{2})\\b)?)?\\b",
     "<TIME>"},
    /* RFC 2822 (mail, HTTP): Sun, 06 Dec 2026 20:00:57 +0000 */
    {"\\b" DAY ",?\\s+\\d{1,2}\\s+" MON "\\s+\\d{4}\\s+\\d{2}:\\d{2}"
     "(?::\\d{2})?(?:\\s*(?:[+-]\\d{4}|[A-Z]{2,5})\\b)?",
     "<TIME>"},
    /* date(1), ctime(3): Sun Dec  6 20:00:57 UTC 2026 */
    {"\\b" DAY "\\s+" MON "\\s+\\d{1,2}\\s+\\d{2}:\\d{2}:\\d{2}"
     "(?:\\s+[A-Z]{2,5}\\b)?(?:\\s+\\d{4}\\b)?",
     "<TIME>"},
    /* syslog: Dec  6 20:00:57; Apache: 06/Dec/2026:20:00:57 +0000 */
    {"\\b" MON "\\s+\\d{1,2},?\\s+(?:\\d{4}\\s+)?\\d{2}:\\d{2}:\\d{2}\\b",
     "<TIME>"},
    {"\\b\\d{2}/" MON "/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\s[+-]\\d{4}\\b)?",
     "<TIME>"},
    /* a time of day */
    {"\\b\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?\\b", "<TIME>"},
    /* Unix time in seconds or milliseconds, 2017 to 2033 */
    {"\\b1[5-9]\\d{8}(?:\\d{3})?(?:\\.\\d+)?\\b", "<TIME>"},
    {"\\b0[xX][0-9a-fA-F]{4,}\\b", "<ADDR>"},
    /* temporary files: /tmp, /var/tmp, macOS's /var/folders */
    {"(?<![\\w./~-])(?:/private)?/var/folders/" PATHCH "*", "<TMP>"},
    {"(?<![\\w./~-])(?:/var)?/tmp/" PATHCH "*", "<TMP>"},
    {"(?i)\\b(pid|ppid|process(?: id)?)([ =:#]*)\\d+\\b", "$1$2<PID>"},
    /* syslog's program[pid]: */
    {"\\b(\\w[\\w.-]*)\\[\\d+\\](?=:)", "$1[<PID>]"},
    /* 0.53s, 12ms, 1m30s, 250\xc2\xb5s; in 1.2 seconds, 3 ms */
    {"\\b\\d+(?:\\.\\d+)?" UNIT "(?:\\d+(?:\\.\\d+)?" UNIT ")*\\b",
     "<DURATION>"},
    {"\\b\\d+(?:\\.\\d+)?\\s(?:ns|us|\xc2\xb5s|ms|secs?|seconds?|mins?|"
     "minutes?|hours?)\\b",
     "<DURATION>"},
};

#define NRULES (sizeof(rules) / sizeof(*rules))

static pcre2_code *compiled[NRULES];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_rules(void)
{
	for (size_t i = 0; i < NRULES; i++) {
		int code;
		PCRE2_SIZE off;

		compiled[i] =
		    pcre2_compile((PCRE2_SPTR)rules[i].pattern,
				  PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
		/* the patterns are ours: a bad one is caught by the unit
		 * tests, and is skipped rather than fatal */
		if (compiled[i])
			(void)pcre2_jit_compile(compiled[i],
						PCRE2_JIT_COMPLETE);
	}
}

/* One global substitution of rule i over `in`, into a new string. */
static char *substitute(size_t i, const char *in, size_t len, size_t *out_len)
{
	PCRE2_SIZE n = len + len / 2 + 64;
	char *out = cg_xmalloc(n);
	int rc;

	for (;;) {
		PCRE2_SIZE cap = n;

		rc = pcre2_substitute(
		    compiled[i], (PCRE2_SPTR)in, len, 0,
		    PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
		    NULL, NULL, (PCRE2_SPTR)rules[i].replacement,
		    PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)out, &cap);
		if (rc == PCRE2_ERROR_NOMEMORY) {
			n = cap + 1;
			out = cg_xrealloc(out, n);
			continue;
		}
		if (rc < 0) {
			/* cannot happen with our patterns; keep the text */
			free(out);
			*out_len = len;
			return cg_xstrndup(in, len);
		}
		*out_len = cap;
		return out;
	}
}

char *cg_normalize_output(const char *text, size_t len, size_t *out_len)
{
	char *cur = cg_xstrndup(text, len);
	size_t cur_len = len;

	pthread_once(&compile_once, compile_rules);
	for (size_t i = 0; i < NRULES; i++) {
		char *next;
		size_t next_len;

		if (!compiled[i])
			continue;
		next = substitute(i, cur, cur_len, &next_len);
		free(cur);
		cur = next;
		cur_len = next_len;
	}
	if (out_len)
		*out_len = cur_len;
	return cur;
}

bool cg_normalize_patterns_ok(void)
{
	pthread_once(&compile_once, compile_rules);
	for (size_t i = 0; i < NRULES; i++)
		if (!compiled[i])
			return false;
	return true;
}
