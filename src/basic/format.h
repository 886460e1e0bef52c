/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Docker's units.HumanSize: decimal units, three significant digits ("1.23MB", "512B"). */
void ross_format_size(double bytes, char *buf, size_t n);
/* Docker's units.BytesSize: binary units, four significant digits ("1.5MiB", "7.645GiB"). */
void ross_format_bytes(double bytes, char *buf, size_t n);
