/*
 * The report entry points: format names and dispatch, plus the helpers every
 * format shares (see shared.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

static const struct {
	const char *name;
	enum cg_format format;
} formats[] = {
    {"text", CG_FORMAT_TEXT},
    {"json", CG_FORMAT_JSON},
    {"sarif", CG_FORMAT_SARIF},
    {"github", CG_FORMAT_GITHUB},
    {"codequality", CG_FORMAT_CODEQUALITY},
};

int cg_format_parse(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, name))
			return (int)formats[i].format;
	return -1;
}

int cg_report_write(FILE *out, enum cg_format fmt,
		    const struct cg_report_input *in)
{
	switch (fmt) {
	case CG_FORMAT_TEXT:
		return cg_report_text(out, in);
	case CG_FORMAT_JSON:
		return cg_report_json(out, in);
	case CG_FORMAT_SARIF:
		return cg_report_sarif(out, in);
	case CG_FORMAT_GITHUB:
		return cg_report_github(out, in);
	case CG_FORMAT_CODEQUALITY:
		return cg_report_codequality(out, in);
	}
	return cg_error_set(CG_EINVAL, "unknown report format %d", (int)fmt);
}

bool cg_report_shown(const struct cg_diag *d)
{
	return !d->suppressed && d->severity != CG_SEV_OFF;
}

void cg_report_count(struct cg_report_counts *out,
		     const struct cg_report_input *in)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->diags->n; i++) {
		const struct cg_diag *d = &in->diags->items[i];

		if (!cg_report_shown(d))
			continue;
		if (d->severity == CG_SEV_ERROR)
			out->errors++;
		else if (d->severity == CG_SEV_WARNING)
			out->warnings++;
		else
			out->notes++;
	}
}

int cg_report_finish(FILE *out)
{
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return cg_error_set(CG_EIO, "cannot write the report: %s",
				    errno ? strerror(errno) : "write error");
	return 0;
}

/* Length of the valid UTF-8 sequence at s[0], 0 when it is not one. */
static size_t utf8_seq_len(const char *s, size_t avail)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	return n <= avail && cg_utf8_valid(s, n) ? n : 0;
}

json_t *cg_json_string(const char *s)
{
	struct cg_buf b = CG_BUF_INIT;
	size_t len;
	json_t *j;

	if (!s)
		return json_null();
	len = strlen(s);
	if (cg_utf8_valid(s, len))
		return json_stringn(s, len);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(s + i, len - i);

		if (n) {
			cg_buf_add(&b, s + i, n);
			i += n;
		} else {
			cg_buf_addstr(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_stringn(b.buf, b.len);
	cg_buf_release(&b);
	return j;
}

void cg_json_writer_init(struct cg_json_writer *out, FILE *file)
{
	out->file = file;
	out->len = 0;
}

static void writer_flush(struct cg_json_writer *writer)
{
	/* after a failed write the report is lost; finish says so */
	if (writer->len && !ferror(writer->file))
		fwrite(writer->buf, 1, writer->len, writer->file);
	writer->len = 0;
}

void cg_json_writer_add(struct cg_json_writer *writer, const char *text,
			size_t len)
{
	if (len > sizeof(writer->buf) - writer->len) {
		writer_flush(writer);
		if (len > sizeof(writer->buf)) {
			if (!ferror(writer->file))
				fwrite(text, 1, len, writer->file);
			return;
		}
	}
	memcpy(writer->buf + writer->len, text, len);
	writer->len += len;
}

/* The escape jansson's dump writes for a control character `c`. */
static void write_control(struct cg_json_writer *writer, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

	switch (c) {
	case '\b':
		CG_JSON_WRITE_LIT(writer, "\\b");
		break;
	case '\f':
		CG_JSON_WRITE_LIT(writer, "\\f");
		break;
	case '\n':
		CG_JSON_WRITE_LIT(writer, "\\n");
		break;
	case '\r':
		CG_JSON_WRITE_LIT(writer, "\\r");
		break;
	case '\t':
		CG_JSON_WRITE_LIT(writer, "\\t");
		break;
	default:
		cg_json_writer_add(writer, esc, sizeof(esc));
	}
}

/* The bytes a JSON string cannot hold as they are: control characters,
 * `"`, `\\`, and the start of any non-ASCII sequence (checked). */
/* clang-format off */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

/* Some byte of the eight at p is json_special. */
static bool json_special_word(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return (w & CG_WORD_HIGHS) | cg_word_bytes_below(w, 0x20) |
	       cg_word_bytes_eq(w, '"') | cg_word_bytes_eq(w, '\\');
}

void cg_json_writer_string(struct cg_json_writer *writer, const char *s)
{
	size_t len, i = 0, run = 0;

	if (!s) {
		CG_JSON_WRITE_LIT(writer, "null");
		return;
	}
	len = strlen(s);
	CG_JSON_WRITE_LIT(writer, "\"");
	/* copy runs that need nothing in one go; `run` starts the current one
	 */
	while (i < len) {
		unsigned char c;
		size_t n;

		/* eight plain bytes at a time */
		while (i + 8 <= len && !json_special_word(s + i))
			i += 8;
		if (i >= len)
			break;
		c = (unsigned char)s[i];
		if (!json_special[c]) {
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_seq_len(s + i, len - i))) {
			i += n;
			continue;
		}
		cg_json_writer_add(writer, s + run, i - run);
		if (c >= 0x80)
			CG_JSON_WRITE_LIT(writer, "\xef\xbf\xbd");
		else if (c < 0x20)
			write_control(writer, c);
		else if (c == '"')
			CG_JSON_WRITE_LIT(writer, "\\\"");
		else
			CG_JSON_WRITE_LIT(writer, "\\\\");
		run = ++i;
	}
	cg_json_writer_add(writer, s + run, len - run);
	CG_JSON_WRITE_LIT(writer, "\"");
}

void cg_json_writer_int(struct cg_json_writer *writer, long long v)
{
	char digits[24], *p = digits + sizeof(digits);
	unsigned long long u =
	    v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	cg_json_writer_add(writer, p, (size_t)(digits + sizeof(digits) - p));
}

int cg_json_writer_finish(struct cg_json_writer *writer)
{
	writer_flush(writer);
	return cg_report_finish(writer->file);
}

int cg_json_dump(FILE *out, const json_t *root)
{
	char *text;
	int err;

	/* the whole text first: json_dumpf allocates as it writes, and a
	 * failure half-way left half a report on `out` */
	if (!root ||
	    !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		cg_oom(0);
	if (fputs(text, out) == EOF || fputc('\n', out) == EOF) {
		err = cg_report_finish(out);
		if (!err)
			err = cg_error_set(CG_EIO, "cannot write the report");
	} else {
		err = cg_report_finish(out);
	}
	free(text);
	return err;
}
