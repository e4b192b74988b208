#include <stdio.h>
#include <stdlib.h>
#include "linux/types.h"
#include "linux/sort.h"
struct run { u32 slot; u32 word; unsigned long mask; };
static int cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	if (x->slot != y->slot) return x->slot < y->slot ? -1 : 1;
	return x->word < y->word ? -1 : x->word > y->word;
}
int main(int argc, char **argv)
{
	int n = atoi(argv[1]), reps = atoi(argv[2]), dosort = atoi(argv[3]);
	struct run *r = malloc(n * sizeof(*r));
	unsigned long x = 1;
	for (int k = 0; k < reps; k++) {
		for (int i = 0; i < n; i++) { x = x * 6364136223846793005UL + 1442695040888963407UL; r[i].slot = 1; r[i].word = (x >> 33) % (1u << 14); r[i].mask = 1; }
		if (dosort) sort(r, n, sizeof(*r), cmp, NULL);
	}
	printf("%u\n", r[0].word);
	return 0;
}
