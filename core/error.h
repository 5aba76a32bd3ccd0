/* ptview error values: every fallible function in core/ and arch/ returns one.
 *
 * NULL means success.  A non-NULL error owns a message that names the file,
 * offset, address or line and the reason; the caller that receives it owns it
 * and releases it with ptv_error_destroy().  core/ and arch/ never print or
 * exit: cli/ turns errors into messages and exit statuses.
 *
 * Three static sentinels are never allocated and ptv_error_destroy() ignores
 * them: ptv_enomem (allocation failed), ptv_stop (an iterator is finished)
 * and ptv_not_found (a lookup found nothing; callers usually replace it with
 * an error that names what was looked for).
 */
#ifndef PTV_ERROR_H
#define PTV_ERROR_H

#include <stdarg.h>

/* What went wrong, as far as the caller's exit status cares. */
enum ptv_error_code {
	PTV_ERR_OTHER = 1,	/* generic failure: exit 1 */
	PTV_ERR_NOMEM,		/* out of memory: exit 1 */
	PTV_ERR_STOP,		/* iteration finished: not a failure */
	PTV_ERR_NOT_FOUND,	/* lookup failed */
	PTV_ERR_OS,		/* a system call failed; errnum holds errno */
	PTV_ERR_FORMAT,		/* an input file or stream is malformed */
	PTV_ERR_PERM,		/* needs privileges: exit 4 */
	PTV_ERR_NO_SUCH_TASK,	/* the process does not exist or exited */
	PTV_ERR_UNSUPPORTED,	/* the input uses something ptview cannot read */
	PTV_ERR_USAGE,		/* a bad argument: exit 2 */
	PTV_ERR_EXCLUDED,	/* the memory exists but the dump left it out */
	PTV_ERR_NO_MEMORY,	/* the address is not in the memory image */
};

struct ptv_error {
	enum ptv_error_code code;
	int errnum;		/* errno for PTV_ERR_OS and friends, else 0 */
	char *message;		/* owned; never NULL for allocated errors */
};

extern struct ptv_error ptv_enomem_s, ptv_stop_s, ptv_not_found_s;
#define ptv_enomem (&ptv_enomem_s)
#define ptv_stop (&ptv_stop_s)
#define ptv_not_found (&ptv_not_found_s)

/* Create an error with a printf-style message.  Returns ptv_enomem if the
 * error itself cannot be allocated. */
struct ptv_error *ptv_error_create(enum ptv_error_code code, const char *fmt,
				   ...)
	__attribute__((format(printf, 2, 3)));

/* Like ptv_error_create() but for a failed system call: code is derived
 * from errnum (EACCES/EPERM -> PTV_ERR_PERM, ESRCH/ENOENT on /proc ->
 * PTV_ERR_OS with errnum kept) and ": strerror(errnum)" is appended. */
struct ptv_error *ptv_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix an existing error's message with "fmt: ".  Takes ownership of err
 * and returns the (possibly new) error; sentinels are returned as they are. */
struct ptv_error *ptv_error_prefix(struct ptv_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free an error; NULL and the sentinels are ignored. */
void ptv_error_destroy(struct ptv_error *err);

#endif /* PTV_ERROR_H */
