/*
 * lang/plan_render.c — a migration plan (evolve.h) as JSON, as the text of
 * spec §10.5, and as the msgpack logged with a schema apply.
 *
 * Each step is first flattened into its fields (spec §10.2 table), in a
 * fixed order; the JSON and msgpack forms both write those fields, so they
 * always agree.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/evolve.h"
#include "lang/json_out.h"

#define PLAN_MAGIC "grove.plan"
#define PLAN_VERSION 1u
#define PLAN_HARD_IDS_MAX (1u << 20)

const char *lang_step_kind_name(enum lang_step_kind kind)
{
	static const char *const names[] = {
		[LANG_STEP_ADD_TYPE] = "add_type",
		[LANG_STEP_RENAME_TYPE] = "rename_type",
		[LANG_STEP_ADD_PROPERTY] = "add_property",
		[LANG_STEP_RENAME_PROPERTY] = "rename_property",
		[LANG_STEP_EXTEND_ENUM] = "extend_enum",
		[LANG_STEP_ADD_CONSTRAINT] = "add_constraint",
		[LANG_STEP_UPDATE_TYPE_METADATA] = "update_type_metadata",
		[LANG_STEP_UPDATE_PROPERTY_METADATA] = "update_property_metadata",
		[LANG_STEP_DROP_TYPE] = "drop_type",
		[LANG_STEP_DROP_PROPERTY] = "drop_property",
		[LANG_STEP_UNSUPPORTED] = "unsupported_change",
	};
	return kind >= LANG_STEP_ADD_TYPE && kind <= LANG_STEP_KIND_MAX ? names[kind] : "unknown";
}

const char *lang_code_tier(const char *code)
{
	if (code == NULL)
		return NULL;
	if (strcmp(code, LANG_CODE_ADD_REQUIRED) == 0)
		return "validated";
	return strcmp(code, LANG_CODE_TYPE_CHANGE) == 0 ? "destructive" : NULL;
}

/* ---- fields ---------------------------------------------------------------- */

enum field_kind { F_STR, F_STRS, F_ANNOTATIONS };

struct field {
	const char *key;
	enum field_kind kind;
	const char *str;                       /* F_STR (never NULL)       */
	const struct lang_step *step;          /* F_STRS, F_ANNOTATIONS    */
};

#define FIELDS_MAX 8

static uint32_t step_fields(struct field *f, const struct lang_step *s)
{
	uint32_t n = 0;
#define STR(k, v) f[n++] = (struct field){ (k), F_STR, (v), s }
	STR("kind", lang_step_kind_name(s->kind));
	if (s->kind == LANG_STEP_UNSUPPORTED) {
		STR("entity", s->entity);
		STR("reason", s->reason);
		if (s->code != NULL)
			STR("code", s->code);
		return n;
	}
	STR("type_kind", lang_cat_kind_name(s->type_kind));
	if (s->name != NULL)
		STR("name", s->name);
	if (s->type_name != NULL)
		STR("type_name", s->type_name);
	if (s->from != NULL)
		STR("from", s->from);
	if (s->to != NULL)
		STR("to", s->to);
	if (s->property_name != NULL)
		STR("property_name", s->property_name);
	if (s->property_type != NULL)
		STR("property_type", s->property_type);
	if (s->constraint != NULL)
		STR("constraint", s->constraint);
	if (s->kind == LANG_STEP_EXTEND_ENUM)
		f[n++] = (struct field){ "added_values", F_STRS, NULL, s };
	if (s->kind == LANG_STEP_UPDATE_TYPE_METADATA || s->kind == LANG_STEP_UPDATE_PROPERTY_METADATA)
		f[n++] = (struct field){ "annotations", F_ANNOTATIONS, NULL, s };
	if (s->kind == LANG_STEP_DROP_TYPE || s->kind == LANG_STEP_DROP_PROPERTY)
		STR("mode", s->hard ? "hard" : "soft");
#undef STR
	return n;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_field(FILE *f, const struct field *fd)
{
	const struct lang_step *s = fd->step;
	lang_json_str(f, fd->key);
	fputc(':', f);
	if (fd->kind == F_STR) {
		lang_json_str(f, fd->str);
	} else if (fd->kind == F_STRS) {
		fputc('[', f);
		for (uint32_t i = 0; i < s->n_values; i++) {
			fputs(i ? "," : "", f);
			lang_json_str(f, s->values[i]);
		}
		fputc(']', f);
	} else {
		fputc('{', f);
		for (uint32_t i = 0; i < s->n_annotations; i++) {
			fputs(i ? "," : "", f);
			lang_json_str(f, s->annotations[i].name);
			fputc(':', f);
			if (s->annotations[i].value != NULL)
				lang_json_str(f, s->annotations[i].value);
			else
				fputs("null", f);
		}
		fputc('}', f);
	}
}

char *lang_plan_steps_json(const struct lang_plan *plan)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fputc('[', f);
	for (uint32_t i = 0; i < plan->n_steps; i++) {
		struct field fields[FIELDS_MAX];
		uint32_t n = step_fields(fields, &plan->steps[i]);
		fputs(i ? ",{" : "{", f);
		for (uint32_t j = 0; j < n; j++) {
			fputs(j ? "," : "", f);
			json_field(f, &fields[j]);
		}
		fputc('}', f);
	}
	fputc(']', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- text ------------------------------------------------------------------ */

static void step_text(FILE *f, const struct lang_step *s)
{
	const char *k = lang_cat_kind_name(s->type_kind), *mode = s->hard ? "hard" : "soft";
	switch (s->kind) {
	case LANG_STEP_ADD_TYPE:
		fprintf(f, "add %s type '%s'", k, s->name);
		break;
	case LANG_STEP_RENAME_TYPE:
		fprintf(f, "rename %s type '%s' -> '%s'", k, s->from, s->to);
		break;
	case LANG_STEP_ADD_PROPERTY:
		fprintf(f, "add property '%s.%s' (%s) on %s '%s'", s->type_name, s->property_name,
		        s->property_type ? s->property_type : "?", k, s->type_name);
		break;
	case LANG_STEP_RENAME_PROPERTY:
		fprintf(f, "rename property '%s.%s' -> '%s.%s' on %s '%s'", s->type_name, s->from, s->type_name, s->to, k,
		        s->type_name);
		break;
	case LANG_STEP_EXTEND_ENUM:
		fprintf(f, "extend enum '%s.%s' with", s->type_name, s->property_name);
		for (uint32_t i = 0; i < s->n_values; i++)
			fprintf(f, "%s '%s'", i ? "," : "", s->values[i]);
		fprintf(f, " on %s '%s'", k, s->type_name);
		break;
	case LANG_STEP_ADD_CONSTRAINT:
		fprintf(f, "add constraint %s on %s '%s'", s->constraint, k, s->type_name);
		break;
	case LANG_STEP_UPDATE_TYPE_METADATA:
	case LANG_STEP_UPDATE_PROPERTY_METADATA:
		fputs("update metadata (", f);
		for (uint32_t i = 0; i < s->n_annotations; i++)
			fprintf(f, "%s@%s", i ? ", " : "", s->annotations[i].name);
		if (s->kind == LANG_STEP_UPDATE_TYPE_METADATA)
			fprintf(f, ") of %s type '%s'", k, s->name);
		else
			fprintf(f, ") of property '%s.%s' on %s '%s'", s->type_name, s->property_name, k, s->type_name);
		break;
	case LANG_STEP_DROP_TYPE:
		fprintf(f, "drop %s type '%s' (%s mode)", k, s->name, mode);
		break;
	case LANG_STEP_DROP_PROPERTY:
		fprintf(f, "drop property '%s.%s' on %s '%s' (%s mode)", s->type_name, s->property_name, k, s->type_name,
		        mode);
		break;
	case LANG_STEP_UNSUPPORTED:
		fprintf(f, "unsupported change on %s", s->entity);
		if (s->code != NULL)
			fprintf(f, " [%s, %s]", s->code, lang_code_tier(s->code) ? lang_code_tier(s->code) : "?");
		fprintf(f, ": %s", s->reason);
		break;
	}
}

char *lang_step_text(const struct lang_step *step)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	step_text(f, step);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *lang_plan_text(const struct lang_plan *plan, const char *uri)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "schema plan for %s\nsupported: %s\n", uri, plan->supported ? "yes" : "no");
	if (plan->n_steps == 0)
		fputs("no schema changes\n", f);
	for (uint32_t i = 0; i < plan->n_steps; i++) {
		fputs("- ", f);
		step_text(f, &plan->steps[i]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- msgpack ----------------------------------------------------------------- */

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, s, n);
}

static int pack_field(msgpack_packer *pk, const struct field *fd)
{
	const struct lang_step *s = fd->step;
	int rc = pack_str(pk, fd->key);
	if (fd->kind == F_STR)
		return rc | pack_str(pk, fd->str);
	if (fd->kind == F_STRS) {
		rc |= msgpack_pack_array(pk, s->n_values);
		for (uint32_t i = 0; i < s->n_values; i++)
			rc |= pack_str(pk, s->values[i]);
		return rc;
	}
	rc |= msgpack_pack_map(pk, s->n_annotations);
	for (uint32_t i = 0; i < s->n_annotations; i++) {
		rc |= pack_str(pk, s->annotations[i].name);
		rc |= s->annotations[i].value ? pack_str(pk, s->annotations[i].value) : msgpack_pack_nil(pk);
	}
	return rc;
}

/* The types whose history a hard drop makes unreachable (no interfaces:
 * they hold no rows), each once. */
static uint32_t hard_ids(uint32_t *out, const struct lang_plan *plan)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < plan->n_steps; i++) {
		const struct lang_step *s = &plan->steps[i];
		if ((s->kind != LANG_STEP_DROP_TYPE && s->kind != LANG_STEP_DROP_PROPERTY) || !s->hard ||
		    s->type_kind == LANG_CAT_INTERFACE)
			continue;
		uint32_t j = 0;
		while (j < n && out[j] != s->type_id)
			j++;
		if (j == n)
			out[n++] = s->type_id;
	}
	return n;
}

int lang_plan_encode(void **out, size_t *out_len, const struct lang_plan *plan, uint64_t catalog_hash)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint32_t *ids = malloc(sizeof(uint32_t) * (plan->n_steps + 1));
	if (ids == NULL)
		return -1;
	uint32_t n_ids = hard_ids(ids, plan);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	char hash[24];  /* hex text: JSON renderings of the log keep every bit */
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)catalog_hash);
	int rc = msgpack_pack_array(&pk, 6) | pack_str(&pk, PLAN_MAGIC) | msgpack_pack_uint32(&pk, PLAN_VERSION) |
	         pack_str(&pk, hash) |
	         (plan->allow_data_loss ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
	         msgpack_pack_array(&pk, n_ids);
	for (uint32_t i = 0; i < n_ids; i++)
		rc |= msgpack_pack_uint32(&pk, ids[i]);
	rc |= msgpack_pack_array(&pk, plan->n_steps);
	for (uint32_t i = 0; i < plan->n_steps; i++) {
		struct field fields[FIELDS_MAX];
		uint32_t n = step_fields(fields, &plan->steps[i]);
		rc |= msgpack_pack_map(&pk, n);
		for (uint32_t j = 0; j < n; j++)
			rc |= pack_field(&pk, &fields[j]);
	}
	free(ids);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&sb);
		return -1;
	}
	*out = sb.data;  /* the sbuffer's malloc'd memory is the result */
	*out_len = sb.size;
	return 0;
}

/* ---- reading the header back (by hand: the bytes come from a log) ------------- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	int bad;
};

static uint64_t rd_be(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;
	if (r->off + bytes > r->n) {
		r->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | r->p[r->off++];
	return v;
}

static uint8_t rd_byte(struct rd *r)
{
	return (uint8_t)rd_be(r, 1);
}

static uint32_t rd_array(struct rd *r)
{
	uint8_t t = rd_byte(r);
	if ((t & 0xf0) == 0x90)
		return t & 0x0f;
	if (t == 0xdc || t == 0xdd)
		return (uint32_t)rd_be(r, t == 0xdc ? 2 : 4);
	r->bad = 1;
	return 0;
}

static uint64_t rd_uint(struct rd *r)
{
	uint8_t t = rd_byte(r);
	if (t < 0x80)
		return t;
	if (t >= 0xcc && t <= 0xcf)
		return rd_be(r, 1u << (t - 0xcc));
	r->bad = 1;
	return 0;
}

/* A fixstr of exactly n bytes at the cursor; NULL when not. */
static const char *rd_fixstr(struct rd *r, size_t n)
{
	uint8_t t = rd_byte(r);
	if (r->bad || (t & 0xe0) != 0xa0 || (size_t)(t & 0x1f) != n || r->off + n > r->n)
		return NULL;
	const char *s = (const char *)r->p + r->off;
	r->off += n;
	return s;
}

static int rd_magic(struct rd *r)
{
	const char *s = rd_fixstr(r, strlen(PLAN_MAGIC));
	return s != NULL && memcmp(s, PLAN_MAGIC, strlen(PLAN_MAGIC)) == 0 ? 0 : -1;
}

static int rd_hash(struct rd *r, uint64_t *out)
{
	const char *s = rd_fixstr(r, 16);
	*out = 0;
	for (int i = 0; s != NULL && i < 16; i++) {
		int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		*out = *out << 4 | (uint64_t)d;
	}
	return s != NULL ? 0 : -1;
}

int lang_plan_decode_header(uint64_t *catalog_hash, uint32_t **ids, uint32_t *n_ids, const void *buf, size_t len)
{
	struct rd r = { buf, len, 0, 0 };
	*ids = NULL;
	*n_ids = 0;
	if (rd_array(&r) != 6 || r.bad || rd_magic(&r) < 0 || rd_uint(&r) != PLAN_VERSION)
		return -1;
	if (rd_hash(&r, catalog_hash) < 0)
		return -1;
	uint8_t b = rd_byte(&r);
	uint32_t n = rd_array(&r);
	if (r.bad || (b != 0xc2 && b != 0xc3) || n > PLAN_HARD_IDS_MAX || n > len)
		return -1;
	uint32_t *v = malloc(sizeof(uint32_t) * (n + 1));
	if (v == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t id = rd_uint(&r);
		v[i] = (uint32_t)id;
		r.bad |= id > UINT32_MAX;
	}
	if (r.bad) {
		free(v);
		return -1;
	}
	*ids = v;
	*n_ids = n;
	return 0;
}
