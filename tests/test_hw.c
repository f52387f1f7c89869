/* The hardware layer without the hardware: a stub NVML, fake /proc and /sys
 * roots, lavapipe for Vulkan, and described machines. */
#include <dlfcn.h>
#include <glob.h>
#include <hwloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli_run.h"
#include "cli/hw_options.h"
#include "hw/detect.h"
#include "hw/gpu_spec.h"
#include "memory/device.h"
#include "hw/gpu_table.h"
#include "hw/hw_json.h"
#include "memory/mem.h"

#define ROOT_AMD GP_HW_DATA "/amd"
#define ROOT_BAD GP_HW_DATA "/bad"

/* ---- helpers ------------------------------------------------------------- */

static void env_reset(const char *root)
{
    static const char *vars[] = {"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "HIP_VISIBLE_DEVICES",
                                 "ROCR_VISIBLE_DEVICES", "GGML_VK_VISIBLE_DEVICES", "STUB_NVML_MODE",
                                 "VK_ICD_FILENAMES", "VK_DRIVER_FILES"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("GGPLACE_NVML_LIB", "off", 1);
    setenv("GGPLACE_VULKAN_LIB", "off", 1);
    if (root)
        setenv("GGPLACE_SYSROOT", root, 1);
    else
        unsetenv("GGPLACE_SYSROOT");
}

static int teardown_env(void **state)
{
    (void)state;
    env_reset(NULL);
    return 0;
}

static const gp_device *find(const gp_devices *d, const char *name)
{
    int i = gp_devices_find_buft(d, name);
    return i < 0 ? NULL : &d->dev[i];
}

static bool has_note(const gp_devices *d, const char *needle)
{
    for (uint32_t i = 0; i < d->n_notes; i++)
        if (strstr(d->notes[i], needle))
            return true;
    return false;
}

static void assert_note(const gp_devices *d, const char *needle)
{
    if (!has_note(d, needle)) {
        for (uint32_t i = 0; i < d->n_notes; i++)
            print_message("note: %s\n", d->notes[i]);
        fail_msg("no note contains '%s'", needle);
    }
}

typedef cli_result run_result;

/* The command itself, argv[0] being "devices", as gp_cli_main passes it. */
#define RUN(...) cli_run(gp_cmd_devices, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                     (const char *[]){__VA_ARGS__})

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- described GPUs ------------------------------------------------------ */

static void test_gpu_specs(void **state)
{
    (void)state;
    gp_devices d;
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "24GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "RTX 4090", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "RTX 3090:20GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "ROCm:16GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "2x8GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "MI300X", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "Vulkan:My iGPU:2GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "CUDA1:12GiB", NULL), GP_OK);
    assert_int_equal(d.n, 10);
    const gp_device *x = find(&d, "CUDA0");
    assert_non_null(x);
    assert_int_equal(x->total, 24ULL << 30);
    assert_true(x->described);
    assert_string_equal(x->model, "");
    x = find(&d, "CUDA1");
    assert_string_equal(x->model, "RTX 4090");
    assert_int_equal(x->total, 24ULL << 30);
    assert_true(x->bandwidth_gbs == 1008.0);
    assert_int_equal(x->pcie_gen, 4);
    assert_int_equal(x->pcie_width, 16);
    assert_string_equal(x->arch, "8.9");
    x = find(&d, "CUDA2");
    assert_string_equal(x->model, "RTX 3090");
    assert_int_equal(x->total, 20ULL << 30);
    assert_true(x->bandwidth_gbs == 936.0);
    assert_int_equal(find(&d, "ROCm0")->total, 16ULL << 30);
    assert_int_equal(find(&d, "CUDA3")->total, 8ULL << 30);
    assert_int_equal(find(&d, "CUDA4")->total, 8ULL << 30);
    x = find(&d, "ROCm1");
    assert_string_equal(x->model, "MI300X");
    assert_int_equal(x->total, 192ULL << 30);
    assert_string_equal(x->arch, "gfx942");
    x = find(&d, "Vulkan0");
    assert_string_equal(x->model, "My iGPU");
    assert_int_equal(x->kind, GP_DEV_VULKAN);
    assert_int_equal(find(&d, "CUDA5")->total, 12ULL << 30);

    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "4xRTX 3090", NULL), GP_OK);
    assert_int_equal(d.n, 5);
    assert_string_equal(d.dev[4].name, "CUDA3");
    assert_string_equal(d.dev[4].model, "RTX 3090");

    static const char *bad[] = {"lots", "0GiB", "Foo", "CUDA", "20x24GiB", "0x24GiB", ":24GiB",
                                "RTX 4090:lots", "", "Metal:8GiB:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gp_error err = {0};
        gp_devices_init(&d);
        if (gp_devices_add_gpu_spec(&d, bad[i], &err) != GP_ERR_ARG)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err.message, "--gpu"));
        assert_int_equal(d.n, 1);
    }
    /* A size gone wrong is named as one, never offered as a card's name. */
    static const char *bad_size[] = {"-5GiB", "+5GiB", "24", ".5"};
    for (size_t i = 0; i < sizeof bad_size / sizeof bad_size[0]; i++) {
        gp_error err = {0};
        gp_devices_init(&d);
        assert_int_equal(gp_devices_add_gpu_spec(&d, bad_size[i], &err), GP_ERR_ARG);
        if (!strstr(err.message, "is not a size") || strstr(err.message, "e.g."))
            fail_msg("'%s': %s", bad_size[i], err.message);
    }
    /* A bare number is a card, not bytes. */
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "3090", NULL), GP_OK);
    assert_int_equal(d.dev[1].total, 24ULL << 30);
    gp_devices_init(&d);
    gp_error err = {0};
    assert_int_equal(gp_devices_add_gpu_spec(&d, "Metal:64GiB", NULL), GP_OK);
    assert_string_equal(d.dev[1].name, "Metal");
    assert_int_equal(gp_devices_add_gpu_spec(&d, "Metal:64GiB", &err), GP_ERR_ARG);
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "15x1GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "1GiB", &err), GP_ERR_ARG);
    assert_non_null(strstr(err.message, "at most"));
}

static void test_gpu_table(void **state)
{
    (void)state;
    static const struct { const char *query, *name; } cases[] = {
        {"NVIDIA GeForce RTX 4090", "RTX 4090"}, {"rtx-4090", "RTX 4090"}, {"4090", "RTX 4090"},
        {"AMD Radeon RX 7900 XTX", "RX 7900 XTX"}, {"Tesla T4", "T4"}, {"NVIDIA H100 80GB HBM3", "H100 SXM"},
        {"NVIDIA A100-SXM4-80GB", "A100 SXM 80GB"}, {"NVIDIA H100 PCIe", "H100 PCIe"},
        {"AMD Instinct MI300X", "MI300X"}, {"rtx 3090 ti", "RTX 3090 Ti"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const gp_gpu_model *g = gp_gpu_table_find(cases[i].query);
        if (!g || strcmp(g->name, cases[i].name) != 0)
            fail_msg("'%s' -> %s, expected %s", cases[i].query, g ? g->name : "nothing", cases[i].name);
    }
    assert_null(gp_gpu_table_find("NVIDIA"));
    assert_null(gp_gpu_table_find("RTX 9999"));
    size_t n;
    const gp_gpu_model *t = gp_gpu_table(&n);
    for (size_t i = 0; i < n; i++) {
        /* Every entry is reachable by its own name and sane. */
        assert_ptr_equal(gp_gpu_table_find(t[i].name), &t[i]);
        assert_true(t[i].memory_gib > 0 && t[i].bandwidth_gbs > 0 && t[i].tflops > 0);
        /* a discrete card's host link; Apple's GPUs share the memory */
        assert_true(t[i].kind == GP_DEV_METAL ? t[i].pcie_gen == 0 : t[i].pcie_gen >= 3);
    }
}

static void test_rpc(void **state)
{
    (void)state;
    gp_devices d;
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "24GiB", NULL), GP_OK);
    assert_int_equal(gp_devices_add_rpc(&d, "192.168.1.2:50052", 16ULL << 30, NULL), GP_OK);
    assert_int_equal(gp_devices_add_rpc(&d, "localhost:50053", 8ULL << 30, NULL), GP_OK);
    assert_int_equal(d.n, 4);
    /* llama.cpp lists RPC servers before local GPUs, in the order given. */
    assert_string_equal(d.dev[0].name, "CPU");
    assert_string_equal(d.dev[1].name, "RPC0[192.168.1.2:50052]");
    assert_string_equal(d.dev[2].name, "RPC0[localhost:50053]");
    assert_string_equal(d.dev[3].name, "CUDA0");
    assert_int_equal(d.dev[1].kind, GP_DEV_RPC);
    assert_true(gp_device_is_gpu(&d.dev[1]));
    assert_false(gp_device_op_offload(&d.dev[1]));
    assert_int_equal(gp_devices_find_buft(&d, "RPC[localhost:50053]"), 2);
    gp_error err = {0};
    assert_int_equal(gp_devices_add_rpc(&d, "localhost:50053", 1, &err), GP_ERR_ARG);
    assert_non_null(strstr(err.message, "twice"));
    assert_int_equal(gp_devices_add_rpc(&d, "localhost", 1, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_add_rpc(&d, "localhost:http", 1, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_add_rpc(&d, "localhost:70000", 1, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_add_rpc(&d, ":5", 1, &err), GP_ERR_ARG);
    assert_int_equal(d.n, 4);
}

/* ---- NVML stub ----------------------------------------------------------- */

static void detect_with_stub(gp_devices *d, const char *mode)
{
    setenv("GGPLACE_NVML_LIB", GP_STUB_NVML, 1);
    if (mode)
        setenv("STUB_NVML_MODE", mode, 1);
    gp_devices_detect(d);
}

static void assert_4090(const gp_device *x)
{
    assert_non_null(x);
    assert_int_equal(x->kind, GP_DEV_CUDA);
    assert_string_equal(x->model, "NVIDIA GeForce RTX 4090");
    assert_string_equal(x->uuid, "GPU-4090bbbb-6666-7777-8888-999900001111");
    assert_string_equal(x->pci_bus_id, "0000:41:00.0");
    assert_int_equal(x->total, 25757220864ULL);
    assert_int_equal(x->free, 25314721792ULL);
    assert_true(x->bandwidth_gbs == 1008.1); /* 10501 MHz x 2 x 384 bit */
    assert_int_equal(x->pcie_gen, 4);
    assert_int_equal(x->pcie_width, 8);
    assert_string_equal(x->arch, "8.9");
    assert_false(x->described);
}

static void assert_3090(const gp_device *x)
{
    assert_non_null(x);
    assert_string_equal(x->model, "NVIDIA GeForce RTX 3090");
    assert_string_equal(x->uuid, "GPU-3090aaaa-0000-1111-2222-333344445555");
    assert_string_equal(x->pci_bus_id, "0000:01:00.0");
    assert_int_equal(x->total, 25769803776ULL);
    assert_int_equal(x->free, 25125126144ULL);
    assert_true(x->bandwidth_gbs == 936.1);
    assert_int_equal(x->pcie_width, 16);
    assert_string_equal(x->arch, "8.6");
}

static void test_nvml_stub(void **state)
{
    (void)state;
    gp_devices d;
    env_reset(ROOT_AMD);
    detect_with_stub(&d, NULL);
    /* CUDA's default order puts the newer card first. */
    assert_int_equal(d.n, 4);
    assert_string_equal(d.dev[1].name, "CUDA0");
    assert_4090(&d.dev[1]);
    assert_string_equal(d.dev[2].name, "CUDA1");
    assert_3090(&d.dev[2]);
    assert_string_equal(d.dev[3].name, "ROCm0");
    assert_note(&d, "CUDA_DEVICE_ORDER=PCI_BUS_ID");

    setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 1);
    detect_with_stub(&d, NULL);
    assert_3090(find(&d, "CUDA0"));
    assert_4090(find(&d, "CUDA1"));
    assert_false(has_note(&d, "CUDA_DEVICE_ORDER"));

    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    detect_with_stub(&d, NULL);
    assert_4090(find(&d, "CUDA0"));
    assert_null(find(&d, "CUDA1"));
    assert_note(&d, "hides 1 of 2");

    setenv("CUDA_VISIBLE_DEVICES", "GPU-4090,GPU-3090aaaa", 1);
    detect_with_stub(&d, NULL);
    assert_4090(find(&d, "CUDA0"));
    assert_3090(find(&d, "CUDA1"));

    /* The runtime stops at the first entry that names no device. */
    setenv("CUDA_VISIBLE_DEVICES", "0,7,1", 1);
    detect_with_stub(&d, NULL);
    assert_3090(find(&d, "CUDA0"));
    assert_null(find(&d, "CUDA1"));
    assert_note(&d, "'7' names no device");

    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    detect_with_stub(&d, NULL);
    assert_null(find(&d, "CUDA0"));
    /* HIP honours CUDA_VISIBLE_DEVICES too. */
    assert_null(find(&d, "ROCm0"));
}

static void test_nvml_errors(void **state)
{
    (void)state;
    gp_devices d;
    env_reset(ROOT_AMD);
    detect_with_stub(&d, "init_fail");
    assert_null(find(&d, "CUDA0"));
    assert_note(&d, "Driver Not Loaded");

    detect_with_stub(&d, "count_fail");
    assert_null(find(&d, "CUDA0"));
    assert_note(&d, "cannot count");

    detect_with_stub(&d, "mem_fail");
    assert_3090(find(&d, "CUDA0"));
    assert_null(find(&d, "CUDA1"));
    assert_note(&d, "memory unknown");

    detect_with_stub(&d, "garbage");
    assert_3090(find(&d, "CUDA0"));
    assert_null(find(&d, "CUDA1"));
    assert_note(&d, "implausible");

    detect_with_stub(&d, "bare");
    const gp_device *x = find(&d, "CUDA1");
    assert_non_null(x);
    assert_string_equal(x->model, "");
    assert_int_equal(x->total, 25757220864ULL);
    assert_true(x->bandwidth_gbs == 0);

    unsetenv("STUB_NVML_MODE");
    setenv("GGPLACE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    gp_devices_detect(&d);
    assert_null(find(&d, "CUDA0"));
    assert_note(&d, "cannot load");

    /* A library without NVML's functions. */
    setenv("GGPLACE_NVML_LIB", "libm.so.6", 1);
    gp_devices_detect(&d);
    assert_null(find(&d, "CUDA0"));
    assert_note(&d, "lacks");
}

/* ---- fake /proc and /sys ------------------------------------------------- */

static void test_fake_root(void **state)
{
    (void)state;
    gp_devices d;
    env_reset(ROOT_AMD);
    gp_devices_detect(&d);
    assert_int_equal(d.n, 2);
    const gp_device *x = find(&d, "ROCm0");
    assert_non_null(x);
    assert_int_equal(x->kind, GP_DEV_ROCM);
    assert_string_equal(x->model, "AMD Radeon RX 7900 XTX");
    assert_int_equal(x->total, 25753026560ULL);
    assert_int_equal(x->free, 25753026560ULL - 1073741824ULL);
    assert_string_equal(x->pci_bus_id, "0000:03:00.0");
    assert_int_equal(x->pcie_gen, 4);
    assert_int_equal(x->pcie_width, 16);
    assert_string_equal(x->arch, "gfx1100");
    assert_true(x->bandwidth_gbs == 960.0);

    const gp_device *cpu = &d.dev[0];
    const gp_cpu_info *c = &cpu->cpu;
    assert_string_equal(cpu->model, "Test CPU 8-Core");
    assert_int_equal(c->packages, 2);
    assert_int_equal(c->cores, 8);
    assert_int_equal(c->threads, 16);
    assert_int_equal(c->numa_nodes, 2);
    assert_int_equal(c->cache[GP_CACHE_L1D].size, 32768);
    assert_int_equal(c->cache[GP_CACHE_L1D].count, 8);
    assert_int_equal(c->cache[GP_CACHE_L2].size, 4194304);
    assert_int_equal(c->cache[GP_CACHE_L3].size, 16777216);
    assert_int_equal(c->cache[GP_CACHE_L3].count, 2);
    assert_string_equal(c->simd, "sse3 ssse3 sse4_1 sse4_2 avx f16c fma avx2 avx512f avx512bw avx512vl "
                                 "avx512_vnni avx512_bf16");
    assert_int_equal(c->ram_total, 65536000ULL * 1024);
    assert_int_equal(c->ram_available, 50000000ULL * 1024);
    /* The container's cgroup caps what llama.cpp may use. */
    assert_int_equal(c->cgroup_limit, 16ULL << 30);
    assert_int_equal(c->cgroup_usage, 2ULL << 30);
    assert_int_equal(cpu->total, 16ULL << 30);
    assert_int_equal(cpu->free, 14ULL << 30);
    assert_note(&d, "cgroup limits memory");

    setenv("HIP_VISIBLE_DEVICES", "1", 1);
    gp_devices_detect(&d);
    assert_null(find(&d, "ROCm0"));
    assert_note(&d, "HIP_VISIBLE_DEVICES");
    unsetenv("HIP_VISIBLE_DEVICES");
    setenv("ROCR_VISIBLE_DEVICES", "0", 1);
    gp_devices_detect(&d);
    assert_non_null(find(&d, "ROCm0"));
}

static void test_malformed_root(void **state)
{
    (void)state;
    gp_devices d;
    env_reset(ROOT_BAD);
    gp_devices_detect(&d);
    /* Nothing readable about RAM or topology: notes, not failures. */
    assert_int_equal(d.dev[0].total, 0);
    assert_int_equal(d.dev[0].cpu.cores, 0);
    assert_int_equal(d.dev[0].cpu.cgroup_limit, 0);
    assert_note(&d, "MemTotal");
    assert_note(&d, "hwloc");
    assert_note(&d, "not a number");
    assert_note(&d, "mem_info_vram_total");
    assert_note(&d, "mem_info_vram_used");
    /* card1 is usable despite its odd files; card0 and card2 are not. */
    const gp_device *x = find(&d, "ROCm0");
    assert_non_null(x);
    assert_int_equal(x->total, 1000);
    assert_int_equal(x->free, 1000);
    assert_int_equal(x->pcie_gen, 5);
    assert_int_equal(x->pcie_width, 0);
    assert_string_equal(x->arch, "");
    assert_null(find(&d, "ROCm1"));

    /* A root with nothing at all. */
    env_reset(GP_HW_DATA "/does-not-exist");
    gp_devices_detect(&d);
    assert_int_equal(d.n, 1);
    assert_note(&d, "/proc/meminfo");
    assert_note(&d, "no GPU detected");
}

/* ---- this machine -------------------------------------------------------- */

static uint64_t meminfo_kib(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    assert_non_null(f);
    char line[256];
    uint64_t v = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
            v = strtoull(line + strlen(key) + 1, NULL, 10);
    fclose(f);
    return v;
}

static void test_this_machine(void **state)
{
    (void)state;
    env_reset(NULL);
    gp_devices d;
    gp_devices_detect(&d);
    const gp_cpu_info *c = &d.dev[0].cpu;
    assert_int_equal(c->ram_total, meminfo_kib("MemTotal") * 1024);
    assert_true(c->ram_available > 0 && c->ram_available <= c->ram_total);
    if (c->cgroup_limit && c->cgroup_limit < c->ram_total)
        assert_int_equal(d.dev[0].total, c->cgroup_limit);
    else
        assert_int_equal(d.dev[0].total, c->ram_total);
    hwloc_topology_t t;
    assert_int_equal(hwloc_topology_init(&t), 0);
    assert_int_equal(hwloc_topology_load(t), 0);
    assert_int_equal(c->cores, (uint32_t)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE));
    assert_int_equal(c->threads, (uint32_t)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU));
    hwloc_topology_destroy(t);
    assert_true(c->threads >= c->cores && c->cores > 0);
}

static void test_vulkan_lavapipe(void **state)
{
    (void)state;
    env_reset(ROOT_AMD);
    glob_t g;
    bool icd = glob("/usr/share/vulkan/icd.d/lvp_icd*.json", 0, NULL, &g) == 0 && g.gl_pathc > 0;
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!icd || !lib) {
        if (icd)
            globfree(&g);
        print_message("skipped: %s absent (apt-get install libvulkan1 mesa-vulkan-drivers)\n",
                      lib ? "lavapipe" : "libvulkan.so.1");
        skip();
    }
    setenv("VK_ICD_FILENAMES", g.gl_pathv[0], 1);
    setenv("VK_DRIVER_FILES", g.gl_pathv[0], 1);
    globfree(&g);
    unsetenv("GGPLACE_VULKAN_LIB");
    /* Mesa keeps a one-time allocation for the life of the process, which
     * LeakSanitizer would blame on this test: detect in a child that leaves
     * with _exit, and report through the exit status. */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gp_devices d;
        gp_devices_detect(&d);
        int code = 0;
        code |= gp_devices_count_kind(&d, GP_DEV_VULKAN) == 0 ? 1 : 0;
        code |= has_note(&d, "software rasterizer") ? 2 : 0;
        code |= has_note(&d, "llvmpipe") ? 4 : 0;
        for (uint32_t i = 0; i < d.n_notes; i++)
            printf("note: %s\n", d.notes[i]);
        /* Even when asked for by index. */
        setenv("GGML_VK_VISIBLE_DEVICES", "0", 1);
        gp_devices_detect(&d);
        code |= gp_devices_count_kind(&d, GP_DEV_VULKAN) == 0 ? 8 : 0;
        setenv("GGPLACE_VULKAN_LIB", "/nonexistent/libvulkan.so.1", 1);
        gp_devices_detect(&d);
        code |= has_note(&d, "Vulkan: cannot load") ? 16 : 0;
        fflush(NULL);
        _exit(code);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 31);
}

/* ---- JSON ---------------------------------------------------------------- */

static void assert_round_trip(const gp_devices *d)
{
    char *a = NULL, *b = NULL;
    assert_int_equal(gp_devices_to_json(d, &a, NULL), GP_OK);
    gp_devices back;
    gp_error err = {0};
    if (gp_devices_from_json(a, "json", &back, &err) != GP_OK)
        fail_msg("%s\n%s", err.message, a);
    assert_int_equal(gp_devices_to_json(&back, &b, NULL), GP_OK);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    gp_devices d;
    env_reset(ROOT_AMD);
    detect_with_stub(&d, NULL);
    assert_round_trip(&d);
    env_reset(NULL);
    gp_devices_detect(&d);
    assert_round_trip(&d);
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "RTX 4080", NULL), GP_OK);
    assert_int_equal(gp_devices_add_rpc(&d, "[::1]:50052", 1ULL << 40, NULL), GP_OK);
    assert_round_trip(&d);

    /* Exact integers beyond 2^32, the schema's keys. */
    char *s = NULL;
    env_reset(ROOT_AMD);
    detect_with_stub(&d, NULL);
    assert_int_equal(gp_devices_to_json(&d, &s, NULL), GP_OK);
    assert_non_null(strstr(s, "\"memory\":\t25757220864"));
    assert_non_null(strstr(s, "\"bandwidth_gbs\":\t1008.1"));
    assert_non_null(strstr(s, "\"name\":\t\"ROCm0\""));
    assert_non_null(strstr(s, "\"cgroup_limit\":\t17179869184"));
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    cJSON *cpu = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 0), "cpu");
    assert_int_equal(cJSON_GetObjectItem(cpu, "cores")->valueint, 8);
    assert_int_equal(cJSON_GetObjectItem(cpu, "numa_nodes")->valueint, 2);
    cJSON_Delete(j);
    free(s);
}

static void test_json_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "[]",
        "{\"devices\": 3}",
        "{\"devices\": []}",
        "{\"notes\": []}",
        "{\"devices\": [{\"name\": \"CUDA0\", \"kind\": \"cuda\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CPU\", \"kind\": \"cpu\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memroy\": 5}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}], \"extra\": 1}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"gpu\"}]}",
        "{\"devices\": [{\"name\": \"CPU\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"GPU0\", \"kind\": \"cuda\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"rocm\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"RPC[x]\", \"kind\": \"rpc\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memory\": -1}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memory\": 1.5}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memory\": 1e300}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memory\": \"8GiB\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"memory\": 1, \"free\": 2}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"described\": 1}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"cpu\": {\"cores\": -2}}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"cpu\": {\"caches\": {\"l4\": {}}}}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"cpu\": {\"simd\": [\"a b\"]}}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"cpu\": {\"simd\": \"avx\"}}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"cuda\", "
        "\"cpu\": {}}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"cuda\"}, "
        "{\"name\": \"CUDA0\", \"kind\": \"cuda\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"model\": "
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}], \"notes\": [1]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"bandwidth_gbs\": -3}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"cuda\", "
        "\"tflops\": \"many\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"cuda\", "
        "\"tflops\": -1}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}, {\"name\": \"CUDA0\", \"kind\": \"cuda\", "
        "\"pcie_gen\": 99}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\", \"model\": \"a\\u0001b\"}]}",
        "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gp_devices d;
        gp_devices_init(&d);
        gp_error err = {0};
        if (gp_devices_from_json(bad[i], "rig.json", &d, &err) != GP_ERR_FORMAT)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(err.file, "rig.json");
        assert_true(err.message[0] != 0);
    }
    /* Seventeen devices are more than a list holds. */
    char big[4096] = "{\"devices\": [{\"name\": \"CPU\", \"kind\": \"cpu\"}";
    for (int i = 0; i < 16; i++) {
        char one[96];
        snprintf(one, sizeof one, ", {\"name\": \"CUDA%d\", \"kind\": \"cuda\"}", i);
        strcat(big, one);
    }
    strcat(big, "]}");
    gp_devices d;
    gp_error err = {0};
    assert_int_equal(gp_devices_from_json(big, "big", &d, &err), GP_ERR_FORMAT);
    assert_non_null(strstr(err.message, "at most"));
}

/* ---- the command --------------------------------------------------------- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ggplace-hw-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    env_reset(NULL);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_cli_devices(void **state)
{
    (void)state;
    env_reset(ROOT_AMD);
    setenv("GGPLACE_NVML_LIB", GP_STUB_NVML, 1);
    run_result *r = RUN("devices");
    assert_int_equal(r->rc, 0);
    assert_string_equal(r->err, "");
    assert_non_null(strstr(r->out, "CUDA0"));
    assert_non_null(strstr(r->out, "NVIDIA GeForce RTX 4090"));
    assert_non_null(strstr(r->out, "1008 GB/s"));
    assert_non_null(strstr(r->out, "ROCm0"));
    assert_non_null(strstr(r->out, "2 packages, 8 physical cores, 16 threads, 2 NUMA nodes"));
    assert_non_null(strstr(r->out, "cgroup limit 16.00 GiB"));

    /* Saved on one machine, loaded anywhere: the same bytes. */
    r = RUN("devices", "--json");
    assert_int_equal(r->rc, 0);
    char path[128], first[1 << 16];
    snprintf(path, sizeof path, "%s/rig.json", tmpdir);
    write_file(path, r->out);
    snprintf(first, sizeof first, "%s", r->out);
    env_reset(NULL);
    r = RUN("devices", "--hw", path, "--json");
    assert_int_equal(r->rc, 0);
    assert_string_equal(r->out, first);

    /* Described machines, and the file plus more devices. */
    r = RUN("devices", "--no-detect", "--ram", "64GiB", "--cpu-cores", "16", "--gpu", "2xRTX 3090",
            "--rpc", "10.0.0.2:50052=24GiB", "--json");
    assert_int_equal(r->rc, 0);
    cJSON *j = cJSON_Parse(r->out);
    assert_non_null(j);
    cJSON *devs = cJSON_GetObjectItem(j, "devices");
    assert_int_equal(cJSON_GetArraySize(devs), 4);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(devs, 1), "name")->valuestring,
                        "RPC0[10.0.0.2:50052]");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(devs, 3), "name")->valuestring, "CUDA1");
    assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(devs, 0), "memory")->valuedouble == 68719476736.0);
    cJSON_Delete(j);
    r = RUN("devices", "--hw", path, "--gpu", "24GiB", "--ram=32GiB");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "CUDA2"));
    assert_non_null(strstr(r->out, "32.00 GiB"));

    /* Usage errors: exit 2, one line. */
    static const char *usage[][4] = {
        {"devices", "--frobnicate", NULL, NULL}, {"devices", "--gpu", NULL, NULL},
        {"devices", "--gpu", "lots", NULL},     {"devices", "--ram", "1GiB", "--ram=2GiB"},
        {"devices", "--rpc", "host=1GiB", NULL}, {"devices", "--rpc", "h:1=1GiB", "--rpc=h:1=2GiB"},
        {"devices", "--cpu-cores", "0", NULL},   {"devices", "--hw", "a.json", "--hw=b.json"},
        {"devices", "--cpu-cores", "4x", NULL},  {"devices", "--ram", "", NULL},
        {"devices", "--cpu-bandwidth", "0", NULL}, {"devices", "--cpu-bandwidth", "fast", NULL},
        {"devices", "--cpu-bandwidth", "80GB", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        int argc = 0;
        while (argc < 4 && usage[i][argc])
            argc++;
        r = cli_run(gp_cmd_devices, argc, (const char **)usage[i]);
        if (r->rc != GP_EXIT_USAGE)
            fail_msg("%s %s: rc %d", usage[i][1], usage[i][2] ? usage[i][2] : "", r->rc);
        assert_true(strncmp(r->err, "ggplace: devices: ", 18) == 0);
        assert_non_null(strchr(r->err, '\n'));
        assert_int_equal(strchr(r->err, '\n')[1], 0);
    }
    /* Unusable files: exit 1. */
    r = RUN("devices", "--hw", "/nonexistent/rig.json");
    assert_int_equal(r->rc, GP_EXIT_FAIL);
    assert_non_null(strstr(r->err, "/nonexistent/rig.json"));
    write_file(path, "{\"devices\": [{\"name\": \"CUDA0\", \"kind\": \"cuda\"}]}");
    r = RUN("devices", "--hw", path);
    assert_int_equal(r->rc, GP_EXIT_FAIL);
    assert_non_null(strstr(r->err, "CPU must come first"));
    /* The file already has this server: a contradiction. */
    r = RUN("devices", "--no-detect", "--rpc", "h:1=1GiB", "--json");
    write_file(path, r->out);
    r = RUN("devices", "--hw", path, "--rpc", "h:1=1GiB");
    assert_int_equal(r->rc, GP_EXIT_USAGE);
    assert_non_null(strstr(r->err, "twice"));
}

/* Described hardware feeds the memory model: RPC servers take the first
 * layers, as in llama.cpp. */
static void test_options_feed_mem(void **state)
{
    (void)state;
    const char *argv[] = {"x", "--no-detect", "--ram", "64GiB", "--rpc", "10.0.0.2:50052=24GiB",
                          "--gpu", "RTX 4090"};
    int argc = (int)(sizeof argv / sizeof argv[0]);
    gp_hw_options o;
    gp_hw_options_init(&o);
    gp_error err = {0};
    for (int i = 1; i < argc;)
        assert_int_equal(gp_hw_options_parse(&o, argc, (char **)argv, &i, &err), 1);
    gp_devices *resolved = NULL;
    assert_int_equal(gp_hw_options_resolve(&o, &resolved, &err), GP_OK);
    gp_devices d = *resolved;
    gp_devices_close(&resolved);
    assert_null(resolved);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.dev[0].total, 64ULL << 30);
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf", &m, &err), GP_OK);
    gp_run_params p;
    gp_run_params_default(&p, GP_APP_SERVER);
    p.n_gpu_layers = GP_NGL_ALL;
    gp_mem_result r;
    if (gp_mem_estimate(m, &p, &d, &r, &err) != GP_OK)
        fail_msg("%s", err.message);
    assert_int_equal(r.n_devices, 3);
    assert_true(r.dev[1].model > 0 && r.dev[2].model > 0);
    /* The output layer counts as the last one: it is on the local GPU. */
    assert_int_equal(r.placement.output_dev, 2);
    gp_mem_result_free(&r);
    gp_model_close(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpu_specs),
        cmocka_unit_test(test_gpu_table),
        cmocka_unit_test(test_rpc),
        cmocka_unit_test_teardown(test_nvml_stub, teardown_env),
        cmocka_unit_test_teardown(test_nvml_errors, teardown_env),
        cmocka_unit_test_teardown(test_fake_root, teardown_env),
        cmocka_unit_test_teardown(test_malformed_root, teardown_env),
        cmocka_unit_test_teardown(test_this_machine, teardown_env),
        cmocka_unit_test_teardown(test_vulkan_lavapipe, teardown_env),
        cmocka_unit_test_teardown(test_json_round_trip, teardown_env),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test_setup_teardown(test_cli_devices, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_options_feed_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
