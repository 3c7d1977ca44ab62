/*
 * chg_token.h — opaque page tokens and feed cursors of the change APIs,
 * and the block writer they continue (changes.c).  Private to engine/.
 */
#ifndef GROVE_ENGINE_CHG_TOKEN_H
#define GROVE_ENGINE_CHG_TOKEN_H

#include <jansson.h>

#include "engine/chg.h"
#include "engine/jsonw.h"
#include "index/layered.h"

#define CHG_TOKEN_MAX_BYTES 4096u

/* Seal `payload` (a JSON object with "v":1 and "kind"; the reference is
 * taken) into a token; *out is malloc'd. */
int chg_token_seal(char **out, grove_db *db, json_t *payload);
/* Open a token of kind `kind`: *out is its payload (new reference).
 * GROVE_ECURSOR "change cursor rejected: ..." when damaged or of another
 * kind. */
int chg_token_open(json_t **out, grove_db *db, const char *token, const char *kind,
		   const char *what);
/* The kind of a well-formed token into kind[cap]; -1 if it is none. */
int chg_token_kind(const char *token, char *kind, size_t cap);

/* A position in the frozen order: after (kind, type id, id).  An id of
 * up to CHG_POS_EXACT_MAX bytes rides whole in a token; a longer one as
 * its first CHG_POS_PREFIX bytes and its XXH3-128 (a "digest" position,
 * so a token's size never grows with an id), resolved against the
 * block's changes before use (chg_pos_resolve). */
#define CHG_POS_EXACT_MAX 256u
#define CHG_POS_PREFIX    64u
struct chg_pos {
	unsigned kind_rank;
	uint32_t type_id;
	uint32_t id_len;
	bool set;                /* a position (false: before everything)  */
	const char *ext;         /* the id when not in buf (NULL: buf)     */
	bool digest;             /* buf: the prefix; hash: the whole id's  */
	uint8_t hash[16];
	char buf[CHG_POS_EXACT_MAX];
};

static inline const char *chg_pos_id(const struct chg_pos *p)
{
	return p->ext ? p->ext : p->buf;
}

/* Is e the entity a digest position names? */
bool chg_pos_names(const struct chg_pos *p, const struct chg_entity *e);

/* {"k", "t", "id" (hex)} of an entity, or {"k", "t", "p", "h"} (hex
 * prefix and hash) for a long id; NULL when out of memory. */
json_t *chg_pos_json(const struct chg_entity *e);
int chg_pos_parse(struct chg_pos *out, const json_t *j);

/* ---- blocks (changes.c) ------------------------------------------------- */

/* A page's budget, shared by the blocks of one feed poll. */
/* changes.c: refuse a page budget outside engine §4.4's (0: GROVE_EINVAL;
 * above GROVE_CHANGES_PAGE_MAX changes / GROVE_CHANGES_PAGE_MAX_BYTES
 * bytes: GROVE_ELIMIT, resource "commit_changes_page_changes" / "_bytes",
 * for the feed too). */
struct grove_db;
int chg_page_limits(struct grove_db *db, uint32_t max_changes, uint64_t max_bytes);

struct chg_budget {
	uint32_t changes;       /* changes the page may still take          */
	size_t bytes;           /* bytes the page may still take (a target) */
	uint32_t taken;         /* changes the page holds                   */
};

/* How a block ended. */
struct chg_block_end {
	bool truncated;         /* more changes follow `last`               */
	json_t *last;           /* the last change written (chg_pos_json)   */
	bool boundary;          /* refused: a schema boundary (the error)   */
};

/* Write one block {"cause", "changes"} of commit c (vs its first parent)
 * to w: the changes after `from` (NULL: from the start) in the frozen
 * order, as many as the budget takes — at least one if the page is still
 * empty.  GROVE_ENOPARENT for the genesis commit; GROVE_EBOUNDARY with
 * end->boundary set when the commit crosses a schema boundary (a type
 * with rows added, dropped or given other properties; whatever the
 * scope: a boundary is a property of the commit, not of a view). */
int chg_block_write(struct jsonw *w, struct chg_block_end *end, grove_db *db, MDB_txn *txn,
		    const struct commit_rec *c, const struct chg_scope *s,
		    const struct chg_pos *from, struct chg_budget *budget);

/* The cause object of commit c. */
void chg_write_cause(struct jsonw *w, const struct commit_rec *c);

#endif
