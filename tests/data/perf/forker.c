#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static char *p;
static void *thr(void *a) { (void)a; p[5 * 4096] = 1; return 0; }
int main(void)
{
	p = mmap((void *)0x200000000000, 8 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) return 1;
	for (int i = 0; i < 3; i++) p[i * 4096] = 1;
	volatile char c = p[4 * 4096]; (void)c;
	pthread_t t; pthread_create(&t, 0, thr, 0); pthread_join(t, 0);
	pid_t k = fork();
	if (k == 0) { p[0] = 2; p[6 * 4096] = 3; _exit(0); }
	waitpid(k, 0, 0);
	return 0;
}
