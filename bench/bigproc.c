/* bigproc: a process holding GIB gibibytes of written anonymous memory.
 * usage: bigproc GIB [thp]   prints "REGION start npages" and "READY",
 * then waits until standard input closes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	size_t len = (size_t)strtoull(argv[1], NULL, 0) << 30;
	int thp = argc > 2 && argv[2][0] == 't';
	char *p = mmap(NULL, len + (2 << 20), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	p = (char *)(((uintptr_t)p + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("REGION 0x%llx %zu\nREADY\n", (unsigned long long)(uintptr_t)p,
	       len / 4096);
	fflush(stdout);
	char buf[16];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
