/*
 * The peer of `ciguard check` in make bench: a bare libyaml load of the same
 * files, single-threaded. Reads a NUL-separated list of paths on stdin,
 * reads each file and builds its document tree with yaml_parser_load (all
 * documents of a stream), then prints the bytes and the milliseconds spent,
 * reading included: `BYTES MS`. make bench times it as a whole process
 * with bench/timeit.c, exactly as it times ciguard. What ciguard adds on
 * top (positions, facts, rules, the report) is the difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t load(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	yaml_parser_t p;
	yaml_document_t doc;

	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return 0;
	}
	fclose(f);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, buf, (size_t)n);
	for (;;) {
		if (!yaml_parser_load(&p, &doc))
			break; /* a parse error: stop this file, as ciguard does
				*/
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	free(buf);
	return (size_t)n;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0, bytes = 0;
	ssize_t len;
	double start = now_ms();

	while ((len = getdelim(&line, &cap, '\0', stdin)) > 0)
		bytes += load(line);
	printf("%zu %.1f\n", bytes, now_ms() - start);
	free(line);
	return 0;
}
