/* commit_id.c — ULIDs (see commit_id.h). */
#include "log/commit_id.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Random bits come from getrandom() 100 ids at a time, per thread.  A
 * forked child must not hand out its parent's next ids: fork bumps a
 * generation that empties every pool. */
#define POOL_BYTES 1000

static _Atomic unsigned fork_gen = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static _Thread_local struct {
	unsigned gen;
	unsigned used;
	uint8_t bytes[POOL_BYTES];
} pool;

static void bump_fork_gen(void)
{
	atomic_fetch_add(&fork_gen, 1);
}

static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, bump_fork_gen);
}

static int random_bytes(uint8_t *out, unsigned n)
{
	unsigned gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);

	if (pool.gen != gen || pool.used + n > POOL_BYTES) {
		pthread_once(&atfork_once, register_atfork);
		size_t got = 0;
		while (got < POOL_BYTES) {
			ssize_t r = getrandom(pool.bytes + got, POOL_BYTES - got, 0);
			if (r < 0 && errno != EINTR)
				return -errno;
			got += r > 0 ? (size_t)r : 0;
		}
		pool.gen = atomic_load(&fork_gen);
		pool.used = 0;
	}
	memcpy(out, pool.bytes + pool.used, n);
	/* Used bytes are wiped: nothing in memory predicts an id handed out. */
	memset(pool.bytes + pool.used, 0, n);
	pool.used += n;
	return 0;
}

int commit_id_new(struct commit_id *out, uint64_t time_ms)
{
	for (int i = 0; i < 6; i++)
		out->b[i] = (uint8_t)(time_ms >> (8 * (5 - i)));
	return random_bytes(out->b + 6, 10);
}

bool commit_id_is_zero(const struct commit_id *id)
{
	static const struct commit_id zero;
	return memcmp(id, &zero, sizeof zero) == 0;
}

/* 128 bits as 26 groups of 5 bits, the first group holding the top 3:
 * the last character is the low 5 bits. */
void commit_id_format(char out[COMMIT_ID_TEXT_BYTES], const struct commit_id *id)
{
	unsigned __int128 v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 8 | id->b[i];
	for (int g = 25; g >= 0; g--, v >>= 5)
		out[g] = alphabet[(unsigned)v & 31u];
	out[26] = '\0';
}

static int decode_char(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

bool commit_id_parse(struct commit_id *out, const char *text)
{
	struct commit_id id = { { 0 } };
	if (strlen(text) != 26)
		return false;
	int first = decode_char(text[0]);
	if (first < 0 || first > 7)
		return false;
	int bit = 0;
	for (int g = 0; g < 26; g++) {
		int v = decode_char(text[g]), width = g == 0 ? 3 : 5;
		if (v < 0)
			return false;
		for (int i = width - 1; i >= 0; i--, bit++)
			if ((v >> i) & 1)
				id.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	*out = id;
	return true;
}
