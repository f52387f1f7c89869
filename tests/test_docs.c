/* The option table, --help, the man page and the shell completions agree:
 * every command the CLI runs is in the table, every option a command's
 * --help lists is in the table and the other way round, and the generated
 * ggplace.1, bash and zsh completions hold exactly the table's options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/options_table.h"
#include "plan/plan.h"

/* ---- sets of option tokens ------------------------------------------------------- */

typedef struct tokset {
    char *v[512];
    int n;
} tokset;

static void ts_add(tokset *s, const char *tok, size_t len)
{
    for (int i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && !strncmp(s->v[i], tok, len))
            return;
    assert_true(s->n < 512);
    s->v[s->n] = strndup(tok, len);
    s->n++;
}

static void ts_free(tokset *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

static bool ts_has(const tokset *s, const char *tok)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], tok))
            return true;
    return false;
}

/* Fails naming what one side has and the other lacks. */
static void ts_equal(const tokset *want, const tokset *got, const char *what)
{
    char msg[4096] = "";
    for (int i = 0; i < want->n; i++)
        if (!ts_has(got, want->v[i]) && strlen(msg) + strlen(want->v[i]) + 16 < sizeof msg) {
            strcat(msg, " missing ");
            strcat(msg, want->v[i]);
        }
    for (int i = 0; i < got->n; i++)
        if (!ts_has(want, got->v[i]) && strlen(msg) + strlen(got->v[i]) + 16 < sizeof msg) {
            strcat(msg, " extra ");
            strcat(msg, got->v[i]);
        }
    if (msg[0])
        fail_msg("%s:%s", what, msg);
}

/* Option tokens (-x, --long-name) in text, each at the start or after a
 * space, comma, slash, bar or parenthesis. */
static void tokens(tokset *s, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '-' || (i > 0 && !strchr(" ,/|(\t", text[i - 1])))
            continue;
        size_t j = i + 1;
        if (j < len && text[j] == '-')
            j++;
        if (j >= len || !((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z')))
            continue;
        while (j < len && (text[j] == '-' || (text[j] >= 'a' && text[j] <= 'z') ||
                           (text[j] >= 'A' && text[j] <= 'Z') || (text[j] >= '0' && text[j] <= '9')))
            j++;
        ts_add(s, text + i, j - i);
        i = j;
    }
}

static void table_group(tokset *s, const gp_option_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        ts_add(s, g->opts[i].name, strlen(g->opts[i].name));
        if (g->opts[i].alias)
            ts_add(s, g->opts[i].alias, strlen(g->opts[i].alias));
    }
}

static void table_own(tokset *s, const gp_command_doc *c)
{
    for (const gp_option_group *const *g = c->groups; *g; g++)
        table_group(s, *g);
}

/* What completion offers: its own options, inherited ones and --help. */
static void table_all(tokset *s, const gp_command_doc *c)
{
    table_own(s, c);
    if (c->inherits) {
        const gp_command_doc *p = gp_command_doc_find(c->inherits);
        assert_non_null(p);
        table_own(s, p);
    }
    ts_add(s, "--help", 6);
}

/* ---- the program's own output --------------------------------------------------- */

static char *run_cli(int argc, const char **argv)
{
    char *out = NULL, *err = NULL;
    size_t on = 0, en = 0;
    FILE *o = open_memstream(&out, &on), *e = open_memstream(&err, &en);
    int rc = gp_cli_main(argc, (char **)argv, o, e);
    fclose(o);
    fclose(e);
    free(err);
    assert_int_equal(rc, 0);
    return out;
}

/* Option lines of a help text: indented by two spaces and starting with a
 * dash; the option column ends at the first run of two spaces. */
static void help_tokens(tokset *s, const char *help)
{
    for (const char *line = help; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 3 && !strncmp(line, "  -", 3)) {
            const char *col = line + 2;
            const char *stop = strstr(col, "  ");
            size_t n = stop && stop < line + len ? (size_t)(stop - col) : len - 2;
            tokens(s, col, n);
        }
        line += len + (end ? 1 : 0);
    }
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (is the ggplace_docs target built?)", path);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_commands_match_cli(void **state)
{
    (void)state;
    tokset cli = {0}, table = {0};
    for (size_t i = 0; gp_cli_command_name(i); i++)
        ts_add(&cli, gp_cli_command_name(i), strlen(gp_cli_command_name(i)));
    ts_add(&cli, "help", 4);
    for (size_t i = 0; i < gp_n_command_docs; i++)
        ts_add(&table, gp_command_docs[i].name, strlen(gp_command_docs[i].name));
    ts_equal(&cli, &table, "commands in the CLI vs the option table");
    ts_free(&cli);
    ts_free(&table);

    /* ggplace --help lists every command with the table's summary. */
    const char *argv[] = {"ggplace", "--help"};
    char *help = run_cli(2, argv);
    for (size_t i = 0; i < gp_n_command_docs; i++) {
        char line[256];
        snprintf(line, sizeof line, "  %-10s %s\n", gp_command_docs[i].name, gp_command_docs[i].summary);
        if (!strstr(help, line))
            fail_msg("ggplace --help lacks the line '%s'", line);
    }
    tokset got = {0}, want = {0};
    help_tokens(&got, help);
    table_group(&want, &gp_global_options);
    ts_equal(&want, &got, "ggplace --help options");
    ts_free(&got);
    ts_free(&want);
    free(help);
}

static void test_help_matches_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < gp_n_command_docs; i++) {
        const gp_command_doc *c = &gp_command_docs[i];
        if (!strcmp(c->name, "help"))
            continue;
        const char *argv[] = {"ggplace", "help", c->name};
        char *help = run_cli(3, argv);
        tokset got = {0}, want = {0};
        help_tokens(&got, help);
        table_own(&want, c);
        char what[64];
        snprintf(what, sizeof what, "ggplace help %s", c->name);
        ts_equal(&want, &got, what);
        if (c->inherits)
            assert_non_null(gp_command_doc_find(c->inherits));
        ts_free(&got);
        ts_free(&want);
        free(help);
    }
}

static void test_presets_match_planner(void **state)
{
    (void)state;
    int n = 0;
    for (; gp_preset_values[n]; n++)
        assert_string_equal(gp_preset_values[n], gp_preset_name((gp_preset)n));
    assert_int_equal(n, GP_PRESET_COUNT);
}

/* Removes troff escapes: \- to -, \fB \fI \fR and \& dropped. */
static void unroff(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] == '-') {
            *w++ = '-';
            r += 2;
        } else if (r[0] == '\\' && r[1] == 'f' && r[2]) {
            r += 3;
        } else if (r[0] == '\\' && r[1] == '&') {
            r += 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

static void test_man_page(void **state)
{
    (void)state;
    char *man = read_all(GP_DOCS_DIR "/ggplace.1");
    for (size_t i = 0; i < gp_n_command_docs + 1; i++) {
        const gp_command_doc *c = i < gp_n_command_docs ? &gp_command_docs[i] : NULL;
        char head[96];
        snprintf(head, sizeof head, c ? ".SS \"ggplace %s " : ".SH OPTIONS\n", c ? c->name : "");
        char *sec = strstr(man, head);
        if (!sec)
            fail_msg("ggplace.1 has no section '%s'", head);
        char *next = strstr(sec + 1, "\n.S");
        size_t len = next ? (size_t)(next - sec) : strlen(sec);
        char *copy = strndup(sec, len);
        tokset got = {0}, want = {0};
        /* The option is the line after each .TP. */
        for (char *p = strstr(copy, ".TP\n"); p; p = strstr(p + 1, ".TP\n")) {
            char *l = p + 4, *e = strchr(l, '\n');
            char *tag = strndup(l, e ? (size_t)(e - l) : strlen(l));
            unroff(tag);
            tokens(&got, tag, strlen(tag));
            free(tag);
        }
        if (c)
            table_own(&want, c);
        else
            table_group(&want, &gp_global_options);
        ts_equal(&want, &got, head);
        ts_free(&got);
        ts_free(&want);
        free(copy);
    }
    free(man);
}

static void test_bash_completion(void **state)
{
    (void)state;
    char *sh = read_all(GP_DOCS_DIR "/ggplace.bash");
    assert_non_null(strstr(sh, "complete -F _ggplace ggplace"));
    char *cmds = strstr(sh, "local commands=\"");
    assert_non_null(cmds);
    cmds += strlen("local commands=\"");
    for (size_t i = 0; i < gp_n_command_docs; i++) {
        const gp_command_doc *c = &gp_command_docs[i];
        char word[64];
        snprintf(word, sizeof word, "%s", c->name);
        char *q = strchr(cmds, '"');
        char *list = strndup(cmds, (size_t)(q - cmds));
        char padded[1024];
        snprintf(padded, sizeof padded, " %s ", list);
        char needle[80];
        snprintf(needle, sizeof needle, " %s ", word);
        if (!strstr(padded, needle))
            fail_msg("bash completion does not offer the command %s", c->name);
        free(list);
        if (!strcmp(c->name, "help"))
            continue;
        char head[96];
        snprintf(head, sizeof head, "\n        %s) opts=\"", c->name);
        char *p = strstr(sh, head);
        if (!p)
            fail_msg("bash completion has no case for %s", c->name);
        p += strlen(head);
        char *e = strchr(p, '"');
        tokset got = {0}, want = {0};
        tokens(&got, p, (size_t)(e - p));
        table_all(&want, c);
        char what[64];
        snprintf(what, sizeof what, "bash completion of %s", c->name);
        ts_equal(&want, &got, what);
        ts_free(&got);
        ts_free(&want);
    }
    /* Values: every choice is offered after its option. */
    const gp_command_doc *plan = gp_command_doc_find("plan");
    assert_non_null(plan);
    char *preset = strstr(sh, "\"plan --preset\")");
    assert_non_null(preset);
    for (int i = 0; gp_preset_values[i]; i++) {
        char *eol = strstr(preset, "return ;;");
        char *hit = strstr(preset, gp_preset_values[i]);
        assert_true(hit && hit < eol);
    }
    assert_non_null(strstr(sh, "\"report --output\"|\"report -o\")\n            _ggplace_files \"html\""));
    free(sh);
}

static void test_zsh_completion(void **state)
{
    (void)state;
    char *zsh = read_all(GP_DOCS_DIR "/_ggplace");
    assert_true(!strncmp(zsh, "#compdef ggplace\n", 17));
    for (size_t i = 0; i < gp_n_command_docs; i++) {
        const gp_command_doc *c = &gp_command_docs[i];
        char entry[64];
        snprintf(entry, sizeof entry, "\n    '%s:", c->name);
        if (!strstr(zsh, entry))
            fail_msg("zsh completion does not describe the command %s", c->name);
        if (!strcmp(c->name, "help"))
            continue;
        char head[96];
        snprintf(head, sizeof head, "_ggplace_%s() {\n", c->name);
        char *p = strstr(zsh, head);
        if (!p)
            fail_msg("zsh completion has no function for %s", c->name);
        char *e = strstr(p, "\n}\n");
        tokset got = {0}, want = {0};
        /* Each spec is '[*]-option[description]...'. */
        for (char *q = p; q < e; q++) {
            if (*q != '\'' || (q[1] != '-' && !(q[1] == '*' && q[2] == '-')))
                continue;
            char *o = q + 1 + (q[1] == '*');
            char *b = strchr(o, '[');
            if (b && b < e)
                ts_add(&got, o, (size_t)(b - o));
            q = b ? b : q;
        }
        table_all(&want, c);
        char what[64];
        snprintf(what, sizeof what, "zsh completion of %s", c->name);
        ts_equal(&want, &got, what);
        ts_free(&got);
        ts_free(&want);
    }
    free(zsh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_match_cli),
        cmocka_unit_test(test_help_matches_table),
        cmocka_unit_test(test_presets_match_planner),
        cmocka_unit_test(test_man_page),
        cmocka_unit_test(test_bash_completion),
        cmocka_unit_test(test_zsh_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
