/* layout: a test process with a known address space.
 *
 * usage: layout [--swap] DISKFILE TMPFSFILE
 *
 * Maps the regions below at fixed addresses (region k at 0x200000000000 +
 * k GiB, so VMAs never merge), touches them as described, forks a child
 * that COW-writes part of `cow`, then prints, for the tests:
 *   REGION name start npages
 *   ZERO_PAGE 1|0|unknown   (does a read fault map the shared zero page?
 *                            probed here from our own pagemap/kpageflags)
 *   HZERO 1|0|unknown       (same for the huge zero page)
 *   CHILD pid
 *   READY
 * and waits until standard input closes.  The child waits the same way.
 * Both exit then.  Any setup failure prints "FAIL what: why" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define BASE 0x200000000000ULL	/* above ASan's shadow, as spec/trace.md places regions */
#define GIB (1ULL << 30)
#define PG 4096UL

static void fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static char *map_at(int k, size_t len, int prot, int flags, int fd)
{
	void *want = (void *)(uintptr_t)(BASE + (uint64_t)k * GIB);
	void *p = mmap(want, len, prot, flags | MAP_FIXED_NOREPLACE, fd, 0);
	if (p == MAP_FAILED || p != want)
		fail("mmap");
	return p;
}

static void region(const char *name, const void *p, size_t len)
{
	printf("REGION %s 0x%llx %zu\n", name,
	       (unsigned long long)(uintptr_t)p, len / PG);
}

static void write_pages(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PG)
		p[off] = (char)(1 + off / PG);
}

static void read_pages(const char *p, size_t len)
{
	volatile char sink;
	for (size_t off = 0; off < len; off += PG)
		sink = p[off];
	(void)sink;
}

/* Our own pagemap entry and kpageflags for one address: the tests' oracle
 * for what the running kernel does on a read fault. */
static const char *probe_zero(const void *addr, int want_thp)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kf = open("/proc/kpageflags", O_RDONLY);
	uint64_t e = 0, f = 0;
	const char *res = "unknown";
	if (pm >= 0 && kf >= 0 &&
	    pread(pm, &e, 8, (off_t)((uintptr_t)addr / PG) * 8) == 8 &&
	    (e >> 63) && (e & ((1ULL << 55) - 1)) &&
	    pread(kf, &f, 8, (off_t)(e & ((1ULL << 55) - 1)) * 8) == 8) {
		int zero = (f >> 24) & 1, thp = (f >> 22) & 1;
		res = zero && (!want_thp || thp) ? "1" : "0";
	}
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return res;
}

static void wait_stdin(void)
{
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	int swap = 0, a = 1;
	if (a < argc && strcmp(argv[a], "--swap") == 0) {
		swap = 1;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: layout [--swap] DISKFILE TMPFSFILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	const int priv = MAP_PRIVATE | MAP_ANONYMOUS;

	char *anon_w = map_at(0, 16 * PG, PROT_READ | PROT_WRITE, priv, -1);
	madvise(anon_w, 16 * PG, MADV_NOHUGEPAGE);
	madvise(anon_w, 16 * PG, MADV_DONTFORK);	/* stays exclusive */
	write_pages(anon_w, 16 * PG);
	region("anon_w", anon_w, 16 * PG);

	char *anon_r = map_at(1, 16 * PG, PROT_READ | PROT_WRITE, priv, -1);
	madvise(anon_r, 16 * PG, MADV_NOHUGEPAGE);
	read_pages(anon_r, 16 * PG);
	region("anon_r", anon_r, 16 * PG);

	char *thp = map_at(2, 4 << 20, PROT_READ | PROT_WRITE, priv, -1);
	if (madvise(thp, 4 << 20, MADV_HUGEPAGE))
		fail("madvise(MADV_HUGEPAGE)");
	madvise(thp, 4 << 20, MADV_DONTFORK);
	write_pages(thp, 4 << 20);
	region("thp", thp, 4 << 20);

	char *split = map_at(3, 2 << 20, PROT_READ | PROT_WRITE, priv, -1);
	madvise(split, 2 << 20, MADV_HUGEPAGE);
	write_pages(split, 2 << 20);
	if (mprotect(split + 5 * PG, PG, PROT_READ))
		fail("mprotect");
	region("split", split, 2 << 20);

	int fd = open(argv[a], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 8 * PG))
		fail("disk file");
	for (int i = 0; i < 8; i++) {
		char c = (char)('a' + i);
		if (pwrite(fd, &c, 1, (off_t)i * PG) != 1)
			fail("pwrite");
	}
	fsync(fd);
	char *fpriv = map_at(4, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	madvise(fpriv, 8 * PG, MADV_DONTFORK);
	read_pages(fpriv, 8 * PG);
	fpriv[0] = 'x';
	fpriv[PG] = 'y';
	region("file_priv", fpriv, 8 * PG);
	char *fshared = map_at(5, 8 * PG, PROT_READ, MAP_SHARED, fd);
	read_pages(fshared, 8 * PG);
	region("file_shared", fshared, 8 * PG);

	int mfd = memfd_create("ptv-layout", 0);
	if (mfd < 0 || ftruncate(mfd, 8 * PG))
		fail("memfd");
	char *memfd = map_at(6, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd);
	write_pages(memfd, 8 * PG);
	region("memfd", memfd, 8 * PG);

	char *shanon = map_at(7, 8 * PG, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1);
	write_pages(shanon, 8 * PG);
	region("shanon", shanon, 8 * PG);

	int tfd = open(argv[a + 1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (tfd < 0 || ftruncate(tfd, 4 * PG))
		fail("tmpfs file");
	char *tmpfs = map_at(8, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, tfd);
	write_pages(tmpfs, 4 * PG);
	region("tmpfs", tmpfs, 4 * PG);

	char *cow = map_at(9, 16 * PG, PROT_READ | PROT_WRITE, priv, -1);
	madvise(cow, 16 * PG, MADV_NOHUGEPAGE);
	write_pages(cow, 16 * PG);
	region("cow", cow, 16 * PG);

	char *swapped = map_at(10, 16 * PG, PROT_READ | PROT_WRITE, priv, -1);
	madvise(swapped, 16 * PG, MADV_NOHUGEPAGE);
	write_pages(swapped, 16 * PG);
	if (swap && madvise(swapped, 16 * PG, MADV_PAGEOUT))
		fail("madvise(MADV_PAGEOUT)");
	region("swapped", swapped, 16 * PG);

	char *hzero = map_at(11, 2 << 20, PROT_READ | PROT_WRITE, priv, -1);
	madvise(hzero, 2 << 20, MADV_HUGEPAGE);
	read_pages(hzero, PG);
	region("hzero", hzero, 2 << 20);

	printf("ZERO_PAGE %s\n", probe_zero(anon_r, 0));
	printf("HZERO %s\n", probe_zero(hzero, 1));

	int sync[2];
	if (pipe(sync))
		fail("pipe");
	pid_t child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0) {
		close(sync[0]);
		write_pages(cow, 8 * PG);	/* COW the first half */
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		close(sync[1]);
		wait_stdin();
		_exit(0);
	}
	close(sync[1]);
	char c;
	if (read(sync[0], &c, 1) != 1)
		fail("child setup");
	printf("CHILD %d\n", (int)child);
	printf("READY\n");
	wait_stdin();
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return 0;
}
