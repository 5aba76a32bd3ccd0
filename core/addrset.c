/* addrset.c: an open-addressing hash set of nonzero 64-bit values. */
#include <stdlib.h>

#include "core/addrset.h"

static size_t slot(uint64_t a, size_t cap)
{
	return (size_t)((a * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

int ptv_addr_set_add(struct ptv_addr_set *s, uint64_t a)
{
	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t j = slot(s->v[i], cap);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t j = slot(a, s->cap);
	while (s->v[j]) {
		if (s->v[j] == a)
			return 1;
		j = (j + 1) & (s->cap - 1);
	}
	s->v[j] = a;
	s->n++;
	return 0;
}

void ptv_addr_set_deinit(struct ptv_addr_set *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}
