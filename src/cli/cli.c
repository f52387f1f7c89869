#include "cli/cli.h"

#include <stdarg.h>
#include <string.h>

typedef struct command {
    const char *name;
    const char *summary;
    int (*run)(gp_cli *, int, char **);
    void (*help)(FILE *);
} command;

static const command commands[] = {
    {"inspect", "show what a GGUF model contains, from its header alone", gp_cmd_inspect, gp_help_inspect},
    {"devices", "show the devices llama.cpp will see, or describe another machine", gp_cmd_devices, gp_help_devices},
    {"mem", "predict what a llama.cpp command allocates on each device", gp_cmd_mem, gp_help_mem},
    {"plan", "choose the fastest llama-server settings that fit", gp_cmd_plan, gp_help_plan},
    {"verify", "run the plan in llama-server: real memory and speed next to the prediction", gp_cmd_verify, gp_help_verify},
    {"tune", "search the fastest settings with real llama-bench runs and calibrate the speed model", gp_cmd_tune, gp_help_tune},
    {"sparse", "write a runnable stand-in of a model: its header and a sparse zero data section", gp_cmd_sparse, gp_help_sparse},
    {"swap", "re-plan a llama-swap config in place, or write one with models that fit together", gp_cmd_swap, gp_help_swap},
    {"report", "draw a saved plan (--json) as a self-contained HTML page", gp_cmd_report, gp_help_report},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f)
{
    fprintf(f,
            "Usage: ggplace COMMAND [OPTIONS]\n"
            "\n"
            "Tells what llama.cpp will allocate for a GGUF model on each device, and\n"
            "which settings fit and run fastest.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "  %-10s %s\n"
            "\n"
            "Options:\n"
            "  -h, --help     show this help\n"
            "  --version      print the version\n"
            "\n"
            "Exit status: 0 success, 1 failure (unreadable or invalid input), 2 usage error.\n",
            "help", "show help for a command (ggplace help CMD)");
}

const char *gp_cli_command_name(size_t i)
{
    return i < N_COMMANDS ? commands[i].name : NULL;
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void gp_cli_error(gp_cli *cli, const gp_error *e)
{
    if (e->file[0])
        fprintf(cli->err, "ggplace: %s: %s\n", e->file, e->message);
    else
        fprintf(cli->err, "ggplace: %s\n", e->message);
}

int gp_cli_usage_error(gp_cli *cli, const char *fmt, ...)
{
    va_list ap;
    fprintf(cli->err, "ggplace: ");
    va_start(ap, fmt);
    vfprintf(cli->err, fmt, ap);
    va_end(ap);
    fprintf(cli->err, "\n");
    return GP_EXIT_USAGE;
}

int gp_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    gp_cli cli = {.out = out, .err = err, .prog = "ggplace"};
    if (argc < 2) {
        print_usage(err);
        return GP_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        print_usage(out);
        return GP_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        fprintf(out, "ggplace %s\n", gp_version());
        return GP_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            print_usage(out);
            return GP_EXIT_OK;
        }
        const command *c = find_command(argv[2]);
        if (!c)
            return gp_cli_usage_error(&cli, "unknown command '%s' (see ggplace --help)", argv[2]);
        c->help(out);
        return GP_EXIT_OK;
    }
    const command *c = find_command(cmd);
    if (!c)
        return gp_cli_usage_error(&cli, "unknown command '%s' (see ggplace --help)", cmd);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            c->help(out);
            return GP_EXIT_OK;
        }
        if (strcmp(argv[i], "--") == 0)
            break;
    }
    return c->run(&cli, argc - 1, argv + 1);
}
