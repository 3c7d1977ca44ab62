/* hugemem.c — big buffers backed by transparent huge pages (hugemem.h). */
#include "index/hugemem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *hugemem_map(size_t n)
{
	void *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* The whole mapping, so that it stays one VMA: mremap cannot move a
	 * range that spans several. */
	(void)madvise(q, n, MADV_HUGEPAGE);
#endif
	return q;
}

void *hugemem_remap(void *p, size_t old, size_t n)
{
	if (!p)
		return hugemem_map(n);
	void *q = mremap(p, old, n, MREMAP_MAYMOVE);   /* the advice moves with it */
	return q == MAP_FAILED ? NULL : q;
}

void hugemem_unmap(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

void *hugemem_realloc(void *p, size_t cap, size_t n)
{
	void *q;
	if (!p)
		cap = 0;   /* nothing to keep, whatever a freed owner still says */
	if (n < HUGEMEM_MIN) {
		if (cap < HUGEMEM_MIN)
			return realloc(p, n ? n : 1);
		if ((q = malloc(n ? n : 1)) != NULL) {   /* shrinking off the map */
			memcpy(q, p, n);
			hugemem_unmap(p, cap);
		}
		return q;
	}
	if (!p || cap < HUGEMEM_MIN) {
		if ((q = hugemem_map(n)) != NULL && p) {
			memcpy(q, p, cap < n ? cap : n);
			free(p);
		}
		return q;
	}
	return hugemem_remap(p, cap, n);
}

void *hugemem_zalloc(size_t n)
{
	return n < HUGEMEM_MIN ? calloc(n ? n : 1, 1) : hugemem_map(n);
}

void hugemem_free(void *p, size_t cap)
{
	if (!p)
		return;
	if (cap < HUGEMEM_MIN)
		free(p);
	else
		hugemem_unmap(p, cap);
}
