/*
 * core: what every other part of ciguard stands on. Growable buffers, an
 * arena for short-lived trees, the error protocol, source files with a line
 * table, and positions. Nothing here knows about YAML, rules or reports.
 */
#ifndef CG_CORE_H
#define CG_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ciguard/diag.h"

#if defined(__GNUC__)
#define CG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CG_PRINTF(f, a)
#endif

/* 1 in an AddressSanitizer build (gcc or clang), else 0. */
#if defined(__SANITIZE_ADDRESS__)
#define CG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CG_ASAN 1
#endif
#endif
#ifndef CG_ASAN
#define CG_ASAN 0
#endif

/* ---- errors (libgit2 style: return code + thread-local message) ---- */

enum cg_errcode {
	CG_OK = 0,
	CG_ENOMEM = -1,
	CG_EIO = -2,	/* a read/write/spawn failed */
	CG_EPARSE = -3, /* input is not well formed */
	CG_ELIMIT = -4, /* input exceeds a safety limit (size, depth, ...) */
	CG_EINVAL = -5, /* bad argument or configuration value */
	CG_ENOTFOUND = -6,
	CG_ESKIP = -7, /* input is not for us (binary, not UTF-8, ...) */
};

/* Record a message for the calling thread; returns `code` for `return`. */
int cg_error_set(int code, const char *fmt, ...) CG_PRINTF(2, 3);
/* The last message set on this thread ("" when none); valid until next set. */
const char *cg_error_last(void);
void cg_error_clear(void);

/*
 * Allocation that never returns NULL: on exhaustion it calls cg_oom, which
 * does not return.
 */
void *cg_xmalloc(size_t n);
void *cg_xcalloc(size_t n, size_t size);
void *cg_xrealloc(void *p, size_t n);
char *cg_xstrdup(const char *s);
char *cg_xstrndup(const char *s, size_t n);
char *cg_xasprintf(const char *fmt, ...) CG_PRINTF(1, 2);

/*
 * Out of memory: `n` bytes (0 when unknown, e.g. inside libyaml) could not
 * be had. Calls the handler the program set, which must not return (the
 * ciguard program's prints one line and exits 2: src/cli/main.c); with none
 * set, or should it return, prints one line and aborts. Any thread.
 */
typedef void (*cg_oom_fn)(size_t n);
void cg_set_oom_handler(cg_oom_fn handler);
_Noreturn void cg_oom(size_t n);

/*
 * The allocation-failure test build (CMake -DCIGUARD_ALLOC_FAIL=ON,
 * tests/alloc/): true when the allocation about to be made is the one
 * CIGUARD_FAIL_ALLOC names. Every allocation point of ours asks it first.
 * In any other build it is the constant false and no code exists.
 */
#ifdef CIGUARD_ALLOC_FAIL
bool cg_alloc_fail_now(void);
#else
#define cg_alloc_fail_now() false
#endif

/* Grow an array `*arr` of `*alloc` elements of `size` to hold `need`. */
void cg_grow(void **arr, size_t *alloc, size_t need, size_t size);
#define CG_GROW(arr, alloc, need)                                              \
	cg_grow((void **)&(arr), &(alloc), (need), sizeof(*(arr)))

/* ---- owned, growable, NUL-terminated buffer (git strbuf invariants) ---- */

struct cg_buf {
	char *buf;    /* never NULL; always NUL-terminated */
	size_t len;   /* bytes in use, not counting the NUL */
	size_t alloc; /* 0 while buf points at the shared empty string */
	size_t cap;   /* refuse to grow past this many bytes; 0 = no cap */
};
extern char cg_buf_empty[];
#define CG_BUF_INIT                                                            \
	{                                                                      \
		cg_buf_empty, 0, 0, 0                                          \
	}

/* Prepare an empty buffer (allocates nothing); cap 0 means unbounded. */
void cg_buf_init(struct cg_buf *b, size_t cap);
/* Free the contents and leave `b` empty and reusable. */
void cg_buf_release(struct cg_buf *b);
/* Hand the contents to the caller (free() them); `b` becomes empty. */
char *cg_buf_detach(struct cg_buf *b, size_t *out_len);
void cg_buf_reset(struct cg_buf *b);
/* Appends return 0, or CG_ELIMIT (buffer untouched) when over the cap. */
/* Room for `extra` more bytes (and the NUL) without another allocation;
 * CG_ELIMIT past the cap. */
int cg_buf_reserve(struct cg_buf *b, size_t extra);
int cg_buf_add(struct cg_buf *b, const void *data, size_t len);
int cg_buf_addstr(struct cg_buf *b, const char *s);
int cg_buf_addch(struct cg_buf *b, int c);
int cg_buf_addf(struct cg_buf *b, const char *fmt, ...) CG_PRINTF(2, 3);
int cg_buf_vaddf(struct cg_buf *b, const char *fmt, va_list ap);

/* ---- arena: many small allocations freed at once ---- */

struct cg_arena_block;
struct cg_arena {
	struct cg_arena_block *head;
	size_t used_total;
};
#define CG_ARENA_INIT                                                          \
	{                                                                      \
		NULL, 0                                                        \
	}
void cg_arena_init(struct cg_arena *a);
/* Zeroed memory aligned for any type ciguard keeps in an arena (pointers,
 * size_t, uint64_t, double), living until cg_arena_release(). */
void *cg_arena_alloc(struct cg_arena *a, size_t n);
char *cg_arena_strndup(struct cg_arena *a, const char *s, size_t n);
char *cg_arena_strdup(struct cg_arena *a, const char *s);
void cg_arena_release(struct cg_arena *a);

/* ---- source files ---- */

/*
 * A file's bytes plus a table of where each line starts, so that positions
 * can go both ways between byte offsets and 1-based line/column. Columns count
 * Unicode code points (as libyaml's marks do), so a caret lines up under the
 * character a user sees. Line breaks are \n, \r\n, \r, U+0085, U+2028 and
 * U+2029, the set YAML uses.
 */
struct cg_src {
	char *path;	    /* relative to the checked root, '/' separated */
	char *text;	    /* file contents, NUL-terminated (owned) */
	size_t len;	    /* bytes, without the NUL */
	size_t *line_start; /* byte offset of each line's first byte */
	uint32_t nlines;
};

/* Build a source from memory; copies `text`. Never fails (aborts on OOM). */
void cg_src_init_mem(struct cg_src *out, const char *path, const char *text,
		     size_t len);

/* What a reader takes as a file's text (cg_src_check). */
enum cg_src_kind {
	/* UTF-8 text: a file with a NUL byte ("binary") or that is not
	 * UTF-8 is skipped */
	CG_SRC_TEXT,
	/* any bytes: whoever reads the file decodes them (a JSON reader
	 * that takes UTF-16 and UTF-32, or that judges bad UTF-8 itself) */
	CG_SRC_BYTES,
};
/* 0 when `bytes` may be the text of `path` as `kind` wants it, else
 * CG_ESKIP with "'path' is a binary file, skipped" or "... not valid
 * UTF-8, skipped". Every reader of files (disk, git index, memory) asks
 * this one function. */
int cg_src_check(const char *path, const char *bytes, size_t len,
		 enum cg_src_kind kind);
/*
 * Read `root`/`path` (path relative to root) into `out`. Returns 0, CG_EIO
 * (unreadable), CG_ELIMIT (over max_size bytes) or CG_ESKIP (see
 * cg_src_check); the message says which, with the path.
 */
int cg_src_load(struct cg_src *out, const char *root, const char *path,
		size_t max_size, enum cg_src_kind kind);
/* Take `text` (len bytes, malloc'd, NUL-terminated) as the file's text in
 * place of what it held: a reader that decoded the bytes (UTF-16 to
 * UTF-8) gives positions in what it read. */
void cg_src_replace_text(struct cg_src *src, char *text, size_t len);
void cg_src_release(struct cg_src *src);
/* Forget the contents (a big file whose facts are taken): the source
 * keeps its path and becomes an empty text of one line. */
void cg_src_drop_text(struct cg_src *src);

/* Offset -> 1-based line and column (code points). Clamps out-of-range. */
void cg_src_linecol(const struct cg_src *src, size_t off, uint32_t *line,
		    uint32_t *col);
/* 1-based line and column (code points) -> byte offset. Clamps. */
size_t cg_src_offset(const struct cg_src *src, uint32_t line, uint32_t col);
/* The bytes of 1-based `line` without its line break; NULL if none. */
const char *cg_src_line(const struct cg_src *src, uint32_t line,
			size_t *out_len);
/* A position covering bytes [start, end) of the file. */
struct cg_pos cg_src_pos(const struct cg_src *src, size_t start, size_t end);

/* True when `text` is valid UTF-8 (no overlongs, no surrogates). */
bool cg_utf8_valid(const char *text, size_t len);

/* Monotonic milliseconds (CLOCK_MONOTONIC), for deadlines and timings. */
long cg_now_ms(void);

/* ---- threads (check --jobs) ---- */

/* The CPUs this process may run on (its affinity mask), at least 1. */
unsigned cg_cpu_count(void);
/*
 * Start up to n threads, each running fn(ctx, worker) with worker 1..n (0
 * is left for the caller). Fewer start when the system refuses threads:
 * fn must leave nothing undone when some never run.
 */
struct cg_workers *
cg_workers_start(unsigned n, void (*fn)(void *ctx, unsigned worker), void *ctx);
/* Wait for every started thread; NULL is fine. */
void cg_workers_join(struct cg_workers *ws);
/*
 * fn(ctx, i, worker) for every i in [0, n), on up to `jobs` threads: the
 * caller's (worker 0) and jobs - 1 more. Items are taken in order by
 * whichever thread is free; returns when all are done.
 */
void cg_parallel_for(size_t n, unsigned jobs,
		     void (*fn)(void *ctx, size_t i, unsigned worker),
		     void *ctx);
/*
 * Ask malloc for fewer, larger page faults (heap.c): grow heaps in large
 * steps and back them with transparent huge pages. For the ciguard
 * program, called once at its start; the library never calls it. Threads
 * of cg_workers_start call cg_heap_tune_thread for their own heap once the
 * process asked.
 */
void cg_heap_tune_process(void);
void cg_heap_tune_thread(void);
/* Sleep ms milliseconds, resuming after a signal. */
void cg_sleep_ms(long ms);

/* ---- small string helpers ---- */
bool cg_str_eq(const char *a, const char *b);
/* qsort's comparison of two size_t, ascending. */
int cg_cmp_size(const void *a, const void *b);
bool cg_starts_with(const char *s, const char *prefix);
/* `s` is one of the words of `list` (NULL-terminated); false for NULL. */
bool cg_str_in(const char *s, const char *const *list);
bool cg_ends_with(const char *s, const char *suffix);
/* The last component of a `/`-separated path, inside `path` (never NULL):
 * "/bin/bash" -> "bash", "bash" -> "bash", "dir/" -> "". */
const char *cg_path_base(const char *path);
/* fnmatch-style glob with '**' crossing '/'; '*' and '?' do not. */
bool cg_glob_match(const char *pattern, const char *path);
/* The value of hex digit `c`, or -1. */
int cg_hex_value(int c);
/*
 * Eight bytes at a time (w: eight bytes of text, memcpy'd): the high bit
 * of each byte of w that equals c, and of each byte below n (n <= 0x80)
 * that is ASCII. Exact: no borrow runs from one byte into the next.
 */
#define CG_WORD_ONES 0x0101010101010101u
#define CG_WORD_HIGHS 0x8080808080808080u
static inline uint64_t cg_word_bytes_eq(uint64_t w, unsigned c)
{
	uint64_t x = w ^ (c * CG_WORD_ONES);

	return ~(((x & ~CG_WORD_HIGHS) + ~CG_WORD_HIGHS) | x) & CG_WORD_HIGHS;
}
static inline uint64_t cg_word_bytes_below(uint64_t w, unsigned n)
{
	return ~(((w & ~CG_WORD_HIGHS) + (0x80 - n) * CG_WORD_ONES) | w) &
	       CG_WORD_HIGHS;
}

/* 64-bit FNV-1a over bytes, for fingerprints. */
uint64_t cg_hash64(uint64_t h, const void *data, size_t len);
#define CG_HASH_INIT 0xcbf29ce484222325ULL

/*
 * A map from strings to indexes (strmap.c). Keys are borrowed, as pointer
 * and length, and must outlive the map; `nocase` compares ASCII letters
 * without case. A zeroed map is an empty case-sensitive one.
 */
struct cg_strmap_slot;
struct cg_strmap {
	struct cg_strmap_slot *slots;
	size_t cap, n;
	bool nocase;
};
void cg_strmap_init(struct cg_strmap *m, bool nocase);
/* The value of `key`, or (size_t)-1 when it is not there. */
size_t cg_strmap_get(const struct cg_strmap *m, const char *key, size_t len);
/* Adds key -> value unless key is there; returns the value it has now
 * (the first one put wins). */
size_t cg_strmap_put(struct cg_strmap *m, const char *key, size_t len,
		     size_t value);
/* Sets key -> value; returns the value it had, or (size_t)-1. Put in
 * reverse order with the old value kept per entry, it chains the entries
 * of one key in order. */
size_t cg_strmap_set(struct cg_strmap *m, const char *key, size_t len,
		     size_t value);
void cg_strmap_release(struct cg_strmap *m);
/* A key of two parts, a[0, na) NUL b[0, nb), malloc'd; its length in
 * *len (the NUL keeps "ab" + "c" apart from "a" + "bc"). */
char *cg_strmap_key2(const char *a, size_t na, const char *b, size_t nb,
		     size_t *len);

/*
 * A program's output with what changes from run to run replaced by
 * placeholders, so that two runs of one failure compare equal: times
 * and dates (ISO 8601, RFC 2822, date(1), syslog, times of day, Unix
 * time) -> <TIME>; pids (`pid 1234`, `prog[1234]:`) -> <PID>; 0x
 * addresses -> <ADDR>; temporary paths (/tmp/..., /var/tmp/...,
 * /var/folders/...) -> <TMP>; durations (0.53s, 12ms, 1m30s, "in 1.2
 * seconds") -> <DURATION>; UUIDs -> <UUID>; terminal colour codes are
 * removed. Returns a new NUL-terminated string (free() it); its length
 * in *out_len when not NULL. `text` is bytes, not necessarily UTF-8.
 */
char *cg_normalize_output(const char *text, size_t len, size_t *out_len);
/* Every pattern of cg_normalize_output compiles (for the unit tests). */
bool cg_normalize_patterns_ok(void);

/* ---------------------------------------------------- file discovery */

struct cg_file_list {
	char **paths; /* relative, '/' separated, sorted */
	size_t n, alloc;
	bool in_git;
	/* in a git work tree, those of `paths` that are untracked (not in
	 * the index), sorted; they point into `paths` */
	char **untracked;
	size_t nuntracked, untracked_alloc;
	/* untracked files are listed only where asked for
	 * (cg_discover_wanted): a path on disk that is not listed may be
	 * untracked, not ignored */
	bool partial;
};

/*
 * List the files under `root`: in a git work tree the tracked and
 * untracked-not-ignored files (git ls-files, spawned without a shell),
 * elsewhere a walk skipping .git, node_modules, vendor and .venv. Skipped
 * entries are reported through `note`. Returns 0 or CG_EIO/CG_ENOTFOUND.
 */
int cg_discover(struct cg_file_list *out, const char *root,
		void (*note)(void *ctx, const char *msg), void *note_ctx);
void cg_file_list_release(struct cg_file_list *l);
/*
 * As cg_discover, but the untracked files listed are only those `want`
 * takes: every file in the index (`git ls-files --cached`, started by
 * cg_discover_wanted_start and read while the work tree is walked for
 * wanted files), then one `git ls-files --others --exclude-standard` over
 * the wanted files that are not in it. Folders of installed packages and
 * caches (node_modules, .venv, venv, __pycache__, .tox, .mypy_cache,
 * .pytest_cache, .ruff_cache) and other repositories are not walked.
 * out->partial is set. Outside git: cg_discover.
 */
struct cg_capture;
void cg_discover_wanted_start(struct cg_capture *cap, const char *root);
/*
 * Which of `paths` (relative to `root`, taken literally) are untracked
 * and not ignored: `git ls-files -z --others --exclude-standard` over
 * them, its output (NUL-separated, sorted; a folder's untracked files
 * under it) in `out`. More paths than fit a command line well, and every
 * untracked file is listed. Returns git's exit status, or a negative
 * CG_E*.
 */
struct cg_buf;
int cg_git_untracked(const char *root, const char *const *paths, size_t n,
		     struct cg_buf *out);
int cg_discover_wanted(struct cg_file_list *out, struct cg_capture *cap,
		       const char *root,
		       bool (*want)(void *ctx, const char *path), void *ctx,
		       void (*note)(void *ctx, const char *msg),
		       void *note_ctx);

/*
 * --staged: the git index of the work tree at `root`. Start runs `git
 * ls-files -s -z` and the blob reader; open waits for the list and gives
 * its entries (stage 0, or "ours" in a merge; submodules left out) in
 * `list`, sorted (on failure, close the index all the same). Read gives the
 * staged blob of `path` (at most `max` bytes, else CG_ELIMIT), through one `git
 * cat-file
 * --batch` kept open for every read and shared by threads; *symlink tells
 * that the entry is a symlink, whose blob is its target. CG_ENOTFOUND
 * when the path is not staged.
 */
struct cg_git_index;
struct cg_git_index *cg_git_index_start(const char *root);
int cg_git_index_open(struct cg_git_index *ix, struct cg_file_list *list);
int cg_git_index_read(struct cg_git_index *ix, const char *path, size_t max,
		      struct cg_buf *out, bool *symlink);
/* Read the blobs of `paths` ahead, in one stream (ids written on a
 * thread while the blobs are read), for cg_git_index_read to hand over. */
void cg_git_index_prefetch(struct cg_git_index *ix, const char *const *paths,
			   size_t n, size_t max);
void cg_git_index_close(struct cg_git_index *ix);

/* A program started with its stdout piped to us, read at finish: the
 * caller works meanwhile. Finish returns its exit status (0..255), or a
 * negative CG_E*; stdout is capped. */
struct cg_capture {
	pid_t pid;
	int fd;
};
/* The file to run for program `name`: for git, its path on PATH, found
 * once per process; anything else (or git not found) as given. */
const char *cg_program_path(const char *name);
int cg_capture_start(struct cg_capture *c, const char *const argv[]);
int cg_capture_finish(struct cg_capture *c, struct cg_buf *out);

/* How cg_spawn_piped starts a program. */
struct cg_spawn_opts {
	char *const *envp; /* its environment; NULL: ours */
	bool new_group;	   /* in a process group of its own (pgid = its
			      pid), with no signal blocked and SIGPIPE,
			      SIGINT, SIGTERM, SIGHUP, SIGCHLD at default */
	bool stderr_too;   /* stderr into the pipe too (else /dev/null) */
};
/*
 * Start argv (no shell; a bare name is looked up on PATH) with stdin
 * from /dev/null and stdout (and stderr, if asked) into a pipe whose
 * read end, close-on-exec, goes to *out_fd. NULL opts: the defaults
 * (stderr to /dev/null, our group). Returns 0, or CG_EIO when it could
 * not be started (the message names the program); the caller reaps
 * *out_pid and closes *out_fd.
 */
int cg_spawn_piped(pid_t *out_pid, int *out_fd, const char *const argv[],
		   const struct cg_spawn_opts *opts);

/* Run a program (no shell) and capture stdout (capped). Returns its exit
 * status (0..255), or a negative CG_E* when it could not be run. */
int cg_run_capture(const char *const argv[], const char *cwd,
		   struct cg_buf *out);

#endif
