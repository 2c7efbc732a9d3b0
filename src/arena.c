/* arena.c - bump allocation in blocks (arena.h). */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct block {
	struct block *next;
	size_t used, size;
	_Alignas(8) char data[];
} block;

struct pd_arena {
	block *head;
};

static block *new_block(size_t size)
{
	block *b = malloc(sizeof(*b) + size);

	if (b) {
		b->next = NULL;
		b->used = 0;
		b->size = size;
	}
	return b;
}

/* Blocks double up to 1 MiB, then stay there (a large arena wastes at
 * most one block's tail), and are never smaller than the request. */
static size_t next_size(const block *b, size_t need)
{
	size_t size = b->size < (1u << 20) ? b->size * 2 : b->size;

	return size > need ? size : need;
}

pd_arena *pd_arena_new(size_t hint)
{
	pd_arena *a = malloc(sizeof(*a));

	if (!a)
		return NULL;
	a->head = new_block(hint < 256 ? 256 : hint);
	if (!a->head) {
		free(a);
		return NULL;
	}
	return a;
}

void *pd_arena_alloc(pd_arena *a, size_t n)
{
	block *b = a->head;
	size_t at = (b->used + 7) & ~(size_t)7;
	void *p;

	if (at > b->size || b->size - at < n) {
		size_t size = next_size(b, n);

		b = new_block(size);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
		at = 0;
	}
	p = b->data + at;
	b->used = at + n;
	return p;
}

char *pd_arena_strndup(pd_arena *a, const char *s, size_t n)
{
	block *b = a->head;
	char *p;

	if (b->size - b->used < n + 1) {
		size_t size = next_size(b, n + 1);

		b = new_block(size);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

char *pd_arena_strdup(pd_arena *a, const char *s)
{
	return s ? pd_arena_strndup(a, s, strlen(s)) : NULL;
}

void pd_arena_reset(pd_arena *a)
{
	block *b, *next;

	for (b = a->head->next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->head->used = 0;
}

void pd_arena_free(pd_arena *a)
{
	block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
