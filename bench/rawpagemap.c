/* rawpagemap: the limit for reading a process's pagemap — a bare pread
 * loop over [start, start + npages pages) in 64 Ki-entry chunks, counting
 * present entries so the reads cannot be optimised away.
 * usage: rawpagemap PID START NPAGES   prints "pages seconds present". */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1]);
	uint64_t start = strtoull(argv[2], NULL, 0);
	uint64_t n = strtoull(argv[3], NULL, 0);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	static uint64_t buf[CHUNK];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t present = 0;
	for (uint64_t done = 0; done < n;) {
		size_t want = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
		ssize_t r = pread(fd, buf, want * 8,
				  (off_t)((start >> 12) + done) * 8);
		if (r <= 0) {
			perror("pread");
			return 1;
		}
		for (size_t i = 0; i < (size_t)r / 8; i++)
			present += buf[i] >> 63;
		done += (size_t)r / 8;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %.6f %llu\n", (unsigned long long)n,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)present);
	return 0;
}
