/*
 * A map from strings to indexes: the lookups rules made by scanning every
 * folder, service or host of the repository, once per fact, which made a
 * check of 100,000 files quadratic. Open addressing with linear probing;
 * the keys are borrowed (pointer and length), so a prefix of a path is a
 * key without a copy.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/core.h"
#include "core/banned.h"

struct cg_strmap_slot {
	const char *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t value;
};

static unsigned char fold(unsigned char c, bool nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return;
	/* no entropy yet: the clock and where the stack is (ASLR) */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	       (uint64_t)(uintptr_t)&ts;
}

/* A finaliser (murmur3's): every bit of h reaches the low ones */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_of(const struct cg_strmap *m, const char *key, size_t len)
{
	uint64_t h;

	pthread_once(&seed_once, seed_init);
	h = CG_HASH_INIT ^ seed;
	if (!m->nocase)
		return mix(cg_hash64(h, key, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = fold((unsigned char)key[i], true);

		h = cg_hash64(h, &c, 1);
	}
	return mix(h);
}

static bool same(const struct cg_strmap *m, const struct cg_strmap_slot *s,
		 const char *key, size_t len, uint64_t h)
{
	if (s->hash != h || s->len != len)
		return false;
	if (!m->nocase)
		return !memcmp(s->key, key, len);
	for (size_t i = 0; i < len; i++)
		if (fold((unsigned char)s->key[i], true) !=
		    fold((unsigned char)key[i], true))
			return false;
	return true;
}

void cg_strmap_init(struct cg_strmap *m, bool nocase)
{
	memset(m, 0, sizeof(*m));
	m->nocase = nocase;
}

void cg_strmap_release(struct cg_strmap *m)
{
	free(m->slots);
	cg_strmap_init(m, m->nocase);
}

/* The slot of `key`, or the empty one where it would go. */
static struct cg_strmap_slot *slot_of(const struct cg_strmap *m,
				      const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
		if (!m->slots[i].key || same(m, &m->slots[i], key, len, h))
			return &m->slots[i];
}

size_t cg_strmap_get(const struct cg_strmap *m, const char *key, size_t len)
{
	const struct cg_strmap_slot *s;

	if (!m->n)
		return (size_t)-1;
	s = slot_of(m, key, len, hash_of(m, key, len));
	return s->key ? s->value : (size_t)-1;
}

static void grow(struct cg_strmap *m)
{
	struct cg_strmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap = m->cap ? m->cap * 2 : 16;
	m->slots = cg_xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*slot_of(m, old[i].key, old[i].len, old[i].hash) =
			    old[i];
	free(old);
}

size_t cg_strmap_put(struct cg_strmap *m, const char *key, size_t len,
		     size_t value)
{
	uint64_t h = hash_of(m, key, len);
	struct cg_strmap_slot *s;

	/* at most half full: probes stay short */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = slot_of(m, key, len, h);
	if (s->key)
		return s->value;
	s->key = key;
	s->len = len;
	s->hash = h;
	s->value = value;
	m->n++;
	return value;
}

size_t cg_strmap_set(struct cg_strmap *m, const char *key, size_t len,
		     size_t value)
{
	uint64_t h = hash_of(m, key, len);
	struct cg_strmap_slot *s;
	size_t old;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = slot_of(m, key, len, h);
	if (!s->key) {
		s->key = key;
		s->len = len;
		s->hash = h;
		m->n++;
		s->value = value;
		return (size_t)-1;
	}
	old = s->value;
	s->value = value;
	return old;
}

char *cg_strmap_key2(const char *a, size_t na, const char *b, size_t nb,
		     size_t *len)
{
	char *k = cg_xmalloc(na + 1 + nb + 1);

	memcpy(k, a, na);
	k[na] = '\0';
	memcpy(k + na + 1, b, nb);
	k[na + 1 + nb] = '\0';
	*len = na + 1 + nb;
	return k;
}
