/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/statvfs.h>

#include "../basic/parse.h"
#include "space.h"

int ross_space_parse(const char *s, RossSpaceReserve *ret)
{
        if (!s || !*s)
                return -EINVAL;
        size_t len = strlen(s);
        uint64_t v;
        int r;

        if (s[len - 1] == '%') {
                _cleanup_free_ char *num = xstrndup(s, len - 1);
                r = ross_parse_u64(num, 100, &v);
                if (r < 0 || strchr(num, '\n'))
                        return r < 0 ? r : -EINVAL;
                *ret = (RossSpaceReserve){.percent = (unsigned)v};
                return 0;
        }

        /* digits, then an optional unit: k|K|m|M|g|G|t|T, then B or iB (after a unit), or B */
        size_t digits = strspn(s, "0123456789");
        if (digits == 0)
                return -EINVAL;
        const char *unit = s + digits;
        unsigned shift = 0;
        switch (*unit) {
        case 'k':
        case 'K':
                shift = 10;
                break;
        case 'm':
        case 'M':
                shift = 20;
                break;
        case 'g':
        case 'G':
                shift = 30;
                break;
        case 't':
        case 'T':
                shift = 40;
                break;
        }
        const char *rest = shift ? unit + 1 : unit;
        if (!(STREQ(rest, "") || STREQ(rest, "B") || (shift && STREQ(rest, "iB"))))
                return -EINVAL;
        _cleanup_free_ char *num = xstrndup(s, digits);
        r = ross_parse_u64(num, UINT64_MAX, &v);
        if (r < 0)
                return r;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (RossSpaceReserve){.bytes = v << shift};
        return 0;
}

void ross_space_format_bytes(uint64_t bytes, char *buf, size_t n)
{
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        if (bytes < 1024) {
                snprintf(buf, n, "%llu B", (unsigned long long)bytes);
                return;
        }
        double v = (double)bytes / 1024;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, n, "%.1f %s", v, units[u]);
}

void ross_space_format_reserve(const RossSpaceReserve *r, char *buf, size_t n)
{
        char b[32];
        ross_space_format_bytes(r->bytes, b, sizeof(b));
        if (r->bytes && r->percent)
                snprintf(buf, n, "%s or %u %%", b, r->percent);
        else if (r->bytes)
                snprintf(buf, n, "%s", b);
        else if (r->percent)
                snprintf(buf, n, "%u %%", r->percent);
        else
                snprintf(buf, n, "none");
}

uint64_t ross_space_reserve_for(const RossSpaceReserve *r, uint64_t fs_size)
{
        /* fs_size / 100 * percent would round small filesystems down to nothing */
        unsigned __int128 share = (unsigned __int128)fs_size * r->percent / 100;
        uint64_t part = share > UINT64_MAX ? UINT64_MAX : (uint64_t)share;
        return part > r->bytes ? part : r->bytes;
}

int ross_space_reserve_bytes(const RossSpaceReserve *r, int fd, uint64_t *ret, RossError *err)
{
        struct statvfs sv;
        if (r->percent == 0) {
                *ret = r->bytes;
                return 0;
        }
        if (fstatvfs(fd, &sv) < 0)
                return ross_err(err, errno, "size of the data dir's filesystem");
        *ret = ross_space_reserve_for(r, (uint64_t)sv.f_blocks * sv.f_frsize);
        return 0;
}

int ross_space_check(int fd, uint64_t reserve, uint64_t about_to_write, RossError *err)
{
        struct statvfs sv;
        char want[32], have[32];

        if (reserve == 0)
                return 0;
        if (fstatvfs(fd, &sv) < 0)
                return ross_err(err, errno, "free space of the data dir's filesystem");
        uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize, need;
        if (!__builtin_add_overflow(reserve, about_to_write, &need) && avail >= need)
                return 0;
        ross_space_format_bytes(reserve, want, sizeof(want));
        ross_space_format_bytes(avail, have, sizeof(have));
        return ross_errx(err, ENOSPC,
                         "not enough free space on the data dir's filesystem: writing would "
                         "leave less than the %s reserve (--min-free-space; %s free)",
                         want, have);
}

int ross_space_guard_write(RossSpaceGuard *g, int fd, uint64_t n, RossError *err)
{
        if (g->reserve == 0)
                return 0;
        if (!g->checked || g->unchecked + n > ROSS_SPACE_CHECK_EVERY) {
                uint64_t window = n > ROSS_SPACE_CHECK_EVERY ? n : ROSS_SPACE_CHECK_EVERY;
                int r = ross_space_check(fd, g->reserve, window, err);
                if (r < 0)
                        return r;
                g->checked = true;
                g->unchecked = 0;
        }
        g->unchecked += n;
        return 0;
}
