/* replay-score.c: field-by-field scoring of check records.
 *
 * JSON is read with jansson (libjansson-dev): the records are another
 * program's output (the model's, a judge's), so the reader must be right
 * about every corner of JSON and must compare values as JSON values
 * (json_equal()), which a hand-written reader for our own flat records
 * would only approximate.  The predicted file is held in memory, keyed by
 * a hash table; the observed file is streamed.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/replay-score.h"

/* A record line longer than this is not one of ours. */
#define MAX_LINE (1u << 20)
#define MAX_RECORDS (UINT64_C(1) << 26)

struct pred {
	json_t *rec;
	char *key;
	bool seen;
};

struct pred_table {
	struct pred *v;
	size_t n, cap;
	size_t *slots;		/* index + 1 into v; 0 empty */
	size_t nslots;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

static size_t *table_slot(struct pred_table *t, const char *key)
{
	size_t mask = t->nslots - 1;
	for (size_t i = str_hash(key) & mask;; i = (i + 1) & mask) {
		if (!t->slots[i] || strcmp(t->v[t->slots[i] - 1].key, key) == 0)
			return &t->slots[i];
	}
}

static struct ptv_error *table_add(struct pred_table *t, json_t *rec,
				   char *key, bool *dup_ret)
{
	if (2 * (t->n + 1) > t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 1024;
		size_t *slots = calloc(ns, sizeof(*slots));
		if (!slots)
			return ptv_enomem;
		free(t->slots);
		t->slots = slots;
		t->nslots = ns;
		for (size_t i = 0; i < t->n; i++)
			*table_slot(t, t->v[i].key) = i + 1;
	}
	size_t *slot = table_slot(t, key);
	if (*slot) {
		*dup_ret = true;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct pred *nv = realloc(t->v, cap * sizeof(*nv));
		if (!nv)
			return ptv_enomem;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n] = (struct pred){ rec, key, false };
	*slot = ++t->n;
	*dup_ret = false;
	return NULL;
}

static void table_deinit(struct pred_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		json_decref(t->v[i].rec);
		free(t->v[i].key);
	}
	free(t->v);
	free(t->slots);
}

static bool is_key_field(const char *k)
{
	return strcmp(k, "check") == 0 || strcmp(k, "task") == 0 ||
	       strcmp(k, "region") == 0 || strcmp(k, "off") == 0;
}

/* The record's key, or NULL for records that are not check records
 * (*bad_ret set when it is a check record without a proper key). */
static char *record_key(const json_t *rec, const char **bad_ret)
{
	const json_t *check = json_object_get(rec, "check");
	*bad_ret = NULL;
	if (!check)
		return NULL;
	const json_t *task = json_object_get(rec, "task");
	const json_t *region = json_object_get(rec, "region");
	const json_t *off = json_object_get(rec, "off");
	if (!json_is_string(check) || !json_is_string(task)) {
		*bad_ret = "a check record needs string \"check\" and \"task\"";
		return NULL;
	}
	char *key = NULL;
	int r;
	if (region || off) {
		if (!json_is_string(region) || !json_is_integer(off) ||
		    json_integer_value(off) < 0) {
			*bad_ret = "a page record needs a string \"region\" and "
				   "an integer \"off\"";
			return NULL;
		}
		r = asprintf(&key, "check=%s task=%s region=%s off=%" JSON_INTEGER_FORMAT,
			     json_string_value(check), json_string_value(task),
			     json_string_value(region),
			     json_integer_value(off));
	} else {
		r = asprintf(&key, "check=%s task=%s", json_string_value(check),
			     json_string_value(task));
	}
	if (r < 0) {
		*bad_ret = "out of memory";
		return NULL;
	}
	return key;
}

struct line_reader {
	const char *path;
	FILE *f;
	bool owned;
	char *buf;
	size_t cap;
	unsigned long line;
	uint64_t records;
};

/* The next line's check record into *rec_ret and *key_ret (NULL at EOF);
 * other records are skipped. */
static struct ptv_error *next_record(struct line_reader *lr, json_t **rec_ret,
				     char **key_ret)
{
	for (;;) {
		ssize_t len = getline(&lr->buf, &lr->cap, lr->f);
		if (len < 0) {
			if (ferror(lr->f))
				return ptv_error_os(errno, "%s", lr->path);
			*rec_ret = NULL;
			*key_ret = NULL;
			return NULL;
		}
		lr->line++;
		if ((size_t)len > MAX_LINE)
			return ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: line "
				"longer than %u bytes", lr->path, lr->line,
				MAX_LINE);
		size_t i = 0;
		while (i < (size_t)len && (lr->buf[i] == ' ' ||
		       lr->buf[i] == '\t' || lr->buf[i] == '\n' ||
		       lr->buf[i] == '\r'))
			i++;
		if (i == (size_t)len)
			continue;	/* blank */
		json_error_t je;
		json_t *rec = json_loadb(lr->buf, (size_t)len,
					 JSON_REJECT_DUPLICATES, &je);
		if (!rec)
			return ptv_error_create(PTV_ERR_FORMAT, "%s:%lu:%d: %s",
						lr->path, lr->line, je.column,
						je.text);
		if (!json_is_object(rec)) {
			json_decref(rec);
			return ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: not a "
				"JSON object", lr->path, lr->line);
		}
		const char *bad;
		char *key = record_key(rec, &bad);
		if (bad) {
			json_decref(rec);
			return ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: %s",
						lr->path, lr->line, bad);
		}
		if (!key) {
			json_decref(rec);
			continue;	/* an event record */
		}
		if (++lr->records > MAX_RECORDS) {
			json_decref(rec);
			free(key);
			return ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: more "
				"than %" PRIu64 " check records", lr->path,
				lr->line, MAX_RECORDS);
		}
		*rec_ret = rec;
		*key_ret = key;
		return NULL;
	}
}

static uint64_t count_fields(const json_t *rec)
{
	uint64_t n = 0;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)rec, k, v) {
		if (is_key_field(k))
			continue;
		n += json_is_object(v) ? json_object_size(v) : 1;
	}
	return n;
}

struct scorer {
	void (*diff)(void *arg, const struct ptv_score_diff *d);
	void *arg;
	struct ptv_score *s;
};

static void field(struct scorer *sc, const char *key, const char *name,
		  const json_t *obs, const json_t *pred)
{
	sc->s->total++;
	if (pred && json_equal((json_t *)obs, (json_t *)pred)) {
		sc->s->matched++;
		return;
	}
	if (!sc->diff)
		return;
	char *o = json_dumps(obs, JSON_COMPACT | JSON_ENCODE_ANY);
	char *p = pred ? json_dumps(pred, JSON_COMPACT | JSON_ENCODE_ANY) :
		  NULL;
	struct ptv_score_diff d = { .kind = PTV_SCORE_MISMATCH, .key = key,
				    .field = name, .observed = o ? o : "?",
				    .predicted = p };
	sc->diff(sc->arg, &d);
	free(o);
	free(p);
}

static void score_record(struct scorer *sc, const char *key,
			 const json_t *obs, const json_t *pred)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)obs, k, v) {
		if (is_key_field(k))
			continue;
		const json_t *pv = json_object_get(pred, k);
		if (!json_is_object(v)) {
			field(sc, key, k, v, pv);
			continue;
		}
		const char *sk;
		const json_t *sv;
		json_object_foreach((json_t *)v, sk, sv) {
			char name[256];
			snprintf(name, sizeof(name), "%s.%s", k, sk);
			field(sc, key, name, sv,
			      json_is_object(pv) ? json_object_get(pv, sk) :
			      NULL);
		}
	}
}

static struct ptv_error *open_reader(struct line_reader *lr, const char *path,
				     FILE *f)
{
	memset(lr, 0, sizeof(*lr));
	lr->path = path;
	if (f) {
		lr->f = f;
		return NULL;
	}
	lr->owned = true;
	lr->f = fopen(path, "re");
	return lr->f ? NULL : ptv_error_os(errno, "%s", path);
}

static void close_reader(struct line_reader *lr)
{
	if (lr->f && lr->owned)
		fclose(lr->f);
	free(lr->buf);
}

struct ptv_error *ptv_replay_score(const char *observed, const char *predicted,
				   void (*diff)(void *arg,
						const struct ptv_score_diff *d),
				   void *arg, struct ptv_score *ret)
{
	return ptv_replay_score_files(NULL, observed, NULL, predicted, diff,
				      arg, ret);
}

struct ptv_error *ptv_replay_score_files(FILE *obs_f, const char *observed,
					 FILE *pred_f, const char *predicted,
					 void (*diff)(void *arg,
						const struct ptv_score_diff *d),
					 void *arg, struct ptv_score *ret)
{
	struct ptv_score s = { 0 };
	struct pred_table t = { 0 };
	struct line_reader lr;
	struct scorer sc = { diff, arg, &s };
	json_t *rec;
	char *key;
	bool dup;
	struct ptv_error *err = open_reader(&lr, predicted, pred_f);
	while (!err && !(err = next_record(&lr, &rec, &key)) && rec) {
		unsigned long line = lr.line;
		if ((err = table_add(&t, rec, key, &dup))) {
			json_decref(rec);
			free(key);
		} else if (dup) {
			err = ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: a second "
					       "record for %s", predicted, line,
					       key);
			json_decref(rec);
			free(key);
		}
	}
	close_reader(&lr);
	if (err)
		goto out;
	struct pred_table seen_obs = { 0 };	/* duplicate observed keys */
	err = open_reader(&lr, observed, obs_f);
	while (!err && !(err = next_record(&lr, &rec, &key)) && rec) {
		/* seen_obs holds the key only; it frees it. */
		if ((err = table_add(&seen_obs, NULL, key, &dup))) {
			json_decref(rec);
			free(key);
			break;
		}
		if (dup) {
			err = ptv_error_create(PTV_ERR_FORMAT, "%s:%lu: a second "
					       "record for %s", observed, lr.line,
					       key);
			json_decref(rec);
			free(key);
			break;
		}
		size_t *slot = t.nslots ? table_slot(&t, key) : NULL;
		if (slot && *slot) {
			struct pred *p = &t.v[*slot - 1];
			p->seen = true;
			score_record(&sc, key, rec, p->rec);
		} else {
			uint64_t n = count_fields(rec);
			s.total += n;
			s.missing++;
			struct ptv_score_diff d = { .kind = PTV_SCORE_MISSING,
						    .key = key, .fields = n };
			if (diff)
				diff(arg, &d);
		}
		json_decref(rec);
	}
	close_reader(&lr);
	table_deinit(&seen_obs);
	if (err)
		goto out;
	for (size_t i = 0; i < t.n; i++) {
		if (t.v[i].seen)
			continue;
		s.extra++;
		struct ptv_score_diff d = { .kind = PTV_SCORE_EXTRA,
					    .key = t.v[i].key };
		if (diff)
			diff(arg, &d);
	}
	*ret = s;
out:
	table_deinit(&t);
	return err;
}
