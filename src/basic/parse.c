/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <strings.h>
#include <time.h>

#include "macros.h"
#include "parse.h"

/* The digits of s in base, with at most one trailing newline; 0 on success. */
static int parse_digits(const char *s, unsigned base, uint64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;

        if (!*p)
                return -EINVAL;
        for (; *p && *p != '\n'; p++) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                        d = (unsigned)(*p - '0');
                else if (base == 16 && *p >= 'a' && *p <= 'f')
                        d = (unsigned)(*p - 'a' + 10);
                else if (base == 16 && *p >= 'A' && *p <= 'F')
                        d = (unsigned)(*p - 'A' + 10);
                else
                        return -EINVAL;
                if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
                        return -ERANGE;
        }
        if (p == s || (*p == '\n' && p[1] != '\0'))
                return -EINVAL;
        *ret = v;
        return 0;
}

int ross_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, 10, &v);
        if (r < 0)
                return r;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ross_parse_u64_hex(const char *s, uint64_t max, uint64_t *ret)
{
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, 16, &v);
        if (r < 0)
                return r;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ross_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
        bool neg = false;
        uint64_t mag;
        int64_t v;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '-') {
                neg = true;
                s++;
        }
        r = parse_digits(s, 10, &mag);
        if (r < 0)
                return r;
        if (neg) {
                if (mag > (uint64_t)INT64_MAX + 1)
                        return -ERANGE;
                v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        } else {
                if (mag > (uint64_t)INT64_MAX)
                        return -ERANGE;
                v = (int64_t)mag;
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ross_parse_int(const char *s, int min, int max, int *ret)
{
        int64_t v;
        int r = ross_parse_i64(s, min, max, &v);
        if (r < 0)
                return r;
        *ret = (int)v;
        return 0;
}

int ross_parse_decimal(const char *s, double max, double *ret, const char **ret_rest)
{
        if (!s)
                return -EINVAL;
        size_t whole = strspn(s, "0123456789"), frac = 0, len = whole;
        if (s[whole] == '.') {
                frac = strspn(s + whole + 1, "0123456789");
                len += 1 + frac;
        }
        if (whole + frac == 0)
                return -EINVAL;
        if (!ret_rest && s[len])
                return -EINVAL;
        /* only digits and one dot, and no program sets a locale: strtod reads just these */
        _cleanup_free_ char *num = xstrndup(s, len);
        double v = strtod(num, NULL);
        if (!(v <= max)) /* HUGE_VAL from a long run of digits too */
                return -ERANGE;
        *ret = v;
        if (ret_rest)
                *ret_rest = s + len;
        return 0;
}

int ross_parse_bool(const char *s, bool *ret)
{
        if (!s)
                return -EINVAL;
        if (STREQ(s, "1") || strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0) {
                *ret = true;
                return 0;
        }
        if (STREQ(s, "0") || strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0) {
                *ret = false;
                return 0;
        }
        return -EINVAL;
}

int ross_parse_unix_seconds(const char *s, int64_t min, int64_t max, double *ret)
{
        if (!s)
                return -EINVAL;
        const char *dot = strchr(s, '.');
        _cleanup_free_ char *secs = dot ? xstrndup(s, (size_t)(dot - s)) : xstrdup(s);
        int64_t v;
        if (ross_parse_i64(secs, min, max, &v) < 0)
                return -EINVAL;
        double frac = 0;
        if (dot && ross_parse_decimal(dot, 1, &frac, NULL) < 0)
                return -EINVAL;
        /* "-5.5" is 5.5 s before the epoch, not -5 + 0.5 */
        *ret = s[0] == '-' ? (double)v - frac : (double)v + frac;
        return 0;
}

double ross_parse_rfc3339(const char *s)
{
        struct tm tm = {};
        const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        if (!rest)
                return 0;
        double frac = 0;
        const char *after;
        if (*rest == '.')
                (void)ross_parse_decimal(rest, 1, &frac, &after); /* not an exponent's worth */
        return (double)timegm(&tm) + frac;
}
