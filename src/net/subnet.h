/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * IPv4 subnets and addresses, host byte order: what the network model and the address
 * allocator compute with. (IPv6 networks are not made yet.)
 */
typedef struct RossSubnet {
        uint32_t addr; /* the network address (host bits zero) */
        unsigned prefix;
} RossSubnet;

/* "a.b.c.d" into *ret; -EINVAL if it is not one. */
int ross_ip4_parse(const char *s, uint32_t *ret);
/* Into buf (16 bytes at least). */
char *ross_ip4_format(uint32_t a, char buf[static 16]);
/* An interface's address with its prefix, "a.b.c.d/n" (host bits set, as netavark reports
 * one): -EINVAL if it is not one; the outputs are written only on success. */
int ross_ip4_prefix_parse(const char *s, uint32_t *ret_addr, unsigned *ret_prefix);
/* "a.b.c.d/n": -EINVAL if not one, -EDOM if host bits are set (Docker refuses those too). */
int ross_subnet_parse(const char *s, RossSubnet *ret);
char *ross_subnet_format(const RossSubnet *s, char buf[static 19]);
uint32_t ross_subnet_mask(const RossSubnet *s);
bool ross_subnet_contains(const RossSubnet *s, uint32_t a);
bool ross_subnet_overlaps(const RossSubnet *a, const RossSubnet *b);
/* The first and last address a container may have: not the network or broadcast address. */
uint32_t ross_subnet_first(const RossSubnet *s);
uint32_t ross_subnet_last(const RossSubnet *s);
