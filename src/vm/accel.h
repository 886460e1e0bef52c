/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/*
 * Can this host's /dev/kvm run a stock guest kernel? A /dev/kvm that opens is not proof:
 * a nested PVM backend (kvm_pvm) runs a tiny real-mode guest but only PVM-aware kernels.
 * The probe: /dev/kvm opens, its API is 12, a VM with one vCPU runs four bytes of guest
 * code to its HLT, and (x86) the KVM module is one that runs unmodified guests (kvm_intel
 * or kvm_amd). A few milliseconds; the caller caches the answer.
 *
 * Returns true when KVM works; *ret_why (static text) says why not, or which KVM it is.
 */
bool ross_vm_kvm_usable(const char **ret_why);
