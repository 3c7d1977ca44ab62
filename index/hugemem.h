/*
 * hugemem.h — big buffers backed by transparent huge pages.
 *
 * A bulk apply fills buffers of tens to hundreds of MiB (the id cache,
 * put batches, a replayed load's records) for one event and frees them
 * after.  Each first touch of a 4 KiB page is a page fault, and where a
 * hypervisor shadows page tables a fault costs 5-10 us: a 3M-effect
 * rebuild took ~360,000 of them in these buffers.  Advised MADV_HUGEPAGE
 * (the kernel's "madvise" mode, Debian's default) a buffer faults once
 * per 2 MiB, and one of its own mapping grows by mremap, which moves its
 * pages instead of copying them into fresh ones (realloc copies whenever
 * glibc put the block on its heap).  Internal to Grove (index/ and the
 * layers above).
 */
#ifndef GROVE_INDEX_HUGEMEM_H
#define GROVE_INDEX_HUGEMEM_H

#include <stddef.h>

/* Buffers smaller than this are left to malloc. */
#define HUGEMEM_MIN ((size_t)8 << 20)

/* Resize buffer p of capacity `cap` bytes (NULL and 0: none yet) to `n`
 * bytes, keeping its contents: from HUGEMEM_MIN on a mapping of its own,
 * advised huge pages; below, malloc's.  NULL when out of memory (p is
 * then unchanged).  Free with hugemem_free(p, its capacity). */
void *hugemem_realloc(void *p, size_t cap, size_t n);
/* n bytes of zeros (calloc's below HUGEMEM_MIN), or NULL. */
void *hugemem_zalloc(size_t n);
void hugemem_free(void *p, size_t cap);

/* A mapping of its own of n bytes, zeroed and advised huge pages whatever
 * its size (the in-memory copies want them for their TLB reach), or
 * NULL.  hugemem_remap grows it (p NULL: a new one), keeping its
 * contents; hugemem_unmap frees it (p NULL: nothing). */
void *hugemem_map(size_t n);
void *hugemem_remap(void *p, size_t old, size_t n);
void hugemem_unmap(void *p, size_t n);

#endif
