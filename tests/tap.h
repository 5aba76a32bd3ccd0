/* tap.h: a tiny Test Anything Protocol emitter for the C unit tests.
 *
 *   plan(N); ok(cond, "what"); is_int(a, b, "what"); is_str(a, b, "what");
 *   skip_all("reason"); return exit_status();
 */
#ifndef PTV_TAP_H
#define PTV_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run, tap_failed;

static inline void plan(int n) { printf("1..%d\n", n); fflush(stdout); }

static inline void plan_no_plan_end(void) { printf("1..%d\n", tap_run); }

static inline int ok_at(int cond, const char *file, int line, const char *what)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_run, what);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}
#define ok(cond, what) ok_at(!!(cond), __FILE__, __LINE__, (what))

#define is_int(got, want, what) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, (what))) \
		printf("#   got %lld (0x%llx), want %lld (0x%llx)\n", g_, \
		       (unsigned long long)g_, w_, (unsigned long long)w_); \
} while (0)

#define is_str(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ && strcmp(g_, w_) == 0, (what))) \
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", \
		       w_ ? w_ : "(null)"); \
} while (0)

static inline void diag(const char *msg) { printf("# %s\n", msg); }

static inline void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static inline int exit_status(void) { return tap_failed ? 1 : 0; }

#endif /* PTV_TAP_H */
