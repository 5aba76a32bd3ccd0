/* Unit tests for core/maps.c: /proc/PID/maps lines and their backings. */
#include <string.h>

#include "core/error.h"
#include "core/vma.h"
#include "tests/tap.h"

static const char good[] =
	"55d1cf005000-55d1cf007000 r--p 00000000 fe:01 1234        /usr/bin/x\n"
	"55d1cf007000-55d1cf008000 rw-p 00002000 fe:01 1234        /usr/bin/x\n"
	"55d1d0000000-55d1d0021000 rw-p 00000000 00:00 0           [heap]\n"
	"7f0000000000-7f0000001000 rw-s 00000000 00:01 77          /dev/zero (deleted)\n"
	"7f0000002000-7f0000003000 rw-s 00000000 00:01 78          /memfd:buf (deleted)\n"
	"7f0000004000-7f0000005000 rw-p 00000000 00:00 0 \n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0           [stack]\n"
	"7ffd00100000-7ffd00104000 r--p 00000000 00:00 0           [vvar]\n"
	"7ffd00104000-7ffd00106000 r-xp 00000000 00:00 0           [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]\n";

static struct ptv_error *parse(const char *text, struct ptv_vma_list *l)
{
	ptv_vma_list_init(l);
	return ptv_maps_parse(text, strlen(text), "maps", l);
}

int main(void)
{
	plan(20);
	struct ptv_vma_list l;
	struct ptv_error *err = parse(good, &l);
	ok(!err, "a real maps file parses");
	is_int(l.n, 10, "ten VMAs");
	is_int(l.v[0].start, 0x55d1cf005000ULL, "start");
	is_int(l.v[0].end, 0x55d1cf007000ULL, "end");
	is_str(l.v[1].perms, "rw-p", "perms");
	is_int(l.v[1].pgoff, 2, "offset in pages");
	is_int(l.v[1].dev_major, 0xfe, "device major");
	is_int(l.v[1].inode, 1234, "inode");
	is_str(l.v[0].path, "/usr/bin/x", "path");
	is_int(l.v[0].backing, PTV_BACKING_FILE, "file backing");
	is_int(l.v[2].backing, PTV_BACKING_HEAP, "[heap]");
	is_int(l.v[3].backing, PTV_BACKING_SHMEM, "shared anonymous is shmem");
	is_int(l.v[4].backing, PTV_BACKING_SHMEM, "memfd is shmem");
	ok(l.v[5].backing == PTV_BACKING_ANON && !l.v[5].path,
	   "no path: anonymous");
	ok(l.v[7].backing == PTV_BACKING_VVAR && !ptv_vma_has_normal_pages(&l.v[7]),
	   "[vvar] maps no normal pages");
	ok(l.v[8].backing == PTV_BACKING_VDSO && ptv_vma_has_normal_pages(&l.v[8]),
	   "[vdso] pages are normal pages");
	ptv_vma_list_deinit(&l);

	err = parse("1000-2000 rw-p 00000000 00:00 0\n3000-2000 rw-p 0 00:00 0\n", &l);
	ok(err && err->code == PTV_ERR_FORMAT && strstr(err->message, "maps:2:"),
	   "an inverted range names the line");
	ptv_error_destroy(err);
	ptv_vma_list_deinit(&l);

	err = parse("3000-4000 rw-p 00000000 00:00 0\n1000-2000 rw-p 0 00:00 0\n", &l);
	ok(err && strstr(err->message, "out of order"), "VMAs out of order");
	ptv_error_destroy(err);
	ptv_vma_list_deinit(&l);

	err = parse("garbage\n", &l);
	ok(err && strstr(err->message, "maps:1: bad address range"),
	   "garbage is rejected with its line");
	ptv_error_destroy(err);
	ptv_vma_list_deinit(&l);

	err = parse("11111111111111111-2 rw-p 0 00:00 0\n", &l);
	ok(err != NULL, "an address of more than 16 digits is rejected");
	ptv_error_destroy(err);
	ptv_vma_list_deinit(&l);
	return exit_status();
}
