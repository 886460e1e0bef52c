/* SPDX-License-Identifier: Apache-2.0 */
/* The libkrun 1.x calls the test double exports (tests/krun/fake-libkrun.c), declared with the
 * types of libkrun's include/libkrun.h (docs/krun-abi.md has each one's release and meaning).
 * Older releases declared the string arrays as `char *const []`: the same ABI. Only the
 * double and its test include this; Ross's backend reaches libkrun through dlsym. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* in libkrun 1.0.0 */
int32_t krun_set_log_level(uint32_t level);
int32_t krun_create_ctx(void);
int32_t krun_free_ctx(uint32_t ctx_id);
int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib);
int32_t krun_set_root(uint32_t ctx_id, const char *root_path);
int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[]);
int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);
int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[]);
int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path);
int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char *const argv[],
                      const char *const envp[]);
int32_t krun_start_enter(uint32_t ctx_id);

/* added later: optional for Ross, by the release that added them */
/* 1.3.0 */
int32_t krun_set_env(uint32_t ctx_id, const char *const envp[]);

/* 1.5.0 */
int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path);

/* 1.7.0 */
int32_t krun_set_passt_fd(uint32_t ctx_id, int fd);

/* 1.8.0 */
int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path);
int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath);
int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path);
int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac);
int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags);
int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/* 1.9.1 */
int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[]);

/* 1.9.5 */
int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
                           uint64_t shm_size);
int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size);
int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path, bool read_only);

/* 1.10.0 */
int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath, bool listen);
int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
                       uint32_t disk_format, bool read_only);

/* 1.11.0 */
int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format,
                        const char *initramfs, const char *cmdline);
int32_t krun_setuid(uint32_t ctx_id, uid_t uid);
int32_t krun_setgid(uint32_t ctx_id, gid_t gid);
int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled);

/* 1.12.0 */
int32_t krun_split_irqchip(uint32_t ctx_id, bool enable);
int32_t krun_check_nested_virt(void);

/* 1.13.0 */
int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options);

/* 1.15.0 */
int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd, uint8_t *const c_mac,
                                uint32_t features, uint32_t flags);

int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac, uint32_t features,
                         uint32_t flags);

/* 1.16.0 */
int32_t krun_get_max_vcpus(void);
int32_t krun_disable_implicit_console(uint32_t ctx_id);
int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd, int err_fd);
int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd);
int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id);

/* 1.17.0 */
int32_t krun_add_virtio_console_multiport(uint32_t ctx_id);
int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id, const char *name,
                                  int tty_fd);
int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id, const char *name,
                                    int input_fd, int output_fd);
int32_t krun_disable_implicit_vsock(uint32_t ctx_id);
int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features);
int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
                       uint32_t disk_format, bool read_only, bool direct_io, uint32_t sync_mode);

/* 1.17.3 */
int32_t krun_has_feature(uint64_t feature);

/* 1.18.0 */
int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path,
                           uint64_t shm_size, bool read_only);

/* 1.19.0 */
int32_t krun_disable_implicit_init(uint32_t ctx_id);
