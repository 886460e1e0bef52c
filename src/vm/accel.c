/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../basic/macros.h"
#include "accel.h"

/* Four bytes of real-mode code at guest address 0x1000 run to their HLT. */
static bool runs_a_guest(int kvm, const char **ret_why)
{
        static const unsigned char code[] = {0x90, 0x90, 0x90, 0xf4}; /* nop nop nop hlt */
        _cleanup_close_ int vm = ioctl(kvm, KVM_CREATE_VM, 0);
        if (vm < 0) {
                *ret_why = "KVM_CREATE_VM failed";
                return false;
        }
        void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
                *ret_why = "no memory for the probe";
                return false;
        }
        memcpy(mem, code, sizeof(code));
        bool ok = false;
        struct kvm_userspace_memory_region reg = {
                .slot = 0,
                .guest_phys_addr = 0x1000,
                .memory_size = 0x1000,
                .userspace_addr = (unsigned long)mem,
        };
        int vcpu = -1;
        int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        struct kvm_run *run = MAP_FAILED;
        struct kvm_sregs sregs;
        struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
        *ret_why = "a probe guest did not run to its HLT";
        if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0 ||
            (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 || size <= 0)
                goto out;
        run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
                goto out;
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
                goto out;
        for (int i = 0; i < 8 && !ok; i++) {
                if (ioctl(vcpu, KVM_RUN, 0) < 0)
                        break;
                ok = run->exit_reason == KVM_EXIT_HLT;
                if (run->exit_reason != KVM_EXIT_HLT && run->exit_reason != KVM_EXIT_INTR)
                        break;
        }
out:
        if (run != MAP_FAILED)
                munmap(run, (size_t)size);
        if (vcpu >= 0)
                close(vcpu);
        munmap(mem, 0x1000);
        return ok;
}

bool ross_vm_kvm_usable(const char **ret_why)
{
        _cleanup_close_ int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (kvm < 0) {
                *ret_why = errno == ENOENT   ? "there is no /dev/kvm"
                           : errno == EACCES ? "no permission to open /dev/kvm"
                                             : "/dev/kvm does not open";
                return false;
        }
        if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
                *ret_why = "/dev/kvm speaks another KVM API";
                return false;
        }
        if (!runs_a_guest(kvm, ret_why))
                return false;
#if defined(__x86_64__) || defined(__i386__)
        struct stat st;
        if (stat("/sys/module/kvm_intel", &st) == 0 || stat("/sys/module/kvm_amd", &st) == 0) {
                *ret_why = "KVM (hardware virtualization) works";
                return true;
        }
        *ret_why = stat("/sys/module/kvm_pvm", &st) == 0
                           ? "/dev/kvm is KVM-PVM (kvm_pvm), which runs only PVM-aware guest "
                             "kernels, not a stock one"
                           : "/dev/kvm is neither kvm_intel nor kvm_amd";
        return false;
#else
        *ret_why = "KVM works";
        return true;
#endif
}
