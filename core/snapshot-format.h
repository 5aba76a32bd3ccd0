/* snapshot-format.h: what the .ptsnap writer and reader share (private to
 * core/snapshot*.c; the format itself is man/ptview-snapshot.5). */
#ifndef PTV_SNAPSHOT_FORMAT_H
#define PTV_SNAPSHOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptv_error;
struct ptv_snapshot;

extern const char ptv_snap_magic[8];

#define HEADER_SIZE 32u
#define SECTION_ENTRY_SIZE 24u
#define MAX_SECTIONS 16u

enum { SEC_META = 1, SEC_VMAS = 2, SEC_PAGES = 3 };

#define VMA_RECORD_V1 52u
#define VMA_RECORD_MAX 1024u

/* Run flags of the PAGES section. */
enum {
	RUN_SWAP = 1u << 0,
	RUN_EXCLUSIVE = 1u << 1,
	RUN_PMD = 1u << 2,
	RUN_ZERO = 1u << 3,
	RUN_HZERO = 1u << 4,
	RUN_SOFT_DIRTY = 1u << 5,
	RUN_UFFD_WP = 1u << 6,
	RUN_SAME = 1u << 7,	/* pfn / swap offset does not advance */
	RUN_KFLAGS = 1u << 8,	/* a new kpageflags word follows */
	RUN_MAPCOUNT = 1u << 9,	/* a new map count follows */
	RUN_ORDER = 1u << 10,	/* a new folio order follows */
	RUN_KNOWN = (1u << 11) - 1,
	RUN_PRESENT_ONLY = RUN_PMD | RUN_ZERO | RUN_HZERO | RUN_KFLAGS |
			   RUN_MAPCOUNT | RUN_ORDER,
};

#define PFN_LIMIT (UINT64_C(1) << 55)	/* pagemap's PFN field */
#define SWAP_OFF_LIMIT (UINT64_C(1) << 50)
#define SWAP_TYPE_LIMIT 32u		/* MAX_SWAPFILES_SHIFT 5 */
#define ORDER_LIMIT 31u

/* The META section: one table drives the writer and the reader, in file
 * order; the man page lists the same fields at the same offsets. */
enum field_kind { F_U32, F_I32, F_U64, F_I64, F_STR };

struct meta_field {
	const char *name;
	enum field_kind kind;
	unsigned size;		/* bytes in the file */
	size_t offset;		/* in struct ptv_snapshot */
};
extern const struct meta_field ptv_snap_meta_fields[];
extern const size_t ptv_snap_nmeta;
/* The size of the fields of version 1: what a reader requires.  New
 * fields are appended to the table and are optional for readers. */
#define META_V1_SIZE 591u

/* What the PAGES decoder carries from one run to the next. */
struct run_state {
	uint64_t end;		/* address after the previous run */
	uint64_t next_pfn, next_swap;
	uint64_t kflags;
	uint32_t mapcount;
	uint8_t order;
};

/* CRC-32 as zlib's crc32(): crc is the running value, starting at 0. */
uint32_t ptv_snap_crc32(uint32_t crc, const void *buf, size_t len);

bool ptv_snap_page_size_ok(uint64_t page_size);

/* What the writer requires of an in-memory snapshot: what the reader
 * checks, so that every file written reads back.  PTV_ERR_USAGE. */
struct ptv_error *ptv_snap_check(const struct ptv_snapshot *s);

static inline uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif /* PTV_SNAPSHOT_FORMAT_H */
