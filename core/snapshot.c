/* snapshot.c: the .ptsnap file format: what writer and reader share
 * (man/ptview-snapshot.5 is its reference; keep the two in step).
 *
 * Little-endian throughout.  A 32-byte header and a section table; three
 * sections: META (fixed fields), VMAS (fixed records, each followed by its
 * path) and PAGES (runs of pages, varint-encoded).  Every section and the
 * header carry a CRC-32 (zlib's), so a damaged file is told from a
 * malicious one only by the checks behind the checksums, which are all
 * there anyway: the reader trusts nothing.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/snapshot-format.h"
#include "core/snapshot.h"

const char ptv_snap_magic[8] = { 'P', 'T', 'V', 'S', 'N', 'A', 'P', '\0' };

/* --- CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) ------------------ */

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* crc is the running value, starting at 0. */
uint32_t ptv_snap_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#define SNAP_OFF(m) offsetof(struct ptv_snapshot, m)
#define STR(m) { #m, F_STR, sizeof(((struct ptv_snapshot *)0)->m), SNAP_OFF(m) }
#define MTHP(i) { "mthp", F_STR, 16, SNAP_OFF(settings.mthp[i]) }

const struct meta_field ptv_snap_meta_fields[] = {
	{ "page_size", F_U64, 8, SNAP_OFF(page_size) },
	{ "taken", F_I64, 8, SNAP_OFF(taken) },
	{ "pid", F_I32, 4, SNAP_OFF(pid) },
	{ "zero_page_maps", F_I32, 4, SNAP_OFF(zero_page_maps) },
	STR(kernel),
	STR(machine),
	STR(comm),
	STR(settings.thp),
	STR(settings.thp_defrag),
	STR(settings.shmem_enabled),
	{ "use_zero_page", F_I32, 4, SNAP_OFF(settings.use_zero_page) },
	{ "max_ptes_none", F_I32, 4, SNAP_OFF(settings.max_ptes_none) },
	{ "max_ptes_swap", F_I32, 4, SNAP_OFF(settings.max_ptes_swap) },
	{ "max_ptes_shared", F_I32, 4, SNAP_OFF(settings.max_ptes_shared) },
	{ "pages_to_scan", F_U32, 4, SNAP_OFF(settings.pages_to_scan) },
	{ "fault_around_bytes", F_U64, 8, SNAP_OFF(settings.fault_around_bytes) },
	MTHP(0), MTHP(1), MTHP(2), MTHP(3), MTHP(4), MTHP(5), MTHP(6), MTHP(7),
	MTHP(8), MTHP(9), MTHP(10), MTHP(11), MTHP(12), MTHP(13), MTHP(14),
	MTHP(15),
	{ "rss_anon_kb", F_I64, 8, SNAP_OFF(counters.rss_anon_kb) },
	{ "rss_file_kb", F_I64, 8, SNAP_OFF(counters.rss_file_kb) },
	{ "rss_shmem_kb", F_I64, 8, SNAP_OFF(counters.rss_shmem_kb) },
	{ "swap_kb", F_I64, 8, SNAP_OFF(counters.swap_kb) },
	{ "pgtables_kb", F_I64, 8, SNAP_OFF(counters.pgtables_kb) },
	{ "vm_locked_kb", F_I64, 8, SNAP_OFF(counters.vm_locked_kb) },
	{ "minflt", F_U64, 8, SNAP_OFF(counters.minflt) },
	{ "majflt", F_U64, 8, SNAP_OFF(counters.majflt) },
};
const size_t ptv_snap_nmeta =
	sizeof(ptv_snap_meta_fields) / sizeof(ptv_snap_meta_fields[0]);

/* --- VmFlags names ------------------------------------------------------- */

static const char vmflag_names[][3] = {
	"hg", "nh", "lo", "lf", "dc", "wf", "dd", "ac", "nr", "sd", "mm", "pf",
	"io", "de", "mg", "um", "uw", "ui", "gd", "ht", "ms", "sl", "dp", "sr",
	"rr",
};

const char *ptv_snap_vmflag_name(unsigned i)
{
	return i < sizeof(vmflag_names) / sizeof(vmflag_names[0]) ?
		vmflag_names[i] : NULL;
}

/* --- validation shared by writer and reader ------------------------------ */

void ptv_snapshot_destroy(struct ptv_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvmas; i++)
		free(s->vmas[i].path);
	free(s->vmas);
	free(s->pages);
	free(s);
}

bool ptv_snap_page_size_ok(uint64_t ps)
{
	return ps >= 4096 && ps <= 65536 && !(ps & (ps - 1));
}

struct ptv_error *ptv_snap_check(const struct ptv_snapshot *s)
{
	if (!ptv_snap_page_size_ok(s->page_size))
		return ptv_error_create(PTV_ERR_USAGE,
			"snapshot: page size %" PRIu64 " is not supported",
			s->page_size);
	if (s->nvmas > PTV_SNAP_MAX_VMAS || s->npages > PTV_SNAP_MAX_PAGES)
		return ptv_error_create(PTV_ERR_USAGE,
			"snapshot: %zu VMAs and %zu pages exceed the limits",
			s->nvmas, s->npages);
	uint64_t mask = s->page_size - 1, prev_end = 0;
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *v = &s->vmas[i];
		if (v->start >= v->end || ((v->start | v->end) & mask) ||
		    v->start < prev_end || v->prot > 7 ||
		    v->backing > PTV_SNAP_SPECIAL ||
		    (v->path && (!*v->path ||
				 strlen(v->path) > PTV_SNAP_MAX_PATH)))
			return ptv_error_create(PTV_ERR_USAGE,
				"snapshot: VMA %zu (0x%" PRIx64 "-0x%" PRIx64
				") is invalid or out of order", i, v->start,
				v->end);
		prev_end = v->end;
	}
	size_t vi = 0;
	for (size_t i = 0; i < s->npages; i++) {
		const struct ptv_snap_page *p = &s->pages[i];
		while (vi < s->nvmas && s->vmas[vi].end <= p->addr)
			vi++;
		bool bad = vi == s->nvmas || p->addr < s->vmas[vi].start ||
			   (p->addr & mask) ||
			   (i && p->addr <= s->pages[i - 1].addr);
		if (p->state == PTV_SNAP_PRESENT)
			bad |= p->pfn >= PFN_LIMIT || p->folio_order > ORDER_LIMIT ||
			       (p->zero && p->hzero);
		else if (p->state == PTV_SNAP_SWAP)
			bad |= p->swap_off >= SWAP_OFF_LIMIT ||
			       p->swap_type >= SWAP_TYPE_LIMIT;
		else
			bad = true;
		if (bad)
			return ptv_error_create(PTV_ERR_USAGE,
				"snapshot: page %zu at 0x%" PRIx64 " is invalid, "
				"out of order or outside the VMAs", i, p->addr);
	}
	return NULL;
}

void ptv_snapshot_fix_crcs(void *buf, size_t len)
{
	uint8_t *b = buf;
	if (len < HEADER_SIZE || memcmp(b, ptv_snap_magic, 8))
		return;
	uint32_t nsec = (uint32_t)get_le(b + 12, 4);
	if (nsec > MAX_SECTIONS)
		return;
	size_t tend = HEADER_SIZE + (size_t)nsec * SECTION_ENTRY_SIZE;
	if (len < tend)
		return;
	for (uint32_t i = 0; i < nsec; i++) {
		uint8_t *e = b + HEADER_SIZE + (size_t)i * SECTION_ENTRY_SIZE;
		uint64_t off = get_le(e + 8, 8), slen = get_le(e + 16, 8);
		if (off <= len && slen <= len - off)
			put_le(e + 4, ptv_snap_crc32(0, b + off, slen), 4);
	}
	uint32_t crc = ptv_snap_crc32(0, b, 24);
	crc = ptv_snap_crc32(crc, b + HEADER_SIZE, tend - HEADER_SIZE);
	put_le(b + 24, crc, 4);
}
