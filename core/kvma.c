/* kvma.c: an mm's VMAs from kernel memory.
 *
 * Since v6.1 (commit d4af56c5c7c6) mm->mm_mt is a maple tree whose leaves
 * hold the vm_area_struct pointers in address order; before, mm->mmap
 * chained them through vm_next.  Maple nodes (include/linux/maple_tree.h):
 * an encoded node pointer carries the node type in bits 3-6 and the node is
 * 256-byte aligned; maple_range_64 and maple_leaf_64 nodes hold pivots and
 * slots in mr64, maple_arange_64 nodes in ma64.  Every size and offset is
 * looked up in the kernel's own types.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/kernel.h"
#include "core/task.h"
#include "core/types.h"

#define MAPLE_NODE_MASK UINT64_C(255)
#define MAPLE_TYPE_SHIFT 3
#define MAPLE_TYPE_MASK 0xf
#define MAPLE_MAX_DEPTH 32	/* MAPLE_HEIGHT_MAX is 31 */
#define MAX_VMAS (1u << 24)
#define PATH_MAX_ 4096

/* VM_READ, VM_WRITE, VM_EXEC, VM_SHARED: stable since v2.6 (mm.h). */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_SHARED 0x8

struct maple_layout {
	int64_t leaf_64, range_64, arange_64;
	uint64_t r_pivot, r_slot, r_npivots, r_nslots, r_end;
	uint64_t a_pivot, a_slot, a_npivots, a_nslots, a_end;
};

static struct ptv_error *member_array(struct ptv_kernel *k, const char *type,
				      const char *member, uint64_t *off,
				      uint64_t *len)
{
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(k->types, type, member, &m);
	if (err)
		return err;
	if (!m.has_array_len)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s.%s has no array length", type, member);
	*off = m.offset;
	*len = m.array_len;
	return NULL;
}

static struct ptv_error *maple_layout(struct ptv_kernel *k,
				      struct maple_layout *l)
{
	struct ptv_error *err;
	if ((err = ptv_types_enum_value(k->types, "maple_type", "maple_leaf_64",
					&l->leaf_64)) ||
	    (err = ptv_types_enum_value(k->types, "maple_type", "maple_range_64",
					&l->range_64)) ||
	    (err = ptv_types_enum_value(k->types, "maple_type",
					"maple_arange_64", &l->arange_64)) ||
	    (err = member_array(k, "maple_node", "mr64.pivot", &l->r_pivot,
				&l->r_npivots)) ||
	    (err = member_array(k, "maple_node", "mr64.slot", &l->r_slot,
				&l->r_nslots)) ||
	    (err = member_array(k, "maple_node", "ma64.pivot", &l->a_pivot,
				&l->a_npivots)) ||
	    (err = member_array(k, "maple_node", "ma64.slot", &l->a_slot,
				&l->a_nslots)))
		return err;
	if (l->r_nslots > 64 || l->a_nslots > 64 || l->r_npivots >= l->r_nslots + 1 ||
	    l->a_npivots >= l->a_nslots + 1)
		return ptv_error_create(PTV_ERR_FORMAT,
					"implausible maple node layout");
	/* The metadata (end of data) sits in the last slot's place when
	 * the last pivot is unused (ma_meta_end()). */
	if ((err = ptv_kernel_offsetof(k, "maple_node", "mr64.meta.end",
				       &l->r_end)) ||
	    (err = ptv_kernel_offsetof(k, "maple_node", "ma64.meta.end",
				       &l->a_end)))
		return err;
	return NULL;
}

struct vma_sink {
	struct ptv_kernel *k;
	const struct ptv_mm *mm;
	struct ptv_vma_list *list;
	unsigned nodes;
};

static struct ptv_error *add_vma(struct vma_sink *s, uint64_t vma);

static struct ptv_error *walk_maple(struct vma_sink *s,
				    const struct maple_layout *l,
				    uint64_t enode, uint64_t max, unsigned depth)
{
	if (depth > MAPLE_MAX_DEPTH || ++s->nodes > MAX_VMAS)
		return ptv_error_create(PTV_ERR_FORMAT,
			"maple tree of mm 0x%" PRIx64 " is deeper than %d or "
			"loops (node 0x%" PRIx64 ")", s->mm->addr,
			MAPLE_MAX_DEPTH, enode);
	uint64_t node = enode & ~MAPLE_NODE_MASK;
	int64_t type = (int64_t)((enode >> MAPLE_TYPE_SHIFT) & MAPLE_TYPE_MASK);
	uint64_t pivot_off, slot_off, npivots, nslots, end_off;
	if (type == l->leaf_64 || type == l->range_64) {
		pivot_off = l->r_pivot; slot_off = l->r_slot;
		npivots = l->r_npivots; nslots = l->r_nslots; end_off = l->r_end;
	} else if (type == l->arange_64) {
		pivot_off = l->a_pivot; slot_off = l->a_slot;
		npivots = l->a_npivots; nslots = l->a_nslots; end_off = l->a_end;
	} else {
		return ptv_error_create(PTV_ERR_FORMAT,
			"maple node 0x%" PRIx64 " of mm 0x%" PRIx64
			" has type %" PRId64 ", not a range node", node,
			s->mm->addr, type);
	}
	uint64_t pivots[64], slots[64];
	struct ptv_error *err;
	if ((err = ptv_kernel_read(s->k, node + pivot_off, pivots, npivots * 8)) ||
	    (err = ptv_kernel_read(s->k, node + slot_off, slots, nslots * 8)))
		return ptv_error_prefix(err, "maple node 0x%" PRIx64, node);
	/* ma_data_end(): with the last pivot unused, the metadata says
	 * where the data ends (arange nodes always keep it there); a last
	 * pivot equal to the node's maximum ends the data at that slot. */
	uint64_t end = nslots - 1;
	if (type != l->arange_64 && pivots[npivots - 1] == max)
		end = npivots - 1;
	else if (type == l->arange_64 || !pivots[npivots - 1]) {
		uint64_t e;
		if ((err = ptv_kernel_read_uint(s->k, node + end_off, 1, &e)))
			return err;
		if (e < nslots)
			end = e;
	}
	for (uint64_t i = 0; i <= end; i++) {
		uint64_t entry = slots[i];
		if (!entry)
			continue;
		uint64_t child_max = i < npivots && pivots[i] ? pivots[i] : max;
		if (type == l->leaf_64)
			err = add_vma(s, entry);
		else
			err = walk_maple(s, l, entry, child_max, depth + 1);
		if (err)
			return err;
	}
	return NULL;
}

/* The path of a dentry: d_name up to the file system's root, then across
 * mounts (struct mount's mnt_mountpoint and mnt_parent), as d_path() does. */
static struct ptv_error *file_path(struct ptv_kernel *k, uint64_t file,
				   char **ret)
{
	uint64_t path_off, dentry_off, mnt_off, name_off, parent_off;
	uint64_t dentry, vfsmnt;
	struct ptv_error *err;
	if ((err = ptv_kernel_offsetof(k, "file", "f_path", &path_off)) ||
	    (err = ptv_kernel_offsetof(k, "path", "dentry", &dentry_off)) ||
	    (err = ptv_kernel_offsetof(k, "path", "mnt", &mnt_off)) ||
	    (err = ptv_kernel_offsetof(k, "dentry", "d_name.name", &name_off)) ||
	    (err = ptv_kernel_offsetof(k, "dentry", "d_parent", &parent_off)) ||
	    (err = ptv_kernel_read_u64(k, file + path_off + dentry_off, &dentry)) ||
	    (err = ptv_kernel_read_u64(k, file + path_off + mnt_off, &vfsmnt)))
		return err;
	uint64_t mount = 0, mnt_in_mount = 0, mp_off = 0, mparent_off = 0,
		 root_off = 0;
	if (ptv_types_has_member(k->types, "mount", "mnt") &&
	    !ptv_kernel_offsetof(k, "mount", "mnt", &mnt_in_mount) &&
	    !ptv_kernel_offsetof(k, "mount", "mnt_mountpoint", &mp_off) &&
	    !ptv_kernel_offsetof(k, "mount", "mnt_parent", &mparent_off) &&
	    !ptv_kernel_offsetof(k, "vfsmount", "mnt_root", &root_off) && vfsmnt)
		mount = vfsmnt - mnt_in_mount;
	char buf[PATH_MAX_];
	size_t pos = sizeof(buf) - 1;
	buf[pos] = '\0';
	for (unsigned depth = 0; depth < 256 && dentry; depth++) {
		uint64_t parent, mnt_root = 0;
		if ((err = ptv_kernel_read_u64(k, dentry + parent_off, &parent)))
			return err;
		if (mount && (err = ptv_kernel_read_u64(k, mount + mnt_in_mount +
							 root_off, &mnt_root)))
			return err;
		if (parent == dentry && dentry != mnt_root) {
			/* a pseudo dentry (shared anonymous memory's
			 * "dev/zero", memfd): its own name, then stop */
			uint64_t name;
			char comp[256];
			if ((err = ptv_kernel_read_u64(k, dentry + name_off, &name)) ||
			    (err = ptv_kernel_read_string(k, name, comp,
							  sizeof(comp))))
				return err;
			size_t n = strlen(comp);
			if (n + 1 <= pos) {
				pos -= n;
				memcpy(buf + pos, comp, n);
				buf[--pos] = '/';
			}
			break;
		}
		if (dentry == mnt_root || parent == dentry) {
			/* the root of this mount: continue in the parent */
			uint64_t up;
			if (!mount ||
			    (err = ptv_kernel_read_u64(k, mount + mparent_off, &up)))
				break;
			if (up == mount)
				break;
			if ((err = ptv_kernel_read_u64(k, mount + mp_off, &dentry)))
				return err;
			mount = up;
			continue;
		}
		uint64_t name;
		char comp[256];
		if ((err = ptv_kernel_read_u64(k, dentry + name_off, &name)) ||
		    (err = ptv_kernel_read_string(k, name, comp, sizeof(comp))))
			return err;
		size_t n = strlen(comp);
		if (n + 1 > pos)
			break;
		pos -= n;
		memcpy(buf + pos, comp, n);
		buf[--pos] = '/';
		dentry = parent;
	}
	if (pos == sizeof(buf) - 1)
		buf[--pos] = '/';
	*ret = strdup(buf + pos);
	return *ret ? NULL : ptv_enomem;
}

/* vdso and vvar are special mappings: vm_private_data points at a
 * struct vm_special_mapping whose first member is its name. */
static enum ptv_backing special_backing(struct ptv_kernel *k, uint64_t vma,
					uint64_t vm_ops)
{
	uint64_t sm_ops = 0, legacy = 0, priv_off, priv, name_ptr;
	char name[32];
	struct ptv_error *err = ptv_kernel_symbol(k, "special_mapping_vmops",
						  &sm_ops);
	ptv_error_destroy(err);
	err = ptv_kernel_symbol(k, "legacy_special_mapping_vmops", &legacy);
	ptv_error_destroy(err);
	if (!vm_ops || (vm_ops != sm_ops && vm_ops != legacy))
		return PTV_BACKING_ANON;
	if ((err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_private_data",
				       &priv_off)) ||
	    (err = ptv_kernel_read_u64(k, vma + priv_off, &priv)) ||
	    (err = ptv_kernel_read_u64(k, priv, &name_ptr)) ||
	    (err = ptv_kernel_read_string(k, name_ptr, name, sizeof(name)))) {
		ptv_error_destroy(err);
		return PTV_BACKING_OTHER;
	}
	if (!strcmp(name, "[vdso]"))
		return PTV_BACKING_VDSO;
	if (!strncmp(name, "[vvar", 5))
		return PTV_BACKING_VVAR;
	return PTV_BACKING_OTHER;
}

static struct ptv_error *add_vma(struct vma_sink *s, uint64_t addr)
{
	struct ptv_kernel *k = s->k;
	struct ptv_vma v;
	memset(&v, 0, sizeof(v));
	v.kaddr = addr;
	uint64_t pgoff, file, ops, fop = 0, shmem_fops = 0;
	struct ptv_member m;
	struct ptv_error *err;
	const char *T = "vm_area_struct";
#define RD(member, dst) \
	(err = ptv_types_member(k->types, T, member, &m)) || \
	(err = ptv_kernel_read_uint(k, addr + m.offset, (size_t)m.size, dst))
	if (RD("vm_start", &v.start) || RD("vm_end", &v.end) ||
	    RD("vm_flags", &v.flags) || RD("vm_pgoff", &pgoff) ||
	    RD("vm_file", &file) || RD("anon_vma", &v.anon_vma) ||
	    RD("vm_ops", &ops))
		return ptv_error_prefix(err, "vm_area_struct at 0x%" PRIx64, addr);
#undef RD
	if (v.end <= v.start || (v.start | v.end) & 0xfff)
		return ptv_error_create(PTV_ERR_FORMAT,
			"vm_area_struct at 0x%" PRIx64 " of mm 0x%" PRIx64
			" has the impossible range 0x%" PRIx64 "-0x%" PRIx64,
			addr, s->mm->addr, v.start, v.end);
	if (s->list->n && v.start < s->list->v[s->list->n - 1].end)
		return ptv_error_create(PTV_ERR_FORMAT,
			"VMAs of mm 0x%" PRIx64 " out of order or overlapping at "
			"0x%" PRIx64, s->mm->addr, v.start);
	v.pgoff = pgoff;
	v.file = file;
	snprintf(v.perms, sizeof(v.perms), "%c%c%c%c",
		 v.flags & VM_READ ? 'r' : '-', v.flags & VM_WRITE ? 'w' : '-',
		 v.flags & VM_EXEC ? 'x' : '-', v.flags & VM_SHARED ? 's' : 'p');
	if (file) {
		uint64_t fop_off;
		if ((err = file_path(k, file, &v.path)))
			return ptv_error_prefix(err, "path of the file of the "
						"VMA at 0x%" PRIx64, v.start);
		err = ptv_kernel_offsetof(k, "file", "f_op", &fop_off);
		if (!err)
			err = ptv_kernel_read_u64(k, file + fop_off, &fop);
		if (!err)
			err = ptv_kernel_symbol(k, "shmem_file_operations",
						&shmem_fops);
		ptv_error_destroy(err);
		/* shmem_file_setup() files: memfd, SysV shm, shared anon,
		 * tmpfs */
		v.backing = fop && fop == shmem_fops ? PTV_BACKING_SHMEM :
						       PTV_BACKING_FILE;
	} else {
		v.backing = special_backing(k, addr, ops);
		if (v.backing == PTV_BACKING_ANON) {
			const struct ptv_mm *mm = s->mm;
			if (v.start <= mm->brk && v.end >= mm->start_brk &&
			    mm->brk > mm->start_brk)
				v.backing = PTV_BACKING_HEAP;
			else if (v.start <= mm->start_stack &&
				 v.end >= mm->start_stack)
				v.backing = PTV_BACKING_STACK;
		}
	}
	struct ptv_vma_list *l = s->list;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ptv_vma *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv) {
			free(v.path);
			return ptv_enomem;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return NULL;
}

struct ptv_error *ptv_mm_vmas(struct ptv_kernel *k, const struct ptv_mm *mm,
			      struct ptv_vma_list *list)
{
	struct vma_sink s = { k, mm, list, 0 };
	struct ptv_error *err;
	if (ptv_types_has_member(k->types, "mm_struct", "mm_mt")) {
		struct maple_layout l;
		uint64_t root_off, root;
		if ((err = maple_layout(k, &l)) ||
		    (err = ptv_kernel_offsetof(k, "mm_struct", "mm_mt.ma_root",
					       &root_off)) ||
		    (err = ptv_kernel_read_u64(k, mm->addr + root_off, &root)))
			return ptv_error_prefix(err, "maple tree of mm 0x%" PRIx64,
						mm->addr);
		if (!root)
			return NULL;
		/* xa_is_node(): low bits 10 and above the first page */
		if ((root & 3) == 2 && root > 4096)
			return walk_maple(&s, &l, root, UINT64_MAX, 0);
		return add_vma(&s, root);	/* a lone entry */
	}
	/* Before v6.1: mm->mmap, linked through vm_next. */
	uint64_t mmap_off, next_off, vma;
	if ((err = ptv_kernel_offsetof(k, "mm_struct", "mmap", &mmap_off)) ||
	    (err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_next",
				       &next_off)) ||
	    (err = ptv_kernel_read_u64(k, mm->addr + mmap_off, &vma)))
		return err;
	for (unsigned n = 0; vma; n++) {
		if (n > mm->map_count + 1 || n >= MAX_VMAS)
			return ptv_error_create(PTV_ERR_FORMAT,
				"the VMA list of mm 0x%" PRIx64 " is longer than "
				"its map_count %" PRIu64 ": it loops or is damaged",
				mm->addr, mm->map_count);
		if ((err = add_vma(&s, vma)) ||
		    (err = ptv_kernel_read_u64(k, vma + next_off, &vma)))
			return err;
	}
	return NULL;
}
