#include "hw/hw_json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/json.h"

static const char *cache_keys[GP_CACHE_LEVELS] = {"l1d", "l2", "l3"};

/* ---- writing ------------------------------------------------------------- */

static bool add_cpu(cJSON *o, const gp_cpu_info *c)
{
    cJSON *cpu = cJSON_AddObjectToObject(o, "cpu");
    if (!cpu)
        return false;
    bool ok = true;
    if (c->packages)
        ok = ok && gp_json_add_u64(cpu, "packages", c->packages);
    if (c->cores)
        ok = ok && gp_json_add_u64(cpu, "cores", c->cores);
    if (c->threads)
        ok = ok && gp_json_add_u64(cpu, "threads", c->threads);
    if (c->numa_nodes)
        ok = ok && gp_json_add_u64(cpu, "numa_nodes", c->numa_nodes);
    bool any_cache = false;
    for (int l = 0; l < GP_CACHE_LEVELS; l++)
        any_cache = any_cache || c->cache[l].size;
    if (any_cache) {
        cJSON *caches = cJSON_AddObjectToObject(cpu, "caches");
        ok = ok && caches;
        for (int l = 0; ok && l < GP_CACHE_LEVELS; l++) {
            if (!c->cache[l].size)
                continue;
            cJSON *lv = cJSON_AddObjectToObject(caches, cache_keys[l]);
            ok = lv && gp_json_add_u64(lv, "size", c->cache[l].size) &&
                 gp_json_add_u64(lv, "count", c->cache[l].count);
        }
    }
    if (ok && c->simd[0]) {
        cJSON *arr = cJSON_AddArrayToObject(cpu, "simd");
        char tmp[sizeof c->simd];
        snprintf(tmp, sizeof tmp, "%s", c->simd);
        char *save = NULL;
        for (char *w = strtok_r(tmp, " ", &save); ok && arr && w; w = strtok_r(NULL, " ", &save))
            ok = cJSON_AddItemToArray(arr, cJSON_CreateString(w));
        ok = ok && arr;
    }
    if (c->ram_total)
        ok = ok && gp_json_add_u64(cpu, "ram_total", c->ram_total);
    if (c->ram_available)
        ok = ok && gp_json_add_u64(cpu, "ram_available", c->ram_available);
    if (c->cgroup_limit) {
        ok = ok && gp_json_add_u64(cpu, "cgroup_limit", c->cgroup_limit);
        ok = ok && gp_json_add_u64(cpu, "cgroup_usage", c->cgroup_usage);
    }
    return ok;
}

static bool add_device(cJSON *arr, const gp_device *x)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    bool ok = cJSON_AddStringToObject(o, "name", x->name) &&
              cJSON_AddStringToObject(o, "kind", gp_device_kind_name(x->kind)) &&
              cJSON_AddStringToObject(o, "model", x->model) && gp_json_add_u64(o, "memory", x->total) &&
              gp_json_add_u64(o, "free", x->free) && cJSON_AddBoolToObject(o, "described", x->described);
    if (ok && x->uuid[0])
        ok = cJSON_AddStringToObject(o, "uuid", x->uuid);
    if (ok && x->pci_bus_id[0])
        ok = cJSON_AddStringToObject(o, "pci_bus_id", x->pci_bus_id);
    if (ok && x->bandwidth_gbs > 0)
        ok = cJSON_AddNumberToObject(o, "bandwidth_gbs", x->bandwidth_gbs);
    if (ok && x->tflops > 0)
        ok = cJSON_AddNumberToObject(o, "tflops", x->tflops);
    if (ok && x->pcie_gen)
        ok = gp_json_add_u64(o, "pcie_gen", x->pcie_gen);
    if (ok && x->pcie_width)
        ok = gp_json_add_u64(o, "pcie_width", x->pcie_width);
    if (ok && x->arch[0])
        ok = cJSON_AddStringToObject(o, "arch", x->arch);
    if (ok && x->kind == GP_DEV_CPU)
        ok = add_cpu(o, &x->cpu);
    return ok;
}

gp_status gp_devices_to_json(const gp_devices *d, char **out, gp_error *err)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *devs = root ? cJSON_AddArrayToObject(root, "devices") : NULL;
    bool ok = devs != NULL;
    for (uint32_t i = 0; ok && i < d->n; i++)
        ok = add_device(devs, &d->dev[i]);
    cJSON *notes = ok ? cJSON_AddArrayToObject(root, "notes") : NULL;
    ok = ok && notes;
    for (uint32_t i = 0; ok && i < d->n_notes; i++)
        ok = cJSON_AddItemToArray(notes, cJSON_CreateString(d->notes[i]));
    char *s = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!s)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory writing the devices as JSON");
    *out = s;
    return GP_OK;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct reader {
    const char *label;
    gp_error *err;
} reader;

static gp_status bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static gp_status bad(reader *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gp_fail(r->err, GP_ERR_FORMAT, r->label, "%s", msg);
}

static gp_status get_u64(reader *r, const cJSON *v, const char *where, uint64_t max, uint64_t *out)
{
    /* cJSON keeps numbers as doubles: integers are exact up to 2^53, far
     * beyond any memory size. */
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble != floor(v->valuedouble) || v->valuedouble > 9007199254740992.0 ||
        (uint64_t)v->valuedouble > max)
        return bad(r, "%s.%s: expected a whole number in range", where, v->string ? v->string : "?");
    *out = (uint64_t)v->valuedouble;
    return GP_OK;
}

static gp_status get_u32(reader *r, const cJSON *v, const char *where, uint32_t *out)
{
    uint64_t x = 0;
    gp_status st = get_u64(r, v, where, 1u << 20, &x);
    if (st == GP_OK)
        *out = (uint32_t)x;
    return st;
}

static gp_status get_str(reader *r, const cJSON *v, const char *where, char *out, size_t cap)
{
    if (!cJSON_IsString(v) || !v->valuestring)
        return bad(r, "%s.%s: expected a string", where, v->string ? v->string : "?");
    if (strlen(v->valuestring) >= cap)
        return bad(r, "%s.%s: too long", where, v->string ? v->string : "?");
    for (const char *p = v->valuestring; *p; p++)
        if ((unsigned char)*p < 0x20)
            return bad(r, "%s.%s: control characters are not allowed", where, v->string);
    snprintf(out, cap, "%s", v->valuestring);
    return GP_OK;
}

static gp_status read_cpu(reader *r, const cJSON *o, gp_cpu_info *c)
{
    if (!cJSON_IsObject(o))
        return bad(r, "%s.%s: expected an object", "CPU", "cpu");
    gp_status st = GP_OK;
    const cJSON *v;
    cJSON_ArrayForEach(v, o) {
        const char *k = v->string;
        if (strcmp(k, "packages") == 0)
            st = get_u32(r, v, "cpu", &c->packages);
        else if (strcmp(k, "cores") == 0)
            st = get_u32(r, v, "cpu", &c->cores);
        else if (strcmp(k, "threads") == 0)
            st = get_u32(r, v, "cpu", &c->threads);
        else if (strcmp(k, "numa_nodes") == 0)
            st = get_u32(r, v, "cpu", &c->numa_nodes);
        else if (strcmp(k, "ram_total") == 0)
            st = get_u64(r, v, "cpu", UINT64_MAX, &c->ram_total);
        else if (strcmp(k, "ram_available") == 0)
            st = get_u64(r, v, "cpu", UINT64_MAX, &c->ram_available);
        else if (strcmp(k, "cgroup_limit") == 0)
            st = get_u64(r, v, "cpu", UINT64_MAX, &c->cgroup_limit);
        else if (strcmp(k, "cgroup_usage") == 0)
            st = get_u64(r, v, "cpu", UINT64_MAX, &c->cgroup_usage);
        else if (strcmp(k, "caches") == 0) {
            if (!cJSON_IsObject(v))
                return bad(r, "%s.%s: expected an object", "cpu", "caches");
            const cJSON *lv;
            cJSON_ArrayForEach(lv, v) {
                int l = -1;
                for (int i = 0; i < GP_CACHE_LEVELS; i++)
                    if (strcmp(lv->string, cache_keys[i]) == 0)
                        l = i;
                if (l < 0)
                    return bad(r, "cpu.caches: unknown level '%s'", lv->string);
                if (!cJSON_IsObject(lv))
                    return bad(r, "cpu.caches.%s: expected {size, count}", lv->string);
                const cJSON *f;
                cJSON_ArrayForEach(f, lv) {
                    if (strcmp(f->string, "size") == 0)
                        st = get_u64(r, f, "cpu.caches", UINT64_MAX, &c->cache[l].size);
                    else if (strcmp(f->string, "count") == 0)
                        st = get_u32(r, f, "cpu.caches", &c->cache[l].count);
                    else
                        return bad(r, "cpu.caches.%s: unknown key '%s'", lv->string, f->string);
                    if (st != GP_OK)
                        return st;
                }
            }
        } else if (strcmp(k, "simd") == 0) {
            if (!cJSON_IsArray(v))
                return bad(r, "%s.%s: expected an array of strings", "cpu", "simd");
            size_t o2 = 0;
            const cJSON *w;
            cJSON_ArrayForEach(w, v) {
                if (!cJSON_IsString(w) || !w->valuestring[0] || strchr(w->valuestring, ' '))
                    return bad(r, "%s.%s: expected an array of words", "cpu", "simd");
                int n = snprintf(c->simd + o2, sizeof c->simd - o2, "%s%s", o2 ? " " : "", w->valuestring);
                if (n < 0 || (size_t)n >= sizeof c->simd - o2)
                    return bad(r, "%s.%s: too long", "cpu", "simd");
                o2 += (size_t)n;
            }
        } else {
            return bad(r, "cpu: unknown key '%s'", k);
        }
        if (st != GP_OK)
            return st;
    }
    return GP_OK;
}

/* The name must be one llama.cpp gives a device of this kind. */
static bool name_fits(const gp_device *x)
{
    const char *n = x->name;
    switch (x->kind) {
    case GP_DEV_CPU: return strcmp(n, "CPU") == 0;
    case GP_DEV_METAL: return strcmp(n, "Metal") == 0;
    case GP_DEV_RPC: {
        size_t len = strlen(n);
        return len > 6 && strncmp(n, "RPC", 3) == 0 && strchr(n, '[') && n[len - 1] == ']' && strchr(n, ':');
    }
    default: {
        const char *p = gp_device_kind_prefix(x->kind);
        size_t pl = strlen(p);
        if (strncmp(n, p, pl) != 0 || !n[pl] || strlen(n + pl) > 3)
            return false;
        for (const char *c = n + pl; *c; c++)
            if (!isdigit((unsigned char)*c))
                return false;
        return true;
    }
    }
}

static gp_status read_device(reader *r, const cJSON *o, uint32_t index, gp_device *x)
{
    char where[32];
    snprintf(where, sizeof where, "devices[%u]", index);
    if (!cJSON_IsObject(o))
        return bad(r, "%s: expected an object", where);
    memset(x, 0, sizeof *x);
    bool have_name = false, have_kind = false;
    const cJSON *v;
    gp_status st = GP_OK;
    cJSON_ArrayForEach(v, o) {
        const char *k = v->string;
        if (strcmp(k, "name") == 0) {
            st = get_str(r, v, where, x->name, sizeof x->name);
            have_name = true;
        } else if (strcmp(k, "kind") == 0) {
            if (!cJSON_IsString(v) || !gp_device_kind_parse(v->valuestring, &x->kind))
                return bad(r, "%s.kind: expected cpu, cuda, rocm, vulkan, metal or rpc", where);
            have_kind = true;
        } else if (strcmp(k, "model") == 0) {
            st = get_str(r, v, where, x->model, sizeof x->model);
        } else if (strcmp(k, "memory") == 0) {
            st = get_u64(r, v, where, UINT64_MAX, &x->total);
        } else if (strcmp(k, "free") == 0) {
            st = get_u64(r, v, where, UINT64_MAX, &x->free);
        } else if (strcmp(k, "described") == 0) {
            if (!cJSON_IsBool(v))
                return bad(r, "%s.described: expected true or false", where);
            x->described = cJSON_IsTrue(v);
        } else if (strcmp(k, "uuid") == 0) {
            st = get_str(r, v, where, x->uuid, sizeof x->uuid);
        } else if (strcmp(k, "pci_bus_id") == 0) {
            st = get_str(r, v, where, x->pci_bus_id, sizeof x->pci_bus_id);
        } else if (strcmp(k, "bandwidth_gbs") == 0) {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
                v->valuedouble > 1e6)
                return bad(r, "%s.bandwidth_gbs: expected GB/s", where);
            x->bandwidth_gbs = v->valuedouble;
        } else if (strcmp(k, "tflops") == 0) {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
                v->valuedouble > 1e6)
                return bad(r, "%s.tflops: expected TFLOPS", where);
            x->tflops = v->valuedouble;
        } else if (strcmp(k, "pcie_gen") == 0) {
            st = get_u32(r, v, where, &x->pcie_gen);
        } else if (strcmp(k, "pcie_width") == 0) {
            st = get_u32(r, v, where, &x->pcie_width);
        } else if (strcmp(k, "arch") == 0) {
            st = get_str(r, v, where, x->arch, sizeof x->arch);
        } else if (strcmp(k, "cpu") == 0) {
            st = read_cpu(r, v, &x->cpu);
        } else {
            return bad(r, "%s: unknown key '%s'", where, k);
        }
        if (st != GP_OK)
            return st;
    }
    if (!have_name || !have_kind)
        return bad(r, "%s: needs a name and a kind", where);
    if (!name_fits(x))
        return bad(r, "%s: '%s' is not a name llama.cpp gives such a device", where, x->name);
    if (x->free > x->total && x->total)
        return bad(r, "%s: free memory exceeds memory", where);
    if (x->kind != GP_DEV_CPU && cJSON_GetObjectItemCaseSensitive(o, "cpu"))
        return bad(r, "%s: only the CPU has a 'cpu' object", where);
    if (x->pcie_gen > 16 || x->pcie_width > 64)
        return bad(r, "%s: implausible PCIe link", where);
    return GP_OK;
}

gp_status gp_devices_from_json(const char *text, const char *label, gp_devices *d, gp_error *err)
{
    reader r = {.label = label ? label : "", .err = err};
    cJSON *root = cJSON_Parse(text);
    if (!root)
        return gp_fail(err, GP_ERR_FORMAT, r.label, "not valid JSON");
    gp_status st = GP_OK;
    gp_devices out;
    gp_devices_init(&out);
    out.n = 0;
    const cJSON *v;
    bool have_devices = false;
    if (!cJSON_IsObject(root)) {
        st = bad(&r, "expected an object {devices, notes}");
        goto done;
    }
    cJSON_ArrayForEach(v, root) {
        if (strcmp(v->string, "devices") == 0) {
            if (!cJSON_IsArray(v)) {
                st = bad(&r, "devices: expected an array");
                goto done;
            }
            have_devices = true;
            uint32_t i = 0;
            const cJSON *o;
            cJSON_ArrayForEach(o, v) {
                gp_device x;
                if ((st = read_device(&r, o, i, &x)) != GP_OK)
                    goto done;
                if ((i == 0) != (x.kind == GP_DEV_CPU)) {
                    st = bad(&r, "devices: the CPU must come first, and only once");
                    goto done;
                }
                if (i == 0) {
                    out.dev[0] = x;
                    out.n = 1;
                } else {
                    gp_error e = {0};
                    if (gp_devices_insert(&out, &x, &e) != GP_OK) {
                        st = bad(&r, "devices: %s%s", e.message, "");
                        goto done;
                    }
                }
                i++;
            }
        } else if (strcmp(v->string, "notes") == 0) {
            if (!cJSON_IsArray(v)) {
                st = bad(&r, "notes: expected an array of strings");
                goto done;
            }
            const cJSON *s;
            cJSON_ArrayForEach(s, v) {
                if (!cJSON_IsString(s)) {
                    st = bad(&r, "notes: expected an array of strings");
                    goto done;
                }
                gp_devices_note(&out, "%s", s->valuestring);
            }
        } else {
            st = bad(&r, "unknown key '%s'", v->string);
            goto done;
        }
    }
    if (!have_devices || out.n == 0)
        st = bad(&r, "devices: at least the CPU is needed");
done:
    cJSON_Delete(root);
    if (st == GP_OK)
        *d = out;
    return st;
}

gp_status gp_devices_load_file(const char *path, gp_devices *d, gp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gp_fail(err, GP_ERR_IO, path, "%s", strerror(errno));
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    size_t n = fread(buf, 1, cap + 1, f);
    bool failed = ferror(f);
    fclose(f);
    gp_status st;
    if (failed)
        st = gp_fail(err, GP_ERR_IO, path, "read error");
    else if (n > cap)
        st = gp_fail(err, GP_ERR_FORMAT, path, "larger than 1 MiB: not a device description");
    else if (memchr(buf, 0, n))
        st = gp_fail(err, GP_ERR_FORMAT, path, "not a text file");
    else {
        buf[n] = 0;
        st = gp_devices_from_json(buf, path, d, err);
    }
    free(buf);
    return st;
}
