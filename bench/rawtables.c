/* rawtables: the raw-read limit for a page-table walk — read the given
 * table pages (physical addresses, one per line on stdin) from a memory
 * image through ptview's image layer, REPS times, with no decoding.
 * usage: rawtables IMAGE [REPS] < phys-list
 * prints "tables seconds_per_rep MiB_per_s" for the best repetition. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/error.h"
#include "core/image.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	struct ptv_image *img;
	struct ptv_error *err = ptv_image_open(argv[1], &img);
	if (err) {
		fprintf(stderr, "rawtables: %s\n", err->message);
		return 1;
	}
	size_t n = 0, cap = 1024;
	uint64_t *v = malloc(cap * sizeof(*v)), a;
	while (v && scanf("%" SCNx64, &a) == 1) {
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
		}
		if (v)
			v[n++] = a;
	}
	static char buf[4096];
	double best = 1e9;
	uint64_t sink = 0;
	for (int r = 0; r < reps && v; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (size_t i = 0; i < n; i++) {
			err = ptv_image_read_phys(img, v[i], buf, sizeof(buf));
			if (err) {
				ptv_error_destroy(err);
				continue;
			}
			sink += (unsigned char)buf[8];
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) +
			   (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (s < best)
			best = s;
	}
	printf("%zu %.6f %.1f %" PRIu64 "\n", n, best,
	       (double)n * 4096 / best / 1048576, sink % 2);
	free(v);
	ptv_image_destroy(img);
	return 0;
}
