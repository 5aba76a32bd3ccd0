/* cmd-snapshot.c: `ptview snapshot` — save a process's address space, live
 * or from a crash dump (--core), to a .ptsnap file for `ptview replay
 * --from`, and read one back. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/snapshot.h"
#include "core/trace.h"

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (comm and paths are the kernel's bytes). */
static void put_jstr(FILE *f, const char *s)
{
	putc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			putc(*p, f);
	}
	putc('"', f);
}

static void perms(const struct ptv_snap_vma *v, char out[5])
{
	out[0] = v->prot & PTV_PROT_R ? 'r' : '-';
	out[1] = v->prot & PTV_PROT_W ? 'w' : '-';
	out[2] = v->prot & PTV_PROT_X ? 'x' : '-';
	out[3] = v->shared ? 's' : 'p';
	out[4] = '\0';
}

static const char *backing_name(enum ptv_snap_backing b)
{
	switch (b) {
	case PTV_SNAP_ANON: return "anon";
	case PTV_SNAP_SHMEM: return "shmem";
	case PTV_SNAP_FILE: return "file";
	case PTV_SNAP_SPECIAL: return "special";
	}
	return "?";
}

/* The summary record of what was written or read. */
static void print_summary(const struct ptv_snapshot *s, const char *file,
			  uint64_t bytes, bool json)
{
	size_t present = 0, swap = 0;
	for (size_t i = 0; i < s->npages; i++) {
		if (s->pages[i].state == PTV_SNAP_PRESENT)
			present++;
		else
			swap++;
	}
	if (!json) {
		printf("%s: pid %d (%s), kernel %s, %zu VMAs, %zu pages "
		       "(%zu present, %zu swap), %" PRIu64 " bytes, "
		       "format version %" PRIu32 "\n", file, s->pid, s->comm,
		       s->kernel, s->nvmas, s->npages, present, swap, bytes,
		       s->version);
		return;
	}
	fputs("{\"type\":\"snapshot\",\"file\":", stdout);
	put_jstr(stdout, file);
	printf(",\"version\":%" PRIu32 ",\"pid\":%d,\"comm\":", s->version,
	       s->pid);
	put_jstr(stdout, s->comm);
	fputs(",\"kernel\":", stdout);
	put_jstr(stdout, s->kernel);
	printf(",\"taken\":%" PRId64 ",\"zero_page_maps\":%d,\"vmas\":%zu,"
	       "\"pages\":%zu,\"present\":%zu,\"swap\":%zu,\"bytes\":%" PRIu64
	       "}\n", s->taken, s->zero_page_maps, s->nvmas, s->npages,
	       present, swap, bytes);
}

static void print_vma(const struct ptv_snap_vma *v, bool json)
{
	char p[5];
	perms(v, p);
	if (!json) {
		printf("vma %" PRIx64 "-%" PRIx64 " %s %s%s%s\n", v->start,
		       v->end, p, backing_name(v->backing), v->path ? " " : "",
		       v->path ? v->path : "");
		return;
	}
	printf("{\"type\":\"vma\",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%"
	       PRIx64 "\",\"perms\":\"%s\",\"pgoff\":%" PRIu64 ",\"backing\":"
	       "\"%s\"", v->start, v->end, p, v->pgoff,
	       backing_name(v->backing));
	if (v->path) {
		fputs(",\"path\":", stdout);
		put_jstr(stdout, v->path);
	}
	printf(",\"dev\":%" PRIu64 ",\"ino\":%" PRIu64 ",\"vmflags\":[",
	       v->dev, v->ino);
	const char *sep = "";
	for (unsigned i = 0; i < 32; i++) {
		if ((v->vmflags & (1u << i)) && ptv_snap_vmflag_name(i)) {
			printf("%s\"%s\"", sep, ptv_snap_vmflag_name(i));
			sep = ",";
		}
	}
	printf("],\"anon_vma\":%s}\n", v->anon_vma ? "true" : "false");
}

static void print_page(const struct ptv_snap_page *p, bool json)
{
	const char *t = "true", *f = "false";
	if (p->state == PTV_SNAP_SWAP) {
		printf(json ? "{\"type\":\"page\",\"vaddr\":\"0x%" PRIx64
			      "\",\"state\":\"swap\",\"swap_type\":%" PRIu32
			      ",\"swap_offset\":%" PRIu64 "}\n" :
			      "page %" PRIx64 " swap type %" PRIu32
			      " offset %" PRIu64 "\n",
		       p->addr, p->swap_type, p->swap_off);
		return;
	}
	if (!json) {
		printf("page %" PRIx64 " pfn %" PRIu64 " kpageflags 0x%" PRIx64
		       " kpagecount %" PRIu32 "%s%s%s%s\n", p->addr, p->pfn,
		       p->kflags, p->mapcount, p->pmd ? " pmd" : "",
		       p->zero ? " zero_page" : "",
		       p->hzero ? " huge_zero_page" : "",
		       p->exclusive ? " exclusive" : "");
		return;
	}
	printf("{\"type\":\"page\",\"vaddr\":\"0x%" PRIx64 "\",\"state\":"
	       "\"present\",\"pfn\":%" PRIu64 ",\"kpageflags\":\"0x%" PRIx64
	       "\",\"kpagecount\":%" PRIu32 ",\"folio_order\":%u,\"level\":"
	       "\"%s\",\"zero_page\":%s,\"huge_zero_page\":%s,\"exclusive\":%s,"
	       "\"soft_dirty\":%s,\"uffd_wp\":%s}\n", p->addr, p->pfn,
	       p->kflags, p->mapcount, p->folio_order, p->pmd ? "pmd" : "pte",
	       p->zero ? t : f, p->hzero ? t : f, p->exclusive ? t : f,
	       p->soft_dirty ? t : f, p->uffd_wp ? t : f);
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "read", required_argument, NULL, 'r' },
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_snapshot(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_snapshot_entry;
	const char *out = NULL, *in = NULL;
	struct ptv_kernel_opts ko = { 0 };
	bool json = false;
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		int r = ptv_cli_common_opt(self, c, argv, &json, &ko, &status);
		if (r == PTV_OPT_EXIT)
			return status;
		if (r == PTV_OPT_DONE)
			continue;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'r':
			in = optarg;
			break;
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	struct ptv_snapshot *s;
	struct ptv_error *err;
	if (in && ko.core)
		return ptv_cli_usage_error(self, "--read and --core: one source "
					   "at a time");
	if (in) {
		if (optind < argc)
			return ptv_cli_usage_error(self,
				"--read takes no process ID");
		if ((err = ptv_snapshot_read(in, &s)))
			return ptv_cli_report(err);
		if (out) {	/* re-encode: the round trip */
			err = ptv_snapshot_write(s, out);
			if (!err)
				print_summary(s, out, file_size(out), json);
		} else {
			print_summary(s, in, file_size(in), json);
			for (size_t i = 0; i < s->nvmas; i++)
				print_vma(&s->vmas[i], json);
			for (size_t i = 0; i < s->npages; i++)
				print_page(&s->pages[i], json);
		}
		ptv_snapshot_destroy(s);
		status = ptv_cli_report(err);
		if (fflush(stdout) && status == PTV_EXIT_OK)
			status = PTV_EXIT_ERROR;
		return status;
	}
	if (optind >= argc)
		return ptv_cli_usage_error(self, "no process given");
	if (argc - optind > 1)
		return ptv_cli_usage_error(self, "one process at a time");
	const char *a = argv[optind];
	unsigned long long pid;
	if (strcmp(a, "self") == 0 && ko.core)
		return ptv_cli_usage_error(self, "'self' is a live process: "
					   "give a PID of the dump");
	if (strcmp(a, "self") == 0)
		pid = (unsigned long long)getpid();
	else if (!ptv_cli_parse_u64(a, &pid) || pid == 0 || pid >= (1u << 30))
		return ptv_cli_usage_error(self, "'%s' is not a process ID", a);
	if (!out)
		return ptv_cli_usage_error(self, "-o FILE is required: a "
					   "snapshot is written only where -o "
					   "says");
	err = ko.core ? ptv_snapshot_take_core(&ko, (int)pid, &s) :
			ptv_snapshot_take((pid_t)pid, &s);
	if (err)
		return ptv_cli_report(err);
	err = ptv_snapshot_write(s, out);
	if (!err)
		print_summary(s, out, file_size(out), json);
	ptv_snapshot_destroy(s);
	status = ptv_cli_report(err);
	if (fflush(stdout) && status == PTV_EXIT_OK)
		status = PTV_EXIT_ERROR;
	return status;
}

const struct ptv_cmd_entry ptv_cmd_snapshot_entry = {
	.name = "snapshot",
	.usage = "[--format=text|json] [--core FILE [--btf FILE --system-map "
		 "FILE | --vmlinux FILE]] PID|self -o FILE.ptsnap | "
		 "--read FILE.ptsnap [-o FILE.ptsnap]",
	.summary = "save a process's address space for replay --from",
	.exec = cmd_snapshot,
};
