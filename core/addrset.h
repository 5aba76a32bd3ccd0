/* addrset.h: a set of nonzero 64-bit values (addresses, PFNs), for loop
 * detection and "seen before" checks.  Zero-initialise; free ->v after. */
#ifndef PTV_ADDRSET_H
#define PTV_ADDRSET_H

#include <stddef.h>
#include <stdint.h>

struct ptv_addr_set {
	uint64_t *v;
	size_t cap, n;
};

/* Add a (nonzero): 0 when new, 1 when already there, -1 out of memory. */
int ptv_addr_set_add(struct ptv_addr_set *s, uint64_t a);
void ptv_addr_set_deinit(struct ptv_addr_set *s);

#endif /* PTV_ADDRSET_H */
