/*
 * libFuzzer target for the JSON loader. The first input byte picks the
 * dialect (its low two bits are the CG_JSON_* flags; with bit 2 the rest is
 * a WireMock mapping: any bytes, decoded as Jackson decodes them, then
 * read in WireMock's dialect); the rest is the file.
 * A loaded tree is walked and every node checked against the source: spans
 * inside the file and inside their parent, in document order, positions
 * equal to what cg_src_pos says, scalars' text consistent with their style.
 * Any violation aborts, so the fuzzer reports it as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

static size_t walk(const struct cg_src *src, const struct cg_node *n, size_t lo,
		   size_t hi, unsigned depth)
{
	struct cg_pos want;
	size_t count = 1, at;

	check(n != NULL, "node is NULL");
	check(depth <= 257, "deeper than the limit");
	check(n->start <= n->end && n->end <= src->len, "span outside file");
	check(lo <= n->start && n->end <= hi, "child outside its parent");
	want = cg_src_pos(src, n->start, n->end);
	check(!memcmp(&want, &n->pos, sizeof(want)), "pos != cg_src_pos");
	check(n->tag == NULL, "JSON has no tags");
	switch (n->kind) {
	case CG_NODE_SCALAR:
		check(n->str && n->str[n->len] == '\0',
		      "scalar not terminated");
		if (n->style == CG_STYLE_PLAIN) {
			check(n->len == n->end - n->start &&
				  !memcmp(n->str, src->text + n->start, n->len),
			      "plain scalar is not its source text");
		} else {
			char q = n->style == CG_STYLE_SINGLE ? '\'' : '"';

			check(n->style == CG_STYLE_DOUBLE ||
				  n->style == CG_STYLE_SINGLE,
			      "bad string style");
			check(n->end - n->start >= 2 &&
				  src->text[n->start] == q &&
				  src->text[n->end - 1] == q,
			      "string not between its quotes");
			check(n->len <= n->end - n->start - 2,
			      "decoded string longer than its source");
		}
		break;
	case CG_NODE_SEQ:
		check(src->text[n->start] == '[' &&
			  src->text[n->end - 1] == ']',
		      "array not between brackets");
		at = n->start + 1;
		for (size_t k = 0; k < n->n; k++) {
			count +=
			    walk(src, n->items[k], at, n->end - 1, depth + 1);
			at = n->items[k]->end;
		}
		break;
	case CG_NODE_MAP:
		check(src->text[n->start] == '{' &&
			  src->text[n->end - 1] == '}',
		      "object not between braces");
		at = n->start + 1;
		for (size_t k = 0; k < n->n; k++) {
			const struct cg_pair *p = &n->pairs[k];

			check(cg_node_is_scalar(p->key) &&
				  p->key->style != CG_STYLE_PLAIN,
			      "key is not a string");
			count += walk(src, p->key, at, n->end - 1, depth + 1);
			count += walk(src, p->value, p->key->end, n->end - 1,
				      depth + 1);
			at = p->value->end;
		}
		break;
	default:
		check(false, "bad node kind");
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_src src;
	struct cg_tree tree;
	unsigned flags, bytes;
	int err;

	if (size < 1)
		return 0;
	flags = data[0] & (CG_JSON_COMMENTS | CG_JSON_SINGLE_QUOTES);
	bytes = data[0] & 4; /* a WireMock mapping: any bytes */
	data++;
	size--;
	if (!bytes && !cg_utf8_valid((const char *)data, size))
		return 0;
	cg_src_init_mem(&src, "fuzz.json", (const char *)data, size);
	if (bytes) {
		struct cg_buf text = CG_BUF_INIT;
		size_t off;

		flags = CG_JSON_WIREMOCK;
		err = cg_json_decode_bytes(src.text, src.len, &text, &off);
		check(err == 0 || err == 1 || err == CG_EPARSE,
		      "bad decode result");
		check(err != CG_EPARSE || (off < src.len && text.len == 0),
		      "decode error without its offset");
		if (err == 1) {
			size_t len = text.len;

			cg_src_replace_text(&src, cg_buf_detach(&text, NULL),
					    len);
		}
		cg_buf_release(&text);
		if (err < 0) {
			cg_src_release(&src);
			return 0;
		}
	}
	err = cg_json_load(&tree, &src, flags, NULL);
	if (err == 0) {
		check(tree.ndocs == 1, "not exactly one document");
		walk(&src, tree.docs[0], 0, src.len, 1);
	} else {
		check(err == CG_EPARSE || err == CG_ELIMIT, "bad error code");
		check(tree.ndocs == 0, "documents after an error");
		check(!strncmp(cg_error_last(), "fuzz.json:", 10),
		      "message without a position");
	}
	cg_tree_release(&tree);

	/* the WireMock dialect accepts everything strict JSON does */
	if (err == 0 && flags == CG_JSON_STRICT) {
		check(cg_json_load(&tree, &src, CG_JSON_WIREMOCK, NULL) == 0,
		      "WireMock dialect rejects strict JSON");
		cg_tree_release(&tree);
	}
	cg_src_release(&src);
	return 0;
}
