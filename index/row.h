/*
 * row.h — the stored form of one entity version (a "row"), shared by the
 * views (index/), the loader and the query executor (engine/).
 *
 * A row is one msgpack array:
 *
 *   node:  [ id, v1, v2, ..., vN ]
 *   edge:  [ id, src, dst, v1, v2, ..., vN ]
 *   (a delete effect carries just [ id ])
 *
 *   id       str   the user-visible id (canonical @key rendering, or the
 *                  given/generated id; spec §7.7)
 *   src,dst  str   the user-visible ids of the endpoint nodes (edges only)
 *
 * Internal entity ids (u64, used by adjacency) are assigned by the apply
 * step from the global id map, in LSN order, so replay reproduces them;
 * effects and rows name entities by their user-visible ids only.
 *   vK       the value of the property whose catalog id is K (ids start
 *            at 1, so slot K holds property id K); N = the type's
 *            next_prop_id - 1.  A property id with no property (dropped)
 *            holds nil.
 *
 * Values by property type (spec §2.3, §7):
 *   NULL                  nil
 *   String, enum          str (UTF-8)
 *   Bool                  bool
 *   I32, I64              int (msgpack's smallest encoding)
 *   U32, U64              uint
 *   F32                   float 32
 *   F64                   float 64
 *   Date                  int: days since 1970-01-01
 *   DateTime              int: milliseconds since 1970-01-01T00:00:00Z
 *   Blob                  bin (managed bytes) or str (external URI)
 *   Vector(n)             bin of n little-endian IEEE-754 float32
 *   [T]                   array of T's encodings (nil elements allowed)
 *
 * A tombstone (the entity deleted at this version) is the empty value (0
 * bytes) in the views, never a row.
 */
#ifndef GROVE_INDEX_ROW_H
#define GROVE_INDEX_ROW_H

#define ROW_NODE_FIRST_PROP 1   /* array slot of property id 1 in a node row */
#define ROW_EDGE_SRC        1
#define ROW_EDGE_DST        2
#define ROW_EDGE_FIRST_PROP 3   /* array slot of property id 1 in an edge row */

#endif
