/* SPDX-License-Identifier: Apache-2.0 */
/* The free-space reserve: --min-free-space parsing, its size on a filesystem, the check. */
#include <sys/statvfs.h>

#include "store/space.h"
#include "tap.h"

static void parses(const char *s, uint64_t bytes, unsigned percent)
{
        RossSpaceReserve r = {.bytes = 7, .percent = 7};
        int rc = ross_space_parse(s, &r);
        ok(rc == 0 && r.bytes == bytes && r.percent == percent, "'%s' is %llu bytes, %u %%", s,
           (unsigned long long)bytes, percent);
        if (rc != 0 || r.bytes != bytes || r.percent != percent)
                printf("#   got %d, %llu bytes, %u %%\n", rc, (unsigned long long)r.bytes,
                       r.percent);
}

static void refused(const char *s, int want)
{
        RossSpaceReserve r = {.bytes = 7, .percent = 7};
        int rc = ross_space_parse(s, &r);
        char shown[64] = "(null)";
        for (size_t i = 0, o = 0; s && s[i] && o + 3 < sizeof(shown); i++, o++) {
                if (s[i] == '\n')
                        shown[o++] = '\\', shown[o] = 'n';
                else
                        shown[o] = s[i];
                shown[o + 1] = '\0';
        }
        if (s && !*s)
                shown[0] = '\0';
        ok(rc == want && r.bytes == 7 && r.percent == 7, "'%s' is refused (%d), result untouched",
           shown, want);
        if (rc != want)
                printf("#   got %d\n", rc);
}

int main(void)
{
        char buf[64];
        RossError err = {};

        parses("0", 0, 0);
        parses("4096", 4096, 0);
        parses("1k", 1024, 0);
        parses("1K", 1024, 0);
        parses("64M", 64ULL << 20, 0);
        parses("64m", 64ULL << 20, 0);
        parses("2G", 2ULL << 30, 0);
        parses("2GiB", 2ULL << 30, 0);
        parses("2GB", 2ULL << 30, 0);
        parses("100B", 100, 0);
        parses("3T", 3ULL << 40, 0);
        parses("16777215T", 16777215ULL << 40, 0);
        parses("5%", 0, 5);
        parses("0%", 0, 0);
        parses("100%", 0, 100);
        parses("18446744073709551615", UINT64_MAX, 0);

        refused(NULL, -EINVAL);
        refused("", -EINVAL);
        refused("%", -EINVAL);
        refused("abc", -EINVAL);
        refused("-1", -EINVAL);
        refused("-1G", -EINVAL);
        refused(" 1G", -EINVAL);
        refused("1G ", -EINVAL);
        refused("1.5G", -EINVAL);
        refused("1X", -EINVAL);
        refused("1iB", -EINVAL);
        refused("1GG", -EINVAL);
        refused("G", -EINVAL);
        refused("12.5%", -EINVAL);
        refused("5%%", -EINVAL);
        refused("-5%", -EINVAL);
        refused("5\n%", -EINVAL);
        refused("101%", -ERANGE);
        refused("16777216T", -ERANGE);
        refused("18446744073709551616", -ERANGE);

        ross_space_format_bytes(0, buf, sizeof(buf));
        is_str(buf, "0 B", "0 bytes");
        ross_space_format_bytes(1023, buf, sizeof(buf));
        is_str(buf, "1023 B", "1023 bytes");
        ross_space_format_bytes(1536, buf, sizeof(buf));
        is_str(buf, "1.5 KiB", "1536 bytes");
        ross_space_format_bytes(1ULL << 30, buf, sizeof(buf));
        is_str(buf, "1.0 GiB", "1 GiB");
        ross_space_format_bytes(128ULL << 20, buf, sizeof(buf));
        is_str(buf, "128.0 MiB", "128 MiB");
        ross_space_format_bytes(UINT64_MAX, buf, sizeof(buf));
        is_str(buf, "16.0 EiB", "the largest size");

        RossSpaceReserve def = ROSS_SPACE_RESERVE_DEFAULT;
        ross_space_format_reserve(&def, buf, sizeof(buf));
        is_str(buf, "1.0 GiB or 5 %", "the default shown");
        ross_space_format_reserve(&(RossSpaceReserve){0}, buf, sizeof(buf));
        is_str(buf, "none", "0 shown as none");

        /* the larger of both parts */
        ok(ross_space_reserve_for(&def, 10ULL << 30) == 1ULL << 30, "10 GiB fs: 1 GiB");
        ok(ross_space_reserve_for(&def, 100ULL << 30) == 5ULL << 30, "100 GiB fs: 5 GiB");
        ok(ross_space_reserve_for(&(RossSpaceReserve){.percent = 5}, 512ULL << 20) ==
                   (512ULL << 20) * 5 / 100,
           "5 %% of 512 MiB, not rounded to nothing");
        ok(ross_space_reserve_for(&(RossSpaceReserve){.percent = 100}, UINT64_MAX) == UINT64_MAX,
           "100 %% of the largest size does not overflow");
        ok(ross_space_reserve_for(&(RossSpaceReserve){0}, 1ULL << 40) == 0, "disabled: 0");

        /* against the real filesystem of /tmp */
        char tmpl[] = "/tmp/ross-test-space-XXXXXX";
        char *dir = mkdtemp(tmpl);
        int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        struct statvfs sv;
        ok(fd >= 0 && fstatvfs(fd, &sv) == 0, "a directory to check");
        uint64_t size = (uint64_t)sv.f_blocks * sv.f_frsize;
        uint64_t got = 0;
        ok(ross_space_reserve_bytes(&def, fd, &got, &err) == 0 &&
                   got == ross_space_reserve_for(&def, size),
           "the default for /tmp's filesystem");
        ok(ross_space_reserve_bytes(&(RossSpaceReserve){.percent = 100}, fd, &got, &err) == 0 &&
                   got == size,
           "100 %% is the whole filesystem");

        ok(ross_space_check(fd, 0, UINT64_MAX, &err) == 0, "reserve 0: never refused");
        ok(ross_space_check(fd, 4096, 4096, &err) == 0, "4 KiB reserve: fine");
        ross_err_clear(&err);
        ok(ross_space_check(fd, size, 0, &err) == -ENOSPC, "the whole size as reserve: refused");
        ok(strstr(err.msg, "not enough free space on the data dir's filesystem: writing would "
                           "leave less than the ") != NULL &&
                   strstr(err.msg, " reserve (--min-free-space; ") != NULL,
           "the message names the reserve and the flag");
        printf("# %s\n", err.msg);
        ok(ross_space_check(fd, UINT64_MAX, UINT64_MAX, &err) == -ENOSPC,
           "reserve + size overflowing: refused, not wrapped");

        /* the guard checks first, then once per window */
        RossSpaceGuard g = {.reserve = size};
        ok(ross_space_guard_write(&g, fd, 1, &err) == -ENOSPC, "guard: the first write checks");
        g = (RossSpaceGuard){.reserve = size, .checked = true};
        ok(ross_space_guard_write(&g, fd, ROSS_SPACE_CHECK_EVERY / 2, &err) == 0 &&
                   ross_space_guard_write(&g, fd, ROSS_SPACE_CHECK_EVERY / 2, &err) == 0,
           "guard: no check within the window");
        ok(ross_space_guard_write(&g, fd, 1, &err) == -ENOSPC,
           "guard: the write past the window checks");
        g = (RossSpaceGuard){.reserve = 4096};
        ok(ross_space_guard_write(&g, fd, ROSS_SPACE_CHECK_EVERY * 3, &err) == 0 &&
                   g.unchecked == ROSS_SPACE_CHECK_EVERY * 3,
           "guard: a write larger than the window is checked whole");
        g = (RossSpaceGuard){0};
        ok(ross_space_guard_write(&g, -1, 1, &err) == 0, "guard without a reserve: no check");

        if (fd >= 0)
                close(fd);
        if (dir)
                rmdir(dir);
        return tap_done();
}
