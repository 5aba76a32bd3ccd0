/* Unit tests for core/error.c: messages, prefixes, sentinels. */
#include <errno.h>

#include "core/error.h"
#include "tests/tap.h"

int main(void)
{
	plan(8);
	struct ptv_error *err = ptv_error_create(PTV_ERR_FORMAT, "%s: offset %d",
						 "x.elf", 64);
	is_int(err->code, PTV_ERR_FORMAT, "code kept");
	is_str(err->message, "x.elf: offset 64", "message formatted");
	err = ptv_error_prefix(err, "reading %s", "notes");
	is_str(err->message, "reading notes: x.elf: offset 64", "prefix added");
	ptv_error_destroy(err);

	err = ptv_error_os(EACCES, "/proc/%d/pagemap", 1);
	is_int(err->code, PTV_ERR_PERM, "EACCES maps to a permission error");
	is_str(err->message, "/proc/1/pagemap: Permission denied",
	       "strerror appended");
	ptv_error_destroy(err);

	err = ptv_error_os(ESRCH, "x");
	is_int(err->errnum, ESRCH, "errno kept");
	ptv_error_destroy(err);

	ok(ptv_error_prefix(ptv_stop, "x") == ptv_stop, "sentinels are not prefixed");
	ptv_error_destroy(ptv_enomem);	/* must not free a static */
	ok(ptv_enomem->code == PTV_ERR_NOMEM, "sentinel survives destroy");
	return exit_status();
}
