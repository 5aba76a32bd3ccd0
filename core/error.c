/* ptview error values: allocation, formatting and the static sentinels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct ptv_error ptv_enomem_s = { PTV_ERR_NOMEM, ENOMEM, "out of memory" };
struct ptv_error ptv_stop_s = { PTV_ERR_STOP, 0, "stop" };
struct ptv_error ptv_not_found_s = { PTV_ERR_NOT_FOUND, 0, "not found" };

static int is_sentinel(const struct ptv_error *err)
{
	return err == ptv_enomem || err == ptv_stop || err == ptv_not_found;
}

static struct ptv_error *error_vcreate(enum ptv_error_code code, int errnum,
				       const char *suffix, const char *fmt,
				       va_list ap)
{
	struct ptv_error *err = malloc(sizeof(*err));
	char *msg = NULL;
	if (!err)
		return ptv_enomem;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return ptv_enomem;
	}
	if (suffix) {
		char *full;
		if (asprintf(&full, "%s: %s", msg, suffix) < 0) {
			free(msg);
			free(err);
			return ptv_enomem;
		}
		free(msg);
		msg = full;
	}
	err->code = code;
	err->errnum = errnum;
	err->message = msg;
	return err;
}

struct ptv_error *ptv_error_create(enum ptv_error_code code, const char *fmt,
				   ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct ptv_error *err = error_vcreate(code, 0, NULL, fmt, ap);
	va_end(ap);
	return err;
}

struct ptv_error *ptv_error_os(int errnum, const char *fmt, ...)
{
	enum ptv_error_code code = PTV_ERR_OS;
	if (errnum == EACCES || errnum == EPERM)
		code = PTV_ERR_PERM;
	else if (errnum == ENOMEM)
		code = PTV_ERR_NOMEM;
	va_list ap;
	va_start(ap, fmt);
	struct ptv_error *err = error_vcreate(code, errnum, strerror(errnum),
					      fmt, ap);
	va_end(ap);
	return err;
}

struct ptv_error *ptv_error_prefix(struct ptv_error *err, const char *fmt, ...)
{
	if (!err || is_sentinel(err))
		return err;
	char *prefix = NULL, *full = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;	/* keep the original message rather than lose it */
	if (asprintf(&full, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = full;
	}
	free(prefix);
	return err;
}

void ptv_error_destroy(struct ptv_error *err)
{
	if (!err || is_sentinel(err))
		return;
	free(err->message);
	free(err);
}
