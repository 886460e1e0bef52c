/* SPDX-License-Identifier: Apache-2.0 */
#include <elf.h>
#include <lzma.h>
#include <stdio.h>
#include <sys/stat.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../store/sha256.h"
#include "kernel-elf.h"

#define BZIMAGE_MAX (128 * 1024 * 1024)
#define VMLINUX_MAX (512 * 1024 * 1024)
/* Xen's ELF note for the 32-bit PVH entry point, which QEMU boots */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static const unsigned char xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

/* Does the ELF (64-bit, little-endian) carry a "Xen" note of type 18? */
static bool has_pvh_note(const unsigned char *p, size_t n)
{
        if (n < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) != 0 || p[EI_CLASS] != ELFCLASS64)
                return false;
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p;
        if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > n ||
            (n - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
                return false;
        for (unsigned i = 0; i < eh->e_phnum; i++) {
                const Elf64_Phdr *ph = (const Elf64_Phdr *)(p + eh->e_phoff) + i;
                if (ph->p_type != PT_NOTE || ph->p_offset > n || ph->p_filesz > n - ph->p_offset)
                        continue;
                size_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;
                while (end - off >= sizeof(Elf64_Nhdr)) {
                        const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(p + off);
                        size_t name = (nh->n_namesz + 3) & ~3UL, desc = (nh->n_descsz + 3) & ~3UL;
                        if (name > end - off - sizeof(*nh) || desc > end - off - sizeof(*nh) - name)
                                break;
                        if (nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh->n_namesz == 4 &&
                            memcmp(p + off + sizeof(*nh), "Xen", 4) == 0)
                                return true;
                        off += sizeof(*nh) + name + desc;
                }
        }
        return false;
}

/* The xz stream at data's first xz magic, decompressed (up to VMLINUX_MAX). */
static int unxz(const unsigned char *data, size_t n, RossBuf *out, RossError *err)
{
        const unsigned char *at = memmem(data, n, xz_magic, sizeof(xz_magic));
        if (!at)
                return ross_errx(err, ENOTSUP, "no xz payload");
        lzma_stream s = LZMA_STREAM_INIT;
        if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
                return ross_errx(err, ENOMEM, "xz decoder");
        s.next_in = at;
        s.avail_in = n - (size_t)(at - data);
        lzma_ret lr = LZMA_OK;
        while (lr == LZMA_OK) {
                if (out->len >= VMLINUX_MAX) {
                        lzma_end(&s);
                        return ross_errx(err, EFBIG, "the kernel's ELF is over %d MiB",
                                         VMLINUX_MAX >> 20);
                }
                if (out->alloc - out->len < 1024 * 1024) {
                        out->alloc = out->alloc ? out->alloc * 2 : 32 * 1024 * 1024;
                        out->data = xrealloc(out->data, out->alloc);
                }
                s.next_out = (uint8_t *)out->data + out->len;
                s.avail_out = out->alloc - out->len - 1;
                size_t before = s.avail_out;
                lr = lzma_code(&s, LZMA_RUN);
                out->len += before - s.avail_out;
        }
        lzma_end(&s);
        /* the payload is followed by more of the bzImage: the stream's end is enough */
        if (lr != LZMA_STREAM_END)
                return ross_errx(err, EBADMSG, "the xz payload does not decompress (%d)", lr);
        return 0;
}

int ross_kernel_elf_get(const char *bzimage, const char *cache_dir, char **ret_path, RossError *err)
{
        struct stat st;
        if (stat(bzimage, &st) < 0)
                return ross_err(err, errno, "'%s'", bzimage);
        RossSha256 h;
        uint8_t md[ROSS_SHA256_SIZE];
        _cleanup_free_ char *id = xasprintf("%s %lld %lld.%09ld", bzimage, (long long)st.st_size,
                                            (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        ross_sha256_init(&h);
        ross_sha256_update(&h, id, strlen(id));
        ross_sha256_final(&h, md);
        char key[17];
        for (int i = 0; i < 8; i++)
                snprintf(key + 2 * i, 3, "%02x", md[i]);
        _cleanup_free_ char *path = xasprintf("%s/vmlinux-%s", cache_dir, key);
        _cleanup_free_ char *none = xasprintf("%s/vmlinux-%s.none", cache_dir, key);
        if (stat(path, &st) == 0) {
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        if (stat(none, &st) == 0)
                return ross_errx(err, ENOTSUP, "no PVH ELF in '%s' (seen before)", bzimage);

        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = ross_read_file(bzimage, BZIMAGE_MAX, &data, &n, err);
        if (r < 0)
                return r;
        _cleanup_(ross_buf_free) RossBuf elf = {};
        r = unxz((const unsigned char *)data, n, &elf, err);
        if (r >= 0 && !has_pvh_note((const unsigned char *)elf.data, elf.len))
                r = ross_errx(err, ENOTSUP, "the kernel's ELF has no PVH entry");
        if (r < 0) {
                /* remembered, so the next start does not decompress it again */
                if (ross_mkdir_p(cache_dir, 0700, NULL) == 0)
                        (void)ross_write_file_atomic(none, "", 0, 0644, NULL);
                return r;
        }
        if ((r = ross_mkdir_p(cache_dir, 0700, err)) < 0 ||
            (r = ross_write_file_atomic(path, elf.data, elf.len, 0644, err)) < 0)
                return r;
        log_debug("the guest kernel's ELF (PVH entry): %s, %zu bytes from %s", path, elf.len,
                  bzimage);
        *ret_path = TAKE_PTR(path);
        return 0;
}
