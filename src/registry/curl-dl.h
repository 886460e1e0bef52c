/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Why libcurl could not be loaded (curl-dl.c), or NULL once it is. */
const char *ross_curl_load_error(void);
