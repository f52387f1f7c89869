/*
 * Plans a model through libggplace alone: one 24 GiB GPU and 64 GiB of RAM,
 * described rather than detected, so the output depends only on the model.
 *
 *   cc plan.c $(pkg-config --cflags --libs ggplace) -o plan
 *   ./plan MODEL.gguf [LLAMA.CPP FLAGS TO KEEP]
 *
 * Prints llama-server's arguments, the predicted decode speed and what each
 * device holds at load and in use. Exit status: 0, 1 when nothing fits or the
 * model cannot be read, 2 for bad arguments.
 */
#include <stdio.h>

#include <ggplace.h>

#define GIB (1024.0 * 1024 * 1024)

static int fail(const char *what, const gp_error *err)
{
    fprintf(stderr, "plan: %s: %s%s%s\n", what, err->file[0] ? err->file : "", err->file[0] ? ": " : "",
            err->message);
    return err->status == GP_ERR_ARG ? 2 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf [LLAMA.CPP FLAGS TO KEEP]\n", argv[0]);
        return 2;
    }
    gp_error err = {0};
    gp_model *model = NULL;
    gp_devices *devices = NULL;
    gp_command *cmd = NULL;
    gp_plan_request *req = NULL;
    gp_plan_result *plan = NULL;
    int rc = 0;

    if (gp_model_open(argv[1], &model, &err) != GP_OK) {
        rc = fail("model", &err);
        goto done;
    }
    /* The machine: the CPU with 64 GiB of RAM, and one 24 GiB CUDA GPU. */
    if (gp_devices_new(&devices, &err) != GP_OK || gp_devices_set_ram(devices, 64ull << 30, &err) != GP_OK ||
        gp_devices_add_gpu(devices, "24GiB", &err) != GP_OK) {
        rc = fail("devices", &err);
        goto done;
    }
    /* Flags after the model are kept as given; the planner chooses the rest. */
    if (gp_command_parse(argc - 2, (const char *const *)argv + 2, GP_APP_SERVER, &cmd, &err) != GP_OK) {
        rc = fail("flags", &err);
        goto done;
    }
    if (gp_plan_request_new(&req, &err) != GP_OK || gp_plan_request_set_preset(req, "balanced", &err) != GP_OK) {
        rc = fail("request", &err);
        goto done;
    }
    if (gp_plan_create(model, cmd, devices, req, &plan, &err) != GP_OK) {
        rc = fail("plan", &err);
        goto done;
    }

    printf("model    %s (%s)\n", argv[1], gp_model_architecture(model));
    printf("args    ");
    for (const char *const *a = gp_plan_result_args(plan); *a; a++)
        printf(" %s", *a);
    printf("\ndecode   %.1f t/s predicted (prefill %.0f t/s)\n", gp_plan_result_decode_tps(plan),
           gp_plan_result_prefill_tps(plan));

    const gp_mem *mem = gp_plan_result_mem(plan);
    printf("%-8s %10s %10s %10s %10s %10s\n", "device", "weights", "KV/state", "compute", "at load", "in use");
    for (uint32_t i = 0; i < gp_mem_device_count(mem); i++)
        printf("%-8s %6.2f GiB %6.2f GiB %6.2f GiB %6.2f GiB %6.2f GiB\n", gp_mem_device_name(mem, i),
               gp_mem_model_bytes(mem, i) / GIB, gp_mem_context_bytes(mem, i) / GIB,
               gp_mem_compute_bytes(mem, i) / GIB, gp_mem_total_at_load(mem, i) / GIB,
               gp_mem_total_in_use(mem, i) / GIB);
    for (uint32_t i = 0; i < gp_plan_result_why_count(plan); i++)
        printf("why      %s\n", gp_plan_result_why(plan, i));

done:
    gp_plan_result_close(&plan);
    gp_plan_request_close(&req);
    gp_command_close(&cmd);
    gp_devices_close(&devices);
    gp_model_close(&model);
    return rc;
}
