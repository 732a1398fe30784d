/*
 * Docker's port publications, as compose files and GitHub service
 * containers write them (`ports:`), read into port maps: one row per
 * container port, with the host port it is published on.
 */
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

/* Cap on the ports one range expands to; a longer range is one row with
 * the ports unknown. */
#define MAX_RANGE 100

bool cg_port_range(const char *s, size_t n, unsigned *lo, unsigned *hi)
{
	unsigned long v = 0;
	size_t i = 0;

	for (int part = 0; part < 2; part++) {
		size_t start = i;

		for (v = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			v = v * 10 + (unsigned long)(s[i] - '0');
			if (v > 65535)
				return false;
		}
		if (i == start)
			return false;
		if (part == 0)
			*lo = *hi = (unsigned)v;
		else
			*hi = (unsigned)v;
		if (i == n)
			return part == 0 || *hi >= *lo;
		if (part == 0 && s[i] != '-')
			return false;
		i++;
	}
	return false;
}

void cg_ports_add(struct cg_ports *ps, unsigned container, unsigned published,
		  const struct cg_pos *pos)
{
	CG_GROW(ps->v, ps->alloc, ps->n + 1);
	memset(&ps->v[ps->n], 0, sizeof(*ps->v));
	ps->v[ps->n].container = container;
	ps->v[ps->n].published = published;
	ps->v[ps->n].pos = *pos;
	ps->n++;
}

/* Rows `from` on are published, but where cannot be told. */
static void host_unknown(struct cg_ports *ps, size_t from)
{
	for (size_t i = from; i < ps->n; i++) {
		ps->v[i].published = 0;
		ps->v[i].published_unknown = true;
	}
}

void cg_ports_map(struct cg_ports *ps, unsigned clo, unsigned chi, unsigned hlo,
		  unsigned hhi, const struct cg_pos *pos)
{
	unsigned nc = chi - clo + 1;

	if (nc > MAX_RANGE) {
		cg_ports_add(ps, 0, 0, pos);
		return;
	}
	if (hlo && hhi - hlo + 1 != nc) {
		if (nc == 1) {
			/* some port of the host range */
			cg_ports_add(ps, clo, 0, pos);
			host_unknown(ps, ps->n - 1);
		}
		return; /* host range of another length: docker rejects it */
	}
	for (unsigned k = 0; k < nc; k++)
		cg_ports_add(ps, clo + k, hlo ? hlo + k : 0, pos);
}

/* The container port(s) in [c, end), or an unknown one, published at a
 * host port that cannot be told. */
static void published_somewhere(struct cg_ports *ps, const char *c,
				const char *end, const struct cg_pos *pos)
{
	size_t from = ps->n;
	unsigned clo, chi;

	if (cg_port_range(c, (size_t)(end - c), &clo, &chi))
		cg_ports_map(ps, clo, chi, 0, 0, pos);
	else
		cg_ports_add(ps, 0, 0, pos);
	host_unknown(ps, from);
}

void cg_ports_short(struct cg_ports *ps, const char *s,
		    const struct cg_pos *pos)
{
	const char *end = s + strcspn(s, "/"), *c, *h = NULL;
	unsigned clo, chi, hlo = 0, hhi = 0;

	if (memchr(s, '$', (size_t)(end - s))) {
		/* `${HOST_PORT:-8080}:8080`, `${{ matrix.port }}:5432`:
		 * colons inside the braces; only a container port after
		 * the last ':' is known, and it may be published anywhere */
		for (c = end; c > s && c[-1] != ':'; c--)
			;
		published_somewhere(ps, c, end, pos);
		return;
	}
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb > end || rb[1] != ':')
			return;
		s = rb + 2; /* now `host:container` or `:container` */
	}
	c = end;
	while (c > s && c[-1] != ':')
		c--;
	if (c > s) {
		const char *colon = c - 1;

		h = colon;
		while (h > s && h[-1] != ':')
			h--;
		if (h > s && memchr(s, ':', (size_t)(h - 1 - s)))
			return; /* an IPv6 address without brackets */
		if (colon > h &&
		    !cg_port_range(h, (size_t)(colon - h), &hlo, &hhi)) {
			/* a host port that is not a number */
			published_somewhere(ps, c, end, pos);
			return;
		}
	}
	if (!cg_port_range(c, (size_t)(end - c), &clo, &chi)) {
		cg_ports_add(ps, 0, 0, pos);
		return;
	}
	cg_ports_map(ps, clo, chi, hlo, hhi, pos);
}
