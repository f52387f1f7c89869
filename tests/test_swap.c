/* llama-swap configs: llama-swap's argv splitting, byte-exact rewrites that
 * change only the planned flags, failure modes that leave the file intact,
 * and generated configs whose co-resident sets fit by the memory model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hw/gpu_spec.h"
#include "util/fileio.h"

#include "calib.h"
#include "cli/cli.h"
#include "extras_builder.h"
#include "plan/corun.h"
#include "plan/plan.h"
#include "source/remote.h"
#include "swap/swap.h"
#include "swap/swap_cmd.h"
#include "swap/swap_yaml.h"
#include "util/strbuf.h"

#define GiB (1024ull * 1024 * 1024)
#define MODELS GP_CALIB_DIR "/models" /* see calib_present() */
#define FIXTURE GP_SOURCE_DIR "/tests/data/swap/"

/* ---- helpers ----------------------------------------------------------------- */

typedef struct run_result {
    int rc;
    char *out, *err;
} run_result;

static char *slurp_stream(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

static run_result run_argv(int argc, const char **argv)
{
    run_result r;
    FILE *out = tmpfile(), *err = tmpfile();
    r.rc = gp_cli_main(argc, (char **)argv, out, err);
    r.out = slurp_stream(out);
    r.err = slurp_stream(err);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

#define RUN(...) run_argv((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                          (const char *[]){__VA_ARGS__})

static char *read_all(const char *path, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    if (len)
        *len = 0;
    if (gp_read_file(path, (size_t)1 << 30, &text, &n, NULL) != GP_OK)
        return NULL;
    if (len)
        *len = n;
    return text;
}

static void write_all(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *replace(const char *s, const char *from, const char *to)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    size_t fl = strlen(from);
    for (const char *p = s; *p;) {
        if (!strncmp(p, from, fl)) {
            gp_sb_append(&sb, to);
            p += fl;
        } else {
            gp_sb_appendn(&sb, p, 1);
            p++;
        }
    }
    return gp_sb_take(&sb);
}

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ggplace-swap-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    /* The read-only test runs a child as an unprivileged user when root. */
    chmod(tmpdir, 0755);
    setenv("HOME", tmpdir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    chmod(tmpdir, 0755);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh directory under tmpdir holding the realistic config as
 * config.yaml; returns the text written (the caller frees it). */
static char *fixture_dir(const char *name, char *dir, size_t dsize, char *cfg, size_t csize, size_t *len)
{
    snprintf(dir, dsize, "%s/%s", tmpdir, name);
    mkdir(dir, 0755);
    snprintf(cfg, csize, "%s/config.yaml", dir);
    char *raw = read_all(FIXTURE "realistic.yaml", NULL);
    assert_non_null(raw);
    char *text = replace(raw, "@MODELS@", MODELS);
    write_all(cfg, text);
    free(raw);
    *len = strlen(text);
    return text;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The config still holds old, and nothing else was written beside it. */
static void assert_untouched(const char *dir, const char *cfg, const char *old, size_t old_len)
{
    size_t len;
    char *now = read_all(cfg, &len);
    assert_non_null(now);
    assert_int_equal(len, old_len);
    assert_memory_equal(now, old, len);
    assert_int_equal(count_entries(dir), 1);
    free(now);
}

static bool has_entry_containing(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)))
        found |= strstr(e->d_name, needle) != NULL;
    closedir(d);
    return found;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("'%s' not found in:\n%s", needle, hay ? hay : "(null)");
}

/* ---- llama-swap's argv ------------------------------------------------------------- */

static void expect_argv(const char *cmd, const gp_swap_macro *m, size_t nm, const char *const *want, size_t n)
{
    gp_swap_argv a;
    assert_int_equal(gp_swap_split(cmd, strlen(cmd), m, nm, 5800, NULL, &a, NULL), GP_OK);
    if (a.n != n) {
        for (size_t i = 0; i < a.n; i++)
            fprintf(stderr, "  [%zu] '%s'\n", i, a.tok[i].text);
        fail_msg("'%s': %zu arguments, expected %zu", cmd, a.n, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(a.tok[i].text, want[i]);
    gp_swap_argv_free(&a);
}

static const char *fake_env(const char *name)
{
    return !strcmp(name, "HOME") ? "/home/u" : NULL;
}

static void test_split_rules(void **state)
{
    (void)state;
    /* A '#' inside a line is an argument; whole comment lines go. */
    expect_argv("a # b", NULL, 0, (const char *[]){"a", "#", "b"}, 3);
    expect_argv("# first\n  x y\n   # indented comment\nz", NULL, 0, (const char *[]){"x", "y", "z"}, 3);
    /* Trailing backslashes join lines; newlines are blanks anyway. */
    expect_argv("a \\\n  b\\\nc", NULL, 0, (const char *[]){"a", "b", "c"}, 3);
    /* POSIX quoting, no shell. */
    expect_argv("\"a b\" 'c\\d' e\\ f \"g\\\"h\" \"\\$x\" '' x'y'\"z\"", NULL, 0,
                (const char *[]){"a b", "c\\d", "e f", "g\"h", "$x", "", "xyz"}, 7);
    /* Macros: declared before use, MODEL_ID, ${PORT}, ${env.X}. */
    gp_swap_macro m[] = {{"MODEL_ID", "m1"}, {"a", "1"}, {"b", "${a}2"}, {"late", "${c}"}, {"c", "x"}};
    expect_argv("${b} ${MODEL_ID} ${a} --port ${PORT}", m, 3,
                (const char *[]){"12", "m1", "1", "--port", "5800"}, 5);
    gp_swap_argv a;
    assert_int_equal(gp_swap_split("${late}", 7, m, 5, 1, NULL, &a, NULL), GP_OK);
    assert_string_equal(a.tok[0].text, "${c}");
    assert_string_equal(a.unknown_macro, "c");
    assert_true(a.tok[0].from_macro);
    gp_swap_argv_free(&a);
    const char *cmd = "llama-server -m ${env.HOME}/m.gguf ${env.NOPE_X}";
    assert_int_equal(gp_swap_split(cmd, strlen(cmd), NULL, 0, 1, fake_env, &a, NULL), GP_OK);
    assert_int_equal(a.n, 4);
    assert_string_equal(a.tok[2].text, "/home/u/m.gguf");
    assert_string_equal(a.unset_env, "NOPE_X");
    gp_swap_argv_free(&a);
    /* Provenance: quotes included, macro bytes marked. */
    cmd = "x  'a b'  ${a}z";
    assert_int_equal(gp_swap_split(cmd, strlen(cmd), m, 2, 1, NULL, &a, NULL), GP_OK);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.tok[1].begin, 3);
    assert_int_equal(a.tok[1].end, 8);
    assert_false(a.tok[1].from_macro);
    assert_int_equal(a.tok[2].begin, 10);
    assert_int_equal(a.tok[2].end, 15);
    assert_true(a.tok[2].from_macro);
    assert_string_equal(a.tok[2].text, "1z");
    gp_swap_argv_free(&a);
    /* Quoting survives the splitter, -ot regexes included. */
    const char *hard[] = {"^blk\\.([0-9]|1[0-9])\\.ffn_(up|down)_exps\\.weight$=CPU", "#x", "", "a'b", "a b",
                          "x\\", "$HOME", "plain-1,2"};
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
        gp_strbuf sb = {0};
        gp_sb_append(&sb, "cmd\n");
        gp_swap_quote(&sb, hard[i]);
        gp_sb_append(&sb, "\n");
        char *s = gp_sb_take(&sb);
        expect_argv(s, NULL, 0, (const char *[]){"cmd", hard[i]}, 2);
        free(s);
    }
}

static void test_yaml_source(void **state)
{
    (void)state;
    const char *doc =
        "x: \"é\"\r\n"
        "lit: |2-\r\n"
        "    keep  \r\n"
        "\r\n"
        "   two\r\n"
        "fold: >+\n"
        "  a\n"
        "  b\n"
        "\n"
        "   c\n"
        "\n"
        "dq: \"one \\\"two\\\"\n"
        "   three\\\n"
        "   four \\x41\\u00e9\"\n"
        "sq: 'it''s\n"
        "\n"
        "  here'\n"
        "plain: a b\n"
        "  c   d\n"
        "# end\n";
    gp_yaml y;
    assert_int_equal(gp_yaml_load(&y, "t", doc, strlen(doc), NULL), GP_OK);
    yaml_node_t *root = gp_yaml_root(&y);
    const char *keys[] = {"x", "lit", "fold", "dq", "sq", "plain"};
    for (size_t i = 0; i < 6; i++) {
        yaml_node_t *k, *v = gp_yaml_get(&y, root, keys[i], &k);
        gp_yaml_src s;
        gp_error err = {0};
        if (gp_yaml_source(&y, v, (int)k->start_mark.column, &s, &err) != GP_OK)
            fail_msg("%s: %s (value '%s')", keys[i], err.message, gp_yaml_str(v));
        /* Every value byte maps inside the scalar's own bytes. */
        for (size_t b = 0; b < s.len; b++)
            assert_true(s.mb[b] >= s.begin && s.me[b] <= strlen(doc));
        gp_yaml_src_free(&s);
    }
    gp_yaml_free(&y);
    gp_error err = {0};
    assert_int_equal(gp_yaml_load(&y, "bad.yaml", "models:\n  a: [1, 2\n", 19, &err), GP_ERR_FORMAT);
    assert_string_equal(err.file, "bad.yaml:3:1");
}

/* ---- rewriting ----------------------------------------------------------------------- */

typedef struct slot_values {
    char slot[16];
    char values[8][700];
    size_t n;
} slot_values;

static bool flag_has_value(const char *slot)
{
    return strcmp(slot, "kvu") && strcmp(slot, "kvo") && strcmp(slot, "swa") && strcmp(slot, "cmoe");
}

static int tristate(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true")) return 1;
    if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false")) return 0;
    return -1;
}

/* Owned flags of an argv by slot (values in order), and the other tokens. */
static size_t owned_of(const gp_swap_argv *a, size_t from, slot_values *sv, size_t max, char ***others,
                       size_t *n_others)
{
    size_t n = 0;
    *others = NULL;
    *n_others = 0;
    for (size_t i = from; i < a->n; i++) {
        const char *t = a->tok[i].text;
        const char *slot = gp_swap_owned_slot(t);
        if (!slot) {
            *others = realloc(*others, (*n_others + 1) * sizeof **others);
            (*others)[(*n_others)++] = a->tok[i].text;
            continue;
        }
        const char *v = "";
        const char *eq = t[1] == '-' ? strchr(t, '=') : NULL;
        if (eq)
            v = eq + 1;
        else if (flag_has_value(slot) && i + 1 < a->n)
            v = a->tok[++i].text;
        char val[700];
        snprintf(val, sizeof val, "%s%s", (!strcmp(slot, "kvu") || !strcmp(slot, "kvo")) ? t : "", v);
        if (!strcmp(slot, "fa"))
            snprintf(val, sizeof val, "%d", tristate(v));
        if (!strcmp(slot, "kvu"))
            snprintf(val, sizeof val, "%s", strstr(t, "no") ? "off" : "on");
        if (!strcmp(slot, "kvo"))
            snprintf(val, sizeof val, "%s", strstr(t, "no") || !strcmp(t, "-nkvo") ? "off" : "on");
        size_t k = 0;
        while (k < n && strcmp(sv[k].slot, slot))
            k++;
        if (k == n) {
            assert_true(n < max);
            memset(&sv[n], 0, sizeof sv[n]);
            snprintf(sv[n].slot, sizeof sv[n].slot, "%s", slot);
            n++;
        }
        assert_true(sv[k].n < 8);
        snprintf(sv[k].values[sv[k].n++], sizeof sv[k].values[0], "%s", val);
    }
    return n;
}

static void assert_same_owned(const slot_values *a, size_t na, const slot_values *b, size_t nb, const char *what)
{
    if (na != nb)
        fail_msg("%s: %zu owned slots, plan has %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) {
        size_t k = 0;
        while (k < nb && strcmp(a[i].slot, b[k].slot))
            k++;
        if (k == nb)
            fail_msg("%s: slot %s not in the plan", what, a[i].slot);
        assert_int_equal(a[i].n, b[k].n);
        for (size_t v = 0; v < a[i].n; v++)
            if (strcmp(a[i].values[v], b[k].values[v]) && strtoll(a[i].values[v], NULL, 10) != strtoll(b[k].values[v], NULL, 10))
                fail_msg("%s: %s '%s' but the plan says '%s'", what, a[i].slot, a[i].values[v], b[k].values[v]);
    }
}

/* The argv llama-swap runs for a model of a parsed config. */
static void model_argv(const gp_yaml *y, const char *id, gp_swap_argv *a, const gp_yaml_src **unused)
{
    (void)unused;
    yaml_node_t *root = gp_yaml_root(y);
    yaml_node_t *model = gp_yaml_get(y, gp_yaml_get(y, root, "models", NULL), id, NULL);
    assert_non_null(model);
    gp_swap_macro m[32];
    size_t n = 0;
    m[n++] = (gp_swap_macro){"MODEL_ID", id};
    yaml_node_t *maps[2] = {gp_yaml_get(y, root, "macros", NULL), gp_yaml_get(y, model, "macros", NULL)};
    for (int s = 0; s < 2; s++) {
        if (!maps[s])
            continue;
        for (yaml_node_pair_t *p = maps[s]->data.mapping.pairs.start; p < maps[s]->data.mapping.pairs.top; p++) {
            const char *k = gp_yaml_str(gp_yaml_node(y, p->key)), *v = gp_yaml_str(gp_yaml_node(y, p->value));
            size_t q = 0;
            while (q < n && strcmp(m[q].name, k))
                q++;
            m[q] = (gp_swap_macro){k, v};
            if (q == n)
                n++;
        }
    }
    const char *cmd = gp_yaml_str(gp_yaml_get(y, model, "cmd", NULL));
    assert_non_null(cmd);
    assert_int_equal(gp_swap_split(cmd, strlen(cmd), m, n, 10001, NULL, a, NULL), GP_OK);
}

/* What `ggplace plan MODEL --args` prints, split like a command line. */
static size_t plan_owned(const char *model, const char *gpu, slot_values *sv, size_t max)
{
    run_result r = RUN("ggplace", "plan", model, "--args", "--gpu", gpu, "--ram", "64GiB", "--no-detect");
    if (r.rc != 0)
        fail_msg("plan %s: %s", model, r.err);
    gp_swap_argv a;
    assert_int_equal(gp_swap_split(r.out, strlen(r.out), NULL, 0, 1, NULL, &a, NULL), GP_OK);
    char **others;
    size_t n_others;
    size_t n = owned_of(&a, 0, sv, max, &others, &n_others);
    assert_int_equal(n_others, 0);
    free(others);
    gp_swap_argv_free(&a);
    run_free(&r);
    return n;
}

/* The bytes of every cmd scalar, in document order. */
static size_t cmd_spans(const gp_yaml *y, size_t *b, size_t *e, char ids[][64], size_t max)
{
    yaml_node_t *models = gp_yaml_get(y, gp_yaml_root(y), "models", NULL);
    size_t n = 0;
    for (yaml_node_pair_t *p = models->data.mapping.pairs.start; p < models->data.mapping.pairs.top && n < max; p++) {
        yaml_node_t *k, *cmd = gp_yaml_get(y, gp_yaml_node(y, p->value), "cmd", &k);
        gp_yaml_src s;
        assert_int_equal(gp_yaml_source(y, cmd, (int)k->start_mark.column, &s, NULL), GP_OK);
        b[n] = s.begin;
        e[n] = s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE ? s.body_end : s.end;
        snprintf(ids[n], 64, "%s", gp_yaml_str(gp_yaml_node(y, p->key)));
        n++;
        gp_yaml_src_free(&s);
    }
    return n;
}

static char *masked(const char *t, size_t len, const size_t *b, const size_t *e, size_t n)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        gp_sb_appendn(&sb, t + pos, b[i] - pos);
        gp_sb_append(&sb, "<cmd>");
        pos = e[i];
    }
    gp_sb_appendn(&sb, t + pos, len - pos);
    return gp_sb_take(&sb);
}

static const char *const replanned[] = {"llama-3.1-8b", "qwen3-8b", "qwen3-30b-a3b", "gemma-3-4b", "lfm2",
                                        "deepseek-lite"};
static const char *const replanned_files[] = {"llama-3.1-8b", "qwen3-8b", "qwen3-30b-a3b", "gemma-3-4b",
                                              "lfm2-1.2b", "deepseek-v2-lite"};

/* Acceptance: bytes outside the cmds identical, each edited cmd carries the
 * plan's flags and every other argument in its order; skipped cmds intact. */
static void check_rewrite(const char *old, size_t old_len, const char *new_text, size_t new_len, const char *gpu)
{
    gp_yaml y0, y1;
    assert_int_equal(gp_yaml_load(&y0, "old", old, old_len, NULL), GP_OK);
    assert_int_equal(gp_yaml_load(&y1, "new", new_text, new_len, NULL), GP_OK);
    size_t b0[32], e0[32], b1[32], e1[32];
    char ids0[32][64], ids1[32][64];
    size_t n0 = cmd_spans(&y0, b0, e0, ids0, 32), n1 = cmd_spans(&y1, b1, e1, ids1, 32);
    assert_int_equal(n0, n1);
    char *m0 = masked(old, old_len, b0, e0, n0), *m1 = masked(new_text, new_len, b1, e1, n1);
    assert_string_equal(m0, m1);
    free(m0);
    free(m1);
    for (size_t i = 0; i < n0; i++) {
        bool planned = false;
        for (size_t k = 0; k < sizeof replanned / sizeof replanned[0]; k++)
            planned |= !strcmp(ids0[i], replanned[k]);
        if (!planned) {
            /* Skipped: not a byte changed. */
            assert_int_equal(e0[i] - b0[i], e1[i] - b1[i]);
            assert_memory_equal(old + b0[i], new_text + b1[i], e0[i] - b0[i]);
        }
    }
    for (size_t k = 0; k < sizeof replanned / sizeof replanned[0]; k++) {
        gp_swap_argv a0, a1;
        model_argv(&y0, replanned[k], &a0, NULL);
        model_argv(&y1, replanned[k], &a1, NULL);
        slot_values s0[24], s1[24], sp[24];
        char **o0, **o1;
        size_t no0, no1;
        owned_of(&a0, 0, s0, 24, &o0, &no0);
        size_t ns1 = owned_of(&a1, 0, s1, 24, &o1, &no1);
        assert_int_equal(no0, no1);
        for (size_t q = 0; q < no0; q++)
            assert_string_equal(o0[q], o1[q]);
        char path[512];
        snprintf(path, sizeof path, MODELS "/%s.gguf", replanned_files[k]);
        size_t nsp = plan_owned(path, gpu, sp, 24);
        assert_same_owned(s1, ns1, sp, nsp, replanned[k]);
        free(o0);
        free(o1);
        gp_swap_argv_free(&a0);
        gp_swap_argv_free(&a1);
    }
    gp_yaml_free(&y0);
    gp_yaml_free(&y1);
}

static void test_rewrite_realistic(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char dir[256], cfg[320];
    size_t new_len, old_len;
    char *old = fixture_dir("realistic", dir, sizeof dir, cfg, sizeof cfg, &old_len);
    run_result r = RUN("ggplace", "swap", cfg, "--gpu", "24GiB", "--ram", "64GiB", "--no-detect");
    if (r.rc != 0)
        fail_msg("swap: %s", r.err);
    char *new_text = read_all(cfg, &new_len);
    assert_true(new_len != old_len || memcmp(old, new_text, old_len) != 0);
    check_rewrite(old, old_len, new_text, new_len, "24GiB");
    /* A backup of what was replaced, byte for byte; no temporary file. */
    assert_true(has_entry_containing(dir, ".bak"));
    assert_false(has_entry_containing(dir, ".tmp"));
    assert_int_equal(count_entries(dir), 2);

    /* The report: planned, skipped with reasons, and every warning. */
    assert_contains(r.err, "deepseek-lite: re-planned");
    assert_contains(r.err, "whisper: skipped: runs whisper-server, not llama-server");
    assert_contains(r.err, "tiny: skipped: -c comes from a macro");
    assert_contains(r.err, "ghost: skipped: model file");
    assert_contains(r.err, "unknown key 'tll' in models 'lfm2' (did you mean 'ttl'?)");
    assert_contains(r.err, "unknown key 'my_notes'");
    assert_contains(r.err, "duplicate alias 'llama3'");
    assert_contains(r.err, "model 'gemma-3-4b' is in two groups ('chat' and 'tools')");
    assert_contains(r.err, "proxy: \"\" is not the default");
    assert_contains(r.err, "ttl: 0 never unloads");
    assert_contains(r.err, "does-not-exist.gguf does not exist");
    assert_true(strstr(r.err, "macro ${PORT}") == NULL);
    run_free(&r);

    /* Idempotent: a second run changes nothing and writes nothing. */
    r = RUN("ggplace", "swap", cfg, "--gpu", "24GiB", "--ram", "64GiB", "--no-detect");
    assert_int_equal(r.rc, 0);
    assert_contains(r.err, "no changes, not written");
    for (size_t k = 0; k < sizeof replanned / sizeof replanned[0]; k++) {
        char line[128];
        snprintf(line, sizeof line, "%s: unchanged", replanned[k]);
        assert_contains(r.err, line);
    }
    size_t again_len;
    char *again = read_all(cfg, &again_len);
    assert_int_equal(again_len, new_len);
    assert_memory_equal(again, new_text, new_len);
    assert_int_equal(count_entries(dir), 2);
    run_free(&r);
    free(again);
    free(old);
    free(new_text);
}

static void test_dry_run_and_output(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char dir[256], cfg[320], out[400];
    size_t old_len;
    char *old = fixture_dir("dry", dir, sizeof dir, cfg, sizeof cfg, &old_len);
    run_result r = RUN("ggplace", "swap", cfg, "--gpu", "24GiB", "--no-detect", "--dry-run");
    assert_int_equal(r.rc, 0);
    assert_true(strncmp(r.out, "--- ", 4) == 0);
    assert_contains(r.out, "\n@@ -");
    assert_contains(r.out, "\n-      -c 8192\n");
    assert_contains(r.out, "\n+      -c 32768\n");
    assert_untouched(dir, cfg, old, old_len);
    run_free(&r);

    /* -o: the input stays, the output is the rewrite. */
    snprintf(out, sizeof out, "%s/out.yaml", dir);
    r = RUN("ggplace", "swap", cfg, "--gpu", "24GiB", "--no-detect", "-o", out);
    assert_int_equal(r.rc, 0);
    size_t len;
    char *now = read_all(cfg, &len);
    assert_int_equal(len, old_len);
    assert_memory_equal(now, old, old_len);
    free(now);
    size_t out_len;
    char *o = read_all(out, &out_len);
    assert_non_null(o);
    check_rewrite(old, old_len, o, out_len, "24GiB");
    free(o);
    run_free(&r);
    free(old);
}

/* A model the user names must exist: a usage error, nothing written. */
static void test_unknown_model(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char dir[256], cfg[320];
    size_t old_len;
    char *old = fixture_dir("nosuch", dir, sizeof dir, cfg, sizeof cfg, &old_len);
    run_result r = RUN("ggplace", "swap", cfg, "--model", "nosuch", "--gpu", "24GiB", "--no-detect");
    assert_int_equal(r.rc, 2);
    assert_true(strncmp(r.err, "ggplace: ", 9) == 0);
    assert_contains(r.err, cfg);
    assert_contains(r.err, "--model nosuch: no such model");
    assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
    assert_untouched(dir, cfg, old, old_len);
    free(old);
    run_free(&r);
}

static void test_broken_yaml(void **state)
{
    (void)state;
    char dir[256], cfg[320];
    snprintf(dir, sizeof dir, "%s/broken", tmpdir);
    mkdir(dir, 0755);
    snprintf(cfg, sizeof cfg, "%s/config.yaml", dir);
    const char *text = "models:\n  a:\n    cmd: llama-server -m x.gguf\n    aliases: [one, two\n";
    write_all(cfg, text);
    run_result r = RUN("ggplace", "swap", cfg, "--gpu", "24GiB", "--no-detect");
    assert_int_equal(r.rc, 1);
    char want[400];
    snprintf(want, sizeof want, "ggplace: %s:5:1: ", cfg);
    assert_contains(r.err, want);
    assert_int_equal(strchr(r.err, '\n')[1], 0);
    char *now = read_all(cfg, NULL);
    assert_string_equal(now, text);
    assert_int_equal(count_entries(dir), 1);
    free(now);
    run_free(&r);
}

/* Runs swap on cfg in a child whose writes must fail; returns its exit status. */
static int run_failing_child(const char *cfg, bool drop_privileges, rlim_t fsize)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (drop_privileges && geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(99);
        /* Without privileges the models must still be readable, or the
           run would fail for another reason (a checkout in a 0700 folder) */
        if (drop_privileges && access(MODELS, R_OK | X_OK) != 0)
            _exit(99);
        if (fsize) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl = {fsize, fsize};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        /* In memory: the file size limit must hit only the config's writes. */
        char *o = NULL, *msg = NULL;
        size_t ol = 0, ml = 0;
        FILE *out = open_memstream(&o, &ol), *err = open_memstream(&msg, &ml);
        if (!out || !err)
            _exit(98);
        const char *argv[] = {"ggplace", "swap", cfg, "--gpu", "24GiB", "--no-detect"};
        int rc = gp_cli_main(6, (char **)argv, out, err);
        fclose(out);
        fclose(err);
        _exit(rc == 1 && msg && strstr(msg, ": cannot ") ? 0 : 10 + rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_write_failures(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char dir[256], cfg[320];
    /* A directory nobody may write into. */
    size_t old_len;
    char *old = fixture_dir("readonly", dir, sizeof dir, cfg, sizeof cfg, &old_len);
    chmod(dir, 0555);
    int st = run_failing_child(cfg, true, 0);
    chmod(dir, 0755);
    if (st == 99) {
        print_message("read-only folder not tried: no unprivileged user can read %s\n", MODELS);
    } else {
        assert_int_equal(st, 0);
        assert_untouched(dir, cfg, old, old_len);
    }

    /* A full disk: every write beyond 64 bytes fails (EFBIG), as ENOSPC would. */
    free(fixture_dir("full", dir, sizeof dir, cfg, sizeof cfg, &old_len));
    st = run_failing_child(cfg, false, 64);
    assert_int_equal(st, 0);
    assert_untouched(dir, cfg, old, old_len);
    free(old);
}

static gp_swap_result rewrite_text(const char *text, const char *gpu)
{
    gp_devices d;
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, gpu, NULL), GP_OK);
    /* Models a cmd downloads are read from the header cache only: the
     * fast suite never touches the network. */
    static gp_remote_opts offline = {.offline = true, .no_cache = false};
    gp_swap_options o = {.devices = &d, .remote = &offline};
    gp_plan_request_default(&o.request);
    gp_swap_result r;
    gp_error err = {0};
    if (gp_swap_rewrite("t.yaml", text, strlen(text), &o, &r, &err) != GP_OK)
        fail_msg("rewrite: %s", err.message);
    return r;
}

static const gp_swap_model *find_model(const gp_swap_result *r, const char *id)
{
    for (size_t i = 0; i < r->n_models; i++)
        if (!strcmp(r->models[i].id, id))
            return &r->models[i];
    fail_msg("no model %s in the report", id);
    static const gp_swap_model none = {.note = ""};
    return &none;
}

/* Models a swap: false group keeps loaded together share each device: both
 * fit on the card at once, and each says it was planned for its part. */
static void test_group_shares_devices(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char text[2048];
    snprintf(text, sizeof text,
             "models:\n"
             "  big:\n    cmd: llama-server --port ${PORT} -m %s/qwen3-30b-a3b.gguf\n"
             "  small:\n    cmd: llama-server --port ${PORT} -m %s/llama-tiny.gguf\n"
             "groups:\n  both:\n    swap: false\n    members: [big, small]\n",
             MODELS, MODELS);
    gp_swap_result r = rewrite_text(text, "24GiB");
    const gp_swap_model *big = find_model(&r, "big"), *small = find_model(&r, "small");
    assert_int_equal(big->outcome, GP_SWAP_CHANGED);
    assert_non_null(strstr(big->note, "1/2 of each device"));
    assert_non_null(strstr(small->note, "group 'both' (swap: false)"));
    /* the GPU (device 1) holds both */
    assert_true(big->need[1] + small->need[1] <= 24ull << 30);
    gp_swap_result_free(&r);
}

/* A matrix set's models are co-resident too: "b & (s | t)" keeps two
 * loaded at a time, and each is planned for half of every device. */
static void test_matrix_shares_devices(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    char text[2048];
    snprintf(text, sizeof text,
             "models:\n"
             "  big:\n    cmd: llama-server --port ${PORT} -m %s/qwen3-30b-a3b.gguf\n"
             "  s:\n    cmd: llama-server --port ${PORT} -m %s/llama-tiny.gguf\n"
             "  t:\n    cmd: llama-server --port ${PORT} -m %s/llama-tiny.gguf -c 4096\n"
             "routing:\n  router:\n    use: matrix\n    settings:\n      matrix:\n"
             "        vars:\n          b: big\n          x: s\n          y: t\n"
             "        sets:\n          pair: \"b & (x | y)\"\n",
             MODELS, MODELS, MODELS);
    gp_swap_result r = rewrite_text(text, "24GiB");
    const gp_swap_model *big = find_model(&r, "big"), *t = find_model(&r, "t");
    assert_non_null(strstr(big->note, "1/2 of each device: matrix set 'pair'"));
    assert_non_null(strstr(t->note, "1/2 of each device"));
    assert_true(big->need[1] + t->need[1] <= 24ull << 30);
    gp_swap_result_free(&r);
}

/* Every scalar style carries the -ot regexes of a partial offload intact. */
static void test_styles_and_wrappers(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    const char *tmpl =
        "models:\n"
        "  lit:\n"
        "    cmd: |\n"
        "      llama-server --port ${PORT}\n"
        "      -m @M@ -c 4096\n"
        "  fold:\n"
        "    cmd: >-\n"
        "      llama-server --port ${PORT}\n"
        "      -m @M@\n"
        "      -ngl 10\n"
        "  dq:\n"
        "    cmd: \"llama-server --port ${PORT} -m @M@ -ot \\\"x=CPU\\\"\"\n"
        "  sq:\n"
        "    cmd: 'llama-server --port ${PORT} -m ''@M@'' --cpu-moe'\n"
        "  plain:\n"
        "    cmd: llama-server --port ${PORT}\n"
        "      -m @M@ --n-cpu-moe 4   # a comment after the scalar\n"
        "  envwrap:\n"
        "    cmd: env CUDA_VISIBLE_DEVICES=0 /opt/llama/bin/llama-server --port ${PORT} -m @M@\n"
        "  vllm:\n"
        "    cmd: docker run --rm -p ${PORT}:8000 vllm/vllm-openai --model @M@\n"
        "  docker-nomount:\n"
        "    cmd: docker run --rm ghcr.io/ggml-org/llama.cpp:server -m /models/x.gguf\n"
        "  hf:\n"
        "    cmd: llama-server -hf ggml-org/gemma-3-4b-it-GGUF --port ${PORT}\n";
    char *text = replace(tmpl, "@M@", MODELS "/qwen3-30b-a3b.gguf");
    gp_swap_result r = rewrite_text(text, "12GiB");
    const char *edited[] = {"lit", "fold", "dq", "sq", "plain", "envwrap"};
    for (size_t i = 0; i < 6; i++) {
        const gp_swap_model *m = find_model(&r, edited[i]);
        if (m->outcome != GP_SWAP_CHANGED)
            fail_msg("%s: %s", edited[i], m->note);
    }
    assert_contains(find_model(&r, "lit")->args, "-ot '^blk");
    assert_contains(find_model(&r, "vllm")->note, "not a llama.cpp image");
    assert_contains(find_model(&r, "docker-nomount")->note, "no -v mount");
    assert_contains(find_model(&r, "hf")->note, "--offline");
    /* Independently: parse the result and split each cmd as llama-swap would. */
    gp_yaml y;
    assert_int_equal(gp_yaml_load(&y, "new", r.text, r.len, NULL), GP_OK);
    slot_values sp[24];
    size_t nsp = plan_owned(MODELS "/qwen3-30b-a3b.gguf", "12GiB", sp, 24);
    bool has_ot = false;
    for (size_t k = 0; k < nsp; k++)
        has_ot |= !strcmp(sp[k].slot, "ot");
    assert_true(has_ot);
    for (size_t i = 0; i < 6; i++) {
        gp_swap_argv a;
        model_argv(&y, edited[i], &a, NULL);
        slot_values s[24];
        char **others;
        size_t n_others;
        size_t ns = owned_of(&a, 0, s, 24, &others, &n_others);
        assert_same_owned(s, ns, sp, nsp, edited[i]);
        free(others);
        gp_swap_argv_free(&a);
    }
    gp_yaml_free(&y);
    /* Idempotent in every style. */
    gp_swap_result r2 = rewrite_text(r.text, "12GiB");
    assert_false(r2.changed);
    gp_swap_result_free(&r2);
    gp_swap_result_free(&r);
    free(text);
}

static const char *examples_env(const char *name)
{
    return !strcmp(name, "MODELS") ? GP_SOURCE_DIR "/examples" : NULL;
}

/* A cmd whose model path comes from ${env.X}: its edit is written as a
 * literal block holding no value edits of its own (found by fuzz_swap: an
 * empty edit list was copied from a null pointer). */
static void test_env_macro_block(void **state)
{
    (void)state;
    const char *text = "models:\n p:\n  cmd: llama-server -m ${env.MODELS}/gemma-3-4b.gguf";
    gp_devices d;
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "8GiB", NULL), GP_OK);
    static gp_remote_opts offline = {.offline = true};
    gp_swap_options o = {.devices = &d, .getenv_fn = examples_env, .remote = &offline};
    gp_plan_request_default(&o.request);
    gp_swap_result r;
    gp_error err = {0};
    if (gp_swap_rewrite("t.yaml", text, strlen(text), &o, &r, &err) != GP_OK)
        fail_msg("rewrite: %s", err.message);
    const gp_swap_model *m = find_model(&r, "p");
    if (m->outcome != GP_SWAP_CHANGED)
        fail_msg("outcome %d: %s", (int)m->outcome, m->note);
    assert_contains(r.text, "${env.MODELS}/gemma-3-4b.gguf");
    gp_yaml y;
    assert_int_equal(gp_yaml_load(&y, "new", r.text, r.len, NULL), GP_OK);
    gp_yaml_free(&y);
    gp_swap_result_free(&r);
}

static void test_warnings(void **state)
{
    (void)state;
    char *raw = read_all(FIXTURE "warnings.yaml", NULL);
    assert_non_null(raw);
    gp_swap_result r = {0};
    assert_int_equal(gp_swap_check("w.yaml", raw, strlen(raw), &r, NULL), GP_OK);
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    for (size_t i = 0; i < r.n_warnings; i++)
        gp_sb_printf(&sb, "%zu:%zu: %s\n", r.warnings[i].line, r.warnings[i].column, r.warnings[i].text);
    char *all = gp_sb_take(&sb);
    assert_contains(all, "top-level groups/matrix together with routing.router");
    assert_contains(all, "healthCheckTimeout: 0");
    assert_contains(all, "unknown key 'stripparams' in models 'a'.filters (did you mean 'stripParams'?)");
    assert_contains(all, "unknown key 'exclusiv' in groups 'g1' (did you mean 'exclusive'?)");
    assert_contains(all, "alias 'b' is also a model id");
    assert_contains(all, "member 'nope' is not a model id");
    assert_contains(all, "checkEndpoint: \"\"");
    assert_contains(all, "env LLAMA_ARG_CTX_SIZE");
    assert_contains(all, "matrix var 'x' names 'missing'");
    assert_contains(all, "matrix set 'broken': 'x & (y' is not an expression of the matrix vars");
    free(all);
    gp_swap_result_free(&r);
    free(raw);
}

/* ---- co-residence ------------------------------------------------------------------------ */

static void test_corun_sets(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + (size_t)(rand() % 9);
        uint32_t nd = 1 + (uint32_t)(rand() % 3);
        uint64_t need[9 * 3], budget[3];
        for (uint32_t d = 0; d < nd; d++)
            budget[d] = 100;
        for (size_t i = 0; i < n * nd; i++)
            need[i] = (uint64_t)(rand() % 70);
        gp_corun c = {need, budget, n, nd};
        uint64_t *sets;
        size_t ns;
        assert_int_equal(gp_corun_maximal_sets(&c, 10000, &sets, &ns, NULL), GP_OK);
        /* Brute force: the maximal fitting subsets, exactly. */
        size_t want = 0;
        for (uint64_t m = 1; m < (1ull << n); m++) {
            if (!gp_corun_fits(&c, m))
                continue;
            bool maximal = true;
            for (size_t j = 0; j < n && maximal; j++)
                if (!(m >> j & 1) && gp_corun_fits(&c, m | 1ull << j))
                    maximal = false;
            if (!maximal)
                continue;
            want++;
            bool found = false;
            for (size_t s = 0; s < ns; s++)
                found |= sets[s] == m;
            assert_true(found);
        }
        assert_int_equal(ns, want);
        int group[9];
        size_t ng = gp_corun_groups(&c, group);
        for (size_t g = 0; g < ng; g++) {
            uint64_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (group[i] == (int)g)
                    m |= 1ull << i;
            assert_true(m != 0 && gp_corun_fits(&c, m));
        }
        for (size_t i = 0; i < n; i++)
            assert_true((group[i] >= 0) == gp_corun_fits(&c, 1ull << i));
        free(sets);
    }
}

/* llama-swap's schema (config-schema.json, 2026-08): the keys a generated
 * config may use. */
static const char *const top_keys[] = {"healthCheckTimeout", "globalTTL", "unloadTimeout", "logLevel",
    "logTimeFormat", "metricsMaxInMemory", "captureBuffer", "store", "ui", "performance", "startPort",
    "sendLoadingState", "includeAliasesInList", "macros", "profiles", "selectors", "models", "groups", "matrix",
    "hooks", "logToStdout", "apiKeys", "peers", "upstream", "routing", NULL};
static const char *const model_keys[] = {"macros", "cmd", "cmdStop", "name", "description", "env", "proxy",
    "aliases", "checkEndpoint", "ttl", "unloadTimeout", "useModelName", "filters", "metadata", "concurrencyLimit",
    "sendLoadingState", "unlisted", "timeouts", "compat", "capabilities", NULL};
static const char *const routing_keys[] = {"scheduler", "router", NULL};
static const char *const router_keys[] = {"use", "settings", NULL};
static const char *const settings_keys[] = {"groups", "matrix", NULL};
static const char *const group_keys[] = {"swap", "exclusive", "persistent", "members", NULL};
static const char *const matrix_keys[] = {"vars", "evict_costs", "sets", NULL};

static void keys_within(const gp_yaml *y, const yaml_node_t *map, const char *const *allowed, const char *what)
{
    assert_non_null(map);
    assert_int_equal(map->type, YAML_MAPPING_NODE);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = gp_yaml_str(gp_yaml_node(y, p->key));
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, k);
        if (!ok)
            fail_msg("%s: key '%s' is not in llama-swap's schema", what, k);
    }
}

static const char *const calib_models[] = {"deepseek-v2-lite", "gemma-3-4b", "lfm2-1.2b", "llama-3.1-8b",
                                           "llama-tiny", "qwen3-30b-a3b", "qwen3-8b"};

/* Footprint per device of a model at its plan, and the budgets. */
static void footprint(const char *id, const gp_devices *d, uint64_t *need, uint64_t *budget)
{
    char path[512];
    snprintf(path, sizeof path, MODELS "/%s.gguf", id);
    gp_model *m;
    assert_int_equal(gp_model_open(path, &m, NULL), GP_OK);
    gp_plan_request req;
    gp_plan_request_default(&req);
    gp_plan p;
    assert_int_equal(gp_plan_make(m, d, &req, &p, NULL), GP_OK);
    for (uint32_t i = 0; i < d->n; i++) {
        need[i] = gp_mem_device_total(&p.mem.dev[i]);
        budget[i] = p.budget[i];
    }
    gp_plan_free(&p);
    gp_model_close(&m);
}

static uint64_t members_mask(const char *dsl, char vars[][16], const char *const *ids, size_t n_vars)
{
    uint64_t m = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", dsl);
    for (char *tok = strtok(buf, " &"); tok; tok = strtok(NULL, " &")) {
        size_t k = 0;
        while (k < n_vars && strcmp(vars[k], tok) && strcmp(ids[k], tok))
            k++;
        if (k == n_vars)
            fail_msg("set '%s' names '%s', not a var", dsl, tok);
        m |= 1ull << k;
    }
    return m;
}

/* A projector named before its models: each model's footprint is its own
 * (reports and files are counted apart). */
static void test_generate_projector_first(void **state)
{
    (void)state;
    char proj[256], out[256];
    snprintf(proj, sizeof proj, "%s/mmproj-Gemma-F16.gguf", tmpdir);
    assert_true(eb_mmproj(EB_GEMMA3, proj));
    snprintf(out, sizeof out, "%s/gen-proj.yaml", tmpdir);
    run_result r = RUN("ggplace", "swap", "--generate", proj, GP_SOURCE_DIR "/examples/gemma-3-4b.gguf",
                       GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf", "--gpu", "24GiB", "--ram", "64GiB",
                       "--no-detect", "-o", out);
    if (r.rc != 0)
        fail_msg("generate: %s", r.err);
    run_free(&r);
    size_t len;
    char *text = read_all(out, &len);
    assert_non_null(strstr(text, "\"gemma-3-4b\":"));
    assert_non_null(strstr(text, "\"llama-3.1-8b\":"));
    assert_null(strstr(text, "\"mmproj"));
    free(text);
}

static void test_generate(void **state)
{
    (void)state;
    if (!calib_present())
        skip();
    const size_t n = sizeof calib_models / sizeof calib_models[0];
    const char *argv[32] = {"ggplace", "swap", "--generate"};
    int argc = 3;
    char paths[8][512];
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], MODELS "/%s.gguf", calib_models[i]);
        argv[argc++] = paths[i];
    }
    char out[256];
    snprintf(out, sizeof out, "%s/generated.yaml", tmpdir);
    const char *tail[] = {"--gpu", "24GiB", "--ram", "64GiB", "--no-detect", "-o", out};
    for (size_t i = 0; i < 7; i++)
        argv[argc++] = tail[i];
    run_result r = run_argv(argc, argv);
    if (r.rc != 0)
        fail_msg("generate: %s", r.err);
    run_free(&r);
    size_t len;
    char *text = read_all(out, &len);
    gp_yaml y;
    assert_int_equal(gp_yaml_load(&y, out, text, len, NULL), GP_OK);
    yaml_node_t *root = gp_yaml_root(&y);
    keys_within(&y, root, top_keys, "top level");
    assert_null(gp_yaml_get(&y, root, "groups", NULL));
    yaml_node_t *models = gp_yaml_get(&y, root, "models", NULL);
    assert_non_null(models);
    assert_int_equal(models->data.mapping.pairs.top - models->data.mapping.pairs.start, (long)n);
    for (yaml_node_pair_t *p = models->data.mapping.pairs.start; p < models->data.mapping.pairs.top; p++) {
        yaml_node_t *m = gp_yaml_node(&y, p->value);
        keys_within(&y, m, model_keys, "model");
        const char *cmd = gp_yaml_str(gp_yaml_get(&y, m, "cmd", NULL));
        assert_non_null(cmd);
        assert_contains(cmd, "--port ${PORT}\n");
        assert_int_equal(gp_yaml_get(&y, m, "cmd", NULL)->data.scalar.style, YAML_LITERAL_SCALAR_STYLE);
    }
    yaml_node_t *routing = gp_yaml_get(&y, root, "routing", NULL);
    keys_within(&y, routing, routing_keys, "routing");
    yaml_node_t *router = gp_yaml_get(&y, routing, "router", NULL);
    keys_within(&y, router, router_keys, "routing.router");
    assert_string_equal(gp_yaml_str(gp_yaml_get(&y, router, "use", NULL)), "matrix");
    yaml_node_t *settings = gp_yaml_get(&y, router, "settings", NULL);
    keys_within(&y, settings, settings_keys, "routing.router.settings");
    yaml_node_t *matrix = gp_yaml_get(&y, settings, "matrix", NULL);
    keys_within(&y, matrix, matrix_keys, "matrix");
    yaml_node_t *vars = gp_yaml_get(&y, matrix, "vars", NULL), *sets = gp_yaml_get(&y, matrix, "sets", NULL);
    assert_non_null(vars);
    assert_non_null(sets);

    /* Vars: ^[a-zA-Z0-9]{1,8}$, each naming a model. */
    char var_names[8][16], var_id_store[8][64];
    const char *var_ids[8];
    size_t n_vars = 0;
    for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top; p++) {
        const char *v = gp_yaml_str(gp_yaml_node(&y, p->key));
        const char *id = gp_yaml_str(gp_yaml_node(&y, p->value));
        assert_true(strlen(v) >= 1 && strlen(v) <= 8);
        for (const char *c = v; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'));
        assert_non_null(gp_yaml_get(&y, models, id, NULL));
        snprintf(var_names[n_vars], 16, "%s", v);
        snprintf(var_id_store[n_vars], 64, "%s", id);
        var_ids[n_vars] = var_id_store[n_vars];
        n_vars++;
    }
    assert_int_equal(n_vars, n);
    yaml_node_t *costs = gp_yaml_get(&y, matrix, "evict_costs", NULL);
    for (yaml_node_pair_t *p = costs->data.mapping.pairs.start; p < costs->data.mapping.pairs.top; p++)
        assert_true(strtol(gp_yaml_str(gp_yaml_node(&y, p->value)), NULL, 10) >= 1);

    /* Every set fits VRAM and RAM by the memory model; none is a subset of another. */
    gp_devices d;
    gp_devices_init(&d);
    assert_int_equal(gp_devices_add_gpu_spec(&d, "24GiB", NULL), GP_OK);
    d.dev[0].total = d.dev[0].free = 64 * GiB;
    uint64_t need[8][GP_MAX_DEVICES], budget[GP_MAX_DEVICES];
    for (size_t k = 0; k < n_vars; k++)
        footprint(var_ids[k], &d, need[k], budget);
    uint64_t masks[64];
    size_t n_sets = 0;
    for (yaml_node_pair_t *p = sets->data.mapping.pairs.start; p < sets->data.mapping.pairs.top; p++) {
        const char *dsl = gp_yaml_str(gp_yaml_node(&y, p->value));
        uint64_t m = members_mask(dsl, var_names, var_ids, n_vars);
        for (uint32_t dv = 0; dv < d.n; dv++) {
            uint64_t sum = 0;
            for (size_t k = 0; k < n_vars; k++)
                if (m >> k & 1)
                    sum += need[k][dv];
            if (sum > budget[dv])
                fail_msg("set '%s' needs %llu bytes on %s, budget %llu", dsl, (unsigned long long)sum,
                         d.dev[dv].name, (unsigned long long)budget[dv]);
        }
        masks[n_sets++] = m;
    }
    assert_true(n_sets >= 1);
    for (size_t a = 0; a < n_sets; a++)
        for (size_t b = 0; b < n_sets; b++)
            if (a != b)
                assert_false((masks[a] & masks[b]) == masks[a]);
    gp_yaml_free(&y);
    free(text);

    /* Legacy groups: top-level groups only, each fitting, a model in one group. */
    argv[argc++] = "--groups";
    argv[argc++] = "legacy";
    r = run_argv(argc, argv);
    assert_int_equal(r.rc, 0);
    run_free(&r);
    text = read_all(out, &len);
    assert_int_equal(gp_yaml_load(&y, out, text, len, NULL), GP_OK);
    root = gp_yaml_root(&y);
    keys_within(&y, root, top_keys, "top level");
    assert_null(gp_yaml_get(&y, root, "routing", NULL));
    yaml_node_t *groups = gp_yaml_get(&y, root, "groups", NULL);
    assert_non_null(groups);
    uint64_t seen = 0;
    for (yaml_node_pair_t *p = groups->data.mapping.pairs.start; p < groups->data.mapping.pairs.top; p++) {
        yaml_node_t *g = gp_yaml_node(&y, p->value);
        keys_within(&y, g, group_keys, "group");
        yaml_node_t *members = gp_yaml_get(&y, g, "members", NULL);
        assert_non_null(members);
        uint64_t sum[GP_MAX_DEVICES] = {0};
        for (yaml_node_item_t *it = members->data.sequence.items.start; it < members->data.sequence.items.top; it++) {
            const char *id = gp_yaml_str(gp_yaml_node(&y, *it));
            size_t k = 0;
            while (k < n_vars && strcmp(var_ids[k], id))
                k++;
            assert_true(k < n_vars);
            assert_false(seen >> k & 1);
            seen |= 1ull << k;
            for (uint32_t dv = 0; dv < d.n; dv++)
                sum[dv] += need[k][dv];
        }
        for (uint32_t dv = 0; dv < d.n; dv++)
            assert_true(sum[dv] <= budget[dv]);
    }
    gp_yaml_free(&y);
    free(text);
}

static void test_diff(void **state)
{
    (void)state;
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11";
    char *d = gp_swap_diff(a, strlen(a), b, strlen(b), "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n"
                           "@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n"
                           "\\ No newline at end of file\n");
    free(d);
    d = gp_swap_diff(a, strlen(a), a, strlen(a), "a", "b");
    assert_string_equal(d, "");
    free(d);
}

static void test_help(void **state)
{
    (void)state;
    run_result r = RUN("ggplace", "help", "swap");
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "ggplace swap CONFIG.yaml");
    assert_contains(r.out, "--generate");
    run_free(&r);
    r = RUN("ggplace", "swap");
    assert_int_equal(r.rc, 2);
    run_free(&r);
    r = RUN("ggplace", "swap", "a.yaml", "b.yaml");
    assert_int_equal(r.rc, 2);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_rules),
        cmocka_unit_test(test_yaml_source),
        cmocka_unit_test(test_rewrite_realistic),
        cmocka_unit_test(test_dry_run_and_output),
        cmocka_unit_test(test_unknown_model),
        cmocka_unit_test(test_broken_yaml),
        cmocka_unit_test(test_write_failures),
        cmocka_unit_test(test_styles_and_wrappers),
        cmocka_unit_test(test_group_shares_devices),
        cmocka_unit_test(test_matrix_shares_devices),
        cmocka_unit_test(test_env_macro_block),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_corun_sets),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_generate_projector_first),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
