/* ELF memory images: QEMU dump-guest-memory, kdump's /proc/vmcore,
 * makedumpfile -E and /proc/kcore.
 *
 * libelf reads the ELF header and program headers wherever they are (QEMU
 * puts them at offset 192, not right after the ELF header, which
 * makedumpfile 1.7.2 cannot read).  It is opened with ELF_C_READ, which
 * reads on demand: ELF_C_READ_MMAP would fall back to reading the whole
 * file when mmap fails, as it does on /proc/kcore.  Notes and memory are
 * read with pread; nothing is mapped, so a file truncated under us gives an
 * error, not SIGBUS.
 */
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#define PTV_IMAGE_BACKEND
#include "core/image.h"

#ifndef NT_TASKSTRUCT
#define NT_TASKSTRUCT 4
#endif

/* More would be no dump ptview can meet: a kcore has a few hundred PT_LOADs,
 * a makedumpfile -E of a big NUMA machine tens of thousands. */
#define ELF_MAX_PHNUM	(1u << 22)
/* NT_PRSTATUS and friends for 8192 CPUs fit many times over. */
#define ELF_MAX_NOTES	(64u << 20)

/* One PT_LOAD in one address space: [start, end) with the bytes of
 * [start, data_end) at file offset `offset`; [data_end, end) is memory the
 * dump knows of but did not store (p_filesz < p_memsz). */
struct elf_segment {
	uint64_t start, end, data_end;
	uint64_t offset;
	size_t index;		/* program header index, for messages */
};

struct elf_space {
	struct elf_segment *segs;	/* sorted by start, none inside another */
	size_t nsegs;
};

struct elf_image {
	struct elf_space phys, virt;
};

static int segment_cmp(const void *a, const void *b)
{
	const struct elf_segment *sa = a, *sb = b;
	if (sa->start != sb->start)
		return sa->start < sb->start ? -1 : 1;
	/* The longer first, so the shorter is dropped as contained. */
	return sa->end > sb->end ? -1 : sa->end < sb->end;
}

/* Sort and drop segments that lie inside another (a kcore's kernel-text
 * segment inside its RAM segment).  Then starts and ends both increase,
 * which lets space_find() use one binary search. */
static void space_normalize(struct elf_space *space)
{
	qsort(space->segs, space->nsegs, sizeof(*space->segs), segment_cmp);
	size_t n = 0;
	for (size_t i = 0; i < space->nsegs; i++) {
		if (n > 0 && space->segs[i].end <= space->segs[n - 1].end)
			continue;
		space->segs[n++] = space->segs[i];
	}
	space->nsegs = n;
}

static const struct elf_segment *space_find(const struct elf_space *space,
					    uint64_t addr)
{
	size_t lo = 0, hi = space->nsegs;
	while (lo < hi) {	/* first segment with start > addr */
		size_t mid = lo + (hi - lo) / 2;
		if (space->segs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= space->segs[lo - 1].end)
		return NULL;
	return &space->segs[lo - 1];
}

static struct ptv_error *space_read(struct ptv_image *img,
				    const struct elf_space *space,
				    const char *kind, uint64_t addr,
				    void *buf, size_t len)
{
	char *out = buf;
	/* Every pass consumes at least one byte or returns. */
	while (len > 0) {
		const struct elf_segment *seg = space_find(space, addr);
		if (!seg)
			return ptv_error_create(PTV_ERR_NO_MEMORY,
						"%s: %s address 0x%llx is not in the image",
						img->path, kind,
						(unsigned long long)addr);
		if (addr >= seg->data_end)
			return ptv_error_create(PTV_ERR_EXCLUDED,
						"%s: %s address 0x%llx is excluded from the dump (PT_LOAD %zu stores 0x%llx of its 0x%llx bytes)",
						img->path, kind,
						(unsigned long long)addr,
						seg->index,
						(unsigned long long)(seg->data_end - seg->start),
						(unsigned long long)(seg->end - seg->start));
		uint64_t avail = seg->data_end - addr;
		size_t n = avail < len ? avail : len;
		struct ptv_error *err = ptv_image_pread(img, out, n,
							seg->offset + (addr - seg->start),
							"segment data");
		if (err)
			return err;
		out += n;
		addr += n;
		len -= n;
	}
	return NULL;
}

static struct ptv_error *elf_read_phys(struct ptv_image *img, uint64_t paddr,
				       void *buf, size_t len)
{
	struct elf_image *elf = img->priv;
	return space_read(img, &elf->phys, "physical", paddr, buf, len);
}

static struct ptv_error *elf_read_kvirt(struct ptv_image *img, uint64_t vaddr,
					void *buf, size_t len)
{
	struct elf_image *elf = img->priv;
	return space_read(img, &elf->virt, "kernel", vaddr, buf, len);
}

static void elf_image_free(struct elf_image *elf)
{
	if (!elf)
		return;
	free(elf->phys.segs);
	free(elf->virt.segs);
	free(elf);
}

static void elf_destroy(struct ptv_image *img)
{
	elf_image_free(img->priv);
	img->priv = NULL;
}

static const struct ptv_image_ops elf_ops = {
	.read_phys = elf_read_phys,
	.read_kvirt = elf_read_kvirt,
	.destroy = elf_destroy,
};

static uint32_t note_word(const unsigned char *p, bool big_endian)
{
	if (big_endian)
		return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

struct note_findings {
	bool kcore;		/* saw the NT_TASKSTRUCT note only kcore has */
};

/* Walk one PT_NOTE: 4-byte aligned Elf_Nhdr records, as both the kernel
 * (fs/proc/kcore.c, kernel/crash_core.c) and QEMU write them in ELF64 too. */
static struct ptv_error *parse_notes(struct ptv_image *img, size_t index,
				     const GElf_Phdr *phdr,
				     struct note_findings *found)
{
	if (phdr->p_filesz == 0)
		return NULL;
	if (phdr->p_filesz > ELF_MAX_NOTES)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: PT_NOTE %zu claims 0x%llx bytes, more than any dump has",
					img->path, index,
					(unsigned long long)phdr->p_filesz);
	if (phdr->p_offset > img->file_size ||
	    phdr->p_filesz > img->file_size - phdr->p_offset)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: PT_NOTE %zu (offset 0x%llx, 0x%llx bytes) extends past the end of the file (0x%llx bytes): truncated?",
					img->path, index,
					(unsigned long long)phdr->p_offset,
					(unsigned long long)phdr->p_filesz,
					(unsigned long long)img->file_size);
	size_t size = phdr->p_filesz;
	unsigned char *buf = malloc(size);
	if (!buf)
		return ptv_enomem;
	struct ptv_error *err = ptv_image_pread(img, buf, size,
						phdr->p_offset, "PT_NOTE");
	if (err)
		goto out;
	bool be = img->byte_order == PTV_BIG_ENDIAN;
	/* Each record is at least 12 bytes: at most size / 12 passes. */
	for (size_t off = 0; size - off >= 12;) {
		uint64_t namesz = note_word(buf + off, be);
		uint64_t descsz = note_word(buf + off + 4, be);
		uint32_t type = note_word(buf + off + 8, be);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + ((namesz + 3) & ~3ull);
		uint64_t next = desc_off + ((descsz + 3) & ~3ull);
		if (desc_off + descsz > size) {
			err = ptv_error_create(PTV_ERR_FORMAT,
					       "%s: note at file offset 0x%llx (name %llu bytes, data %llu bytes) overruns PT_NOTE %zu",
					       img->path,
					       (unsigned long long)(phdr->p_offset + off),
					       (unsigned long long)namesz,
					       (unsigned long long)descsz, index);
			goto out;
		}
		const char *name = (const char *)buf + name_off;
		if ((namesz == 11 || namesz == 10) &&
		    memcmp(name, "VMCOREINFO", 10) == 0 && !img->vmcoreinfo) {
			img->vmcoreinfo = ptv_image_dup_text((char *)buf + desc_off,
							     descsz);
		} else if (namesz == 5 && memcmp(name, "CORE", 5) == 0 &&
			   type == NT_TASKSTRUCT) {
			found->kcore = true;
		}
		if (next > size)
			break;
		off = next;
	}
out:
	free(buf);
	return err;
}

/* A p_paddr that means "no physical address": -1 in the file's class. */
static bool paddr_unset(uint64_t paddr, int elfclass, bool kcore)
{
	if (paddr == (elfclass == ELFCLASS32 ? 0xffffffffull : UINT64_MAX))
		return true;
	/* Kernels before fs/proc/kcore.c learned p_paddr left it 0. */
	return kcore && paddr == 0;
}

static struct ptv_error *check_load(struct ptv_image *img, size_t index,
				    const GElf_Phdr *phdr)
{
	if (phdr->p_filesz > phdr->p_memsz)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: PT_LOAD %zu stores 0x%llx bytes, more than its size 0x%llx",
					img->path, index,
					(unsigned long long)phdr->p_filesz,
					(unsigned long long)phdr->p_memsz);
	if (phdr->p_offset > img->file_size ||
	    phdr->p_filesz > img->file_size - phdr->p_offset)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: PT_LOAD %zu (offset 0x%llx, 0x%llx bytes) extends past the end of the file (0x%llx bytes): truncated?",
					img->path, index,
					(unsigned long long)phdr->p_offset,
					(unsigned long long)phdr->p_filesz,
					(unsigned long long)img->file_size);
	return NULL;
}

static void add_segment(struct elf_space *space, uint64_t start,
			const GElf_Phdr *phdr, size_t index)
{
	/* Clip a segment that would wrap past the top of the space. */
	uint64_t size = phdr->p_memsz, data = phdr->p_filesz;
	if (start + size < start)
		size = 0 - start;
	if (data > size)
		data = size;
	if (size == 0)
		return;
	space->segs[space->nsegs++] = (struct elf_segment){
		.start = start, .end = start + size, .data_end = start + data,
		.offset = phdr->p_offset, .index = index,
	};
}

/* The held physical ranges: every segment's stored part, merged. */
static struct ptv_error *build_ranges(struct ptv_image *img,
				      const struct elf_space *phys)
{
	img->ranges = calloc(phys->nsegs ? phys->nsegs : 1,
			     sizeof(*img->ranges));
	if (!img->ranges)
		return ptv_enomem;
	size_t n = 0;
	for (size_t i = 0; i < phys->nsegs; i++) {
		const struct elf_segment *seg = &phys->segs[i];
		if (seg->data_end == seg->start)
			continue;
		if (n > 0 && seg->start <= img->ranges[n - 1].end) {
			if (seg->data_end > img->ranges[n - 1].end)
				img->ranges[n - 1].end = seg->data_end;
			continue;
		}
		img->ranges[n++] = (struct ptv_phys_range){ seg->start,
							    seg->data_end };
	}
	img->nranges = n;
	return NULL;
}

static unsigned int pointer_size_of(uint16_t machine, int elfclass)
{
	switch (machine) {
	case EM_X86_64:
	case EM_AARCH64:
	case EM_PPC64:
	case EM_S390:
	case EM_RISCV:
		/* 64-bit kernels also write ELF32 vmcores (kexec-tools
		 * --elf32-core-headers), so the machine decides. */
		return 8;
	case EM_386:
	case EM_ARM:
		return 4;
	}
	return elfclass == ELFCLASS64 ? 8 : 4;
}

/* Read the headers and notes; fills *elf's segments.  Uses libelf only
 * here. */
static struct ptv_error *read_headers(struct ptv_image *img, Elf *e,
				      struct elf_image *elf)
{
	GElf_Ehdr ehdr;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &ehdr))
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: bad ELF header: %s", img->path,
					elf_errmsg(-1));
	int elfclass = ehdr.e_ident[EI_CLASS];
	if (ehdr.e_type != ET_CORE)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: ELF file of type %u, not a core dump (ET_CORE)",
					img->path, ehdr.e_type);
	img->byte_order = ehdr.e_ident[EI_DATA] == ELFDATA2MSB ?
			  PTV_BIG_ENDIAN : PTV_LITTLE_ENDIAN;
	img->machine = ehdr.e_machine;
	img->pointer_size = pointer_size_of(ehdr.e_machine, elfclass);

	size_t phnum;
	if (elf_getphdrnum(e, &phnum) != 0)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: cannot count program headers: %s",
					img->path, elf_errmsg(-1));
	/* libelf quietly lowers phnum to what fits in the file; the header's
	 * own count tells a damaged file apart. */
	if (ehdr.e_phnum != PN_XNUM && ehdr.e_phnum > phnum)
		phnum = ehdr.e_phnum;
	size_t phentsize = elfclass == ELFCLASS32 ? sizeof(Elf32_Phdr)
						  : sizeof(Elf64_Phdr);
	/* libelf allocates phnum headers before reading them: bound it by
	 * what the file can hold first. */
	if (phnum == 0 || phnum > ELF_MAX_PHNUM ||
	    ehdr.e_phentsize != phentsize || ehdr.e_phoff > img->file_size ||
	    phnum > (img->file_size - ehdr.e_phoff) / phentsize)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: %zu program headers of %u bytes at offset 0x%llx do not fit the file (0x%llx bytes)",
					img->path, phnum, ehdr.e_phentsize,
					(unsigned long long)ehdr.e_phoff,
					(unsigned long long)img->file_size);

	GElf_Phdr *loads = calloc(phnum, sizeof(*loads));
	size_t *load_index = calloc(phnum, sizeof(*load_index));
	elf->phys.segs = calloc(phnum, sizeof(*elf->phys.segs));
	elf->virt.segs = calloc(phnum, sizeof(*elf->virt.segs));
	struct ptv_error *err = NULL;
	if (!loads || !load_index || !elf->phys.segs || !elf->virt.segs) {
		err = ptv_enomem;
		goto out;
	}
	size_t nloads = 0;
	struct note_findings found = { 0 };
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr phdr;
		if (!gelf_getphdr(e, i, &phdr)) {
			err = ptv_error_create(PTV_ERR_FORMAT,
					       "%s: program header %zu: %s",
					       img->path, i, elf_errmsg(-1));
			goto out;
		}
		if (phdr.p_type == PT_NOTE) {
			err = parse_notes(img, i, &phdr, &found);
		} else if (phdr.p_type == PT_LOAD) {
			err = check_load(img, i, &phdr);
			load_index[nloads] = i;
			loads[nloads++] = phdr;
		}
		if (err)
			goto out;
	}
	if (nloads == 0) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: ELF core without PT_LOAD segments: it holds no memory",
				       img->path);
		goto out;
	}

	/* Classify once the notes told kcore apart. */
	img->format = found.kcore ? PTV_IMAGE_KCORE : PTV_IMAGE_ELF_VMCORE;
	for (size_t i = 0; i < nloads; i++) {
		const GElf_Phdr *phdr = &loads[i];
		if (!paddr_unset(phdr->p_paddr, elfclass, found.kcore))
			add_segment(&elf->phys, phdr->p_paddr, phdr,
				    load_index[i]);
		if (phdr->p_vaddr != 0 && phdr->p_vaddr != phdr->p_paddr)
			add_segment(&elf->virt, phdr->p_vaddr, phdr,
				    load_index[i]);
	}
	space_normalize(&elf->phys);
	space_normalize(&elf->virt);
	img->has_kvirt = elf->virt.nsegs > 0;
	err = build_ranges(img, &elf->phys);
out:
	free(loads);
	free(load_index);
	return err;
}

struct ptv_error *ptv_image_elf_open(struct ptv_image *img)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ptv_error_create(PTV_ERR_OTHER, "libelf: %s",
					elf_errmsg(-1));
	struct elf_image *elf = calloc(1, sizeof(*elf));
	if (!elf)
		return ptv_enomem;
	Elf *e = elf_begin(img->fd, ELF_C_READ, NULL);
	struct ptv_error *err;
	if (!e)
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: %s", img->path,
				       elf_errmsg(-1));
	else
		err = read_headers(img, e, elf);
	elf_end(e);
	if (!err && !img->machine)
		img->machine = ptv_image_machine_from_vmcoreinfo(img->vmcoreinfo);
	if (err) {
		elf_image_free(elf);
		free(img->vmcoreinfo);
		img->vmcoreinfo = NULL;
		free(img->ranges);
		img->ranges = NULL;
		img->nranges = 0;
		return err;
	}
	img->priv = elf;
	img->ops = &elf_ops;
	return NULL;
}
