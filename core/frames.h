/* frames.h: per-frame facts from /proc/kpageflags and /proc/kpagecount.
 *
 * Both files hold one u64 per PFN.  Reads are batched: a lookup fetches a
 * window of entries starting at the PFN (as many as the caller says follow
 * it contiguously), so walking a THP or a run of contiguous frames costs a
 * few system calls, not one per page.
 */
#ifndef PTV_FRAMES_H
#define PTV_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct ptv_error;
struct ptv_frames;

/* Open both files.  PTV_ERR_PERM when they are not readable (not root). */
struct ptv_error *ptv_frames_create(struct ptv_frames **ret);
void ptv_frames_destroy(struct ptv_frames *f);

/* Flags and map count of pfn.  run is how many PFNs from pfn on the caller
 * will ask for next (>= 1): the read-ahead.  PTV_ERR_NO_MEMORY when pfn is
 * beyond the last frame. */
struct ptv_error *ptv_frames_get(struct ptv_frames *f, uint64_t pfn,
				 size_t run, uint64_t *flags_ret,
				 uint64_t *count_ret);

/* The large folio that pfn (whose flags are flags) belongs to: its head PFN
 * and order, found from the COMPOUND_HEAD / COMPOUND_TAIL bits of the
 * neighbouring frames.  ptv_not_found when pfn is not in a large folio or
 * the folio is not a power-of-two size (it was split under us). */
struct ptv_error *ptv_frames_folio(struct ptv_frames *f, uint64_t pfn,
				   uint64_t flags, uint64_t *head_ret,
				   unsigned *order_ret);

#endif /* PTV_FRAMES_H */
