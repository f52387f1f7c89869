/* verify's handling of llama-server, with a stand-in that misbehaves on
 * request: missing binaries, refused flags, a crash, a taken port, a
 * start-up that never ends, and ggplace itself killed mid-run. No process
 * may be left running in any case. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "hw/device.h"
#include "util/proc.h"
#include "verify/verify.h"

static char dir[64];
static char pidfile[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ggplace-fake-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char link[128];
    snprintf(link, sizeof link, "%s/llama-server", dir);
    if (symlink(GP_FAKE_SERVER, link) != 0)
        return -1;
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    setenv("GGPLACE_FAKE_PIDFILE", pidfile, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* True if the stand-in whose pid was recorded is still running. */
static bool fake_alive(void)
{
    FILE *f = fopen(pidfile, "r");
    if (!f)
        return false;
    int pid = 0;
    int n = fscanf(f, "%d", &pid);
    fclose(f);
    unlink(pidfile);
    if (n != 1 || pid <= 0)
        return false;
    /* Give a dying process a moment to be reaped by its parent. */
    for (int i = 0; i < 50; i++) {
        if (kill(pid, 0) != 0)
            return false;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    return true;
}

static gp_status run(const char *mode, gp_verify_result *r, gp_error *err, int start_timeout)
{
    setenv("GGPLACE_FAKE_MODE", mode, 1);
    gp_devices d;
    gp_devices_init(&d);
    gp_verify_opts o;
    gp_verify_opts_default(&o);
    o.llama_dir = dir;
    o.runs = 2;
    o.n_prompt = 8;
    o.n_predict = 2;
    o.start_timeout_s = start_timeout;
    o.request_timeout_s = 10;
    char *args[] = {"-c", "512", NULL};
    return gp_verify_run("/dev/null", args, &d, &o, r, err);
}

static void test_ok(void **state)
{
    (void)state;
    gp_verify_result r;
    gp_error err;
    assert_int_equal(run("ok", &r, &err, 20), GP_OK);
    assert_int_equal(r.runs, 2);
    assert_true(r.decode_tps > 56 && r.decode_tps < 57);
    assert_true(r.measured.model_mib[0] > 12.49 && r.measured.model_mib[0] < 12.51);
    assert_string_equal(r.version, "version: 1 (fake)");
    assert_false(fake_alive());
}

static void test_missing_binary(void **state)
{
    (void)state;
    gp_devices d;
    gp_devices_init(&d);
    gp_verify_opts o;
    gp_verify_opts_default(&o);
    o.llama_dir = "/nonexistent";
    gp_verify_result r;
    gp_error err;
    assert_int_equal(gp_verify_run("/dev/null", NULL, &d, &o, &r, &err), GP_ERR_MISSING);
    assert_non_null(strstr(err.message, "llama-server not found"));
}

static void test_refused_flags(void **state)
{
    (void)state;
    gp_verify_result r;
    gp_error err;
    assert_int_not_equal(run("refuse", &r, &err, 20), GP_OK);
    assert_non_null(strstr(err.message, "exited during start-up"));
    assert_non_null(strstr(r.log_tail, "invalid argument"));
    assert_false(fake_alive());
}

static void test_crash_mid_run(void **state)
{
    (void)state;
    gp_verify_result r;
    gp_error err;
    assert_int_not_equal(run("crash", &r, &err, 20), GP_OK);
    assert_non_null(strstr(err.message, "crashed"));
    assert_false(fake_alive());
}

static void test_port_taken(void **state)
{
    (void)state;
    gp_verify_result r;
    gp_error err;
    assert_int_not_equal(run("busyport", &r, &err, 20), GP_OK);
    assert_non_null(strstr(r.log_tail, "bind"));
    assert_false(fake_alive());
}

static void test_startup_timeout(void **state)
{
    (void)state;
    gp_verify_result r;
    gp_error err;
    int64_t t0 = gp_now_ms();
    assert_int_not_equal(run("hang", &r, &err, 2), GP_OK);
    assert_non_null(strstr(err.message, "did not become ready"));
    assert_true(gp_now_ms() - t0 < 20000);
    assert_false(fake_alive());
}

/* ggplace killed (SIGKILL, no chance to clean up) while llama-server runs:
 * the server is told to stop by the kernel. Interrupted (SIGINT): ggplace
 * stops it itself. */
static void on_sigint(int sig)
{
    (void)sig;
    gp_verify_abort();
    _exit(130);
}

static void killed_mid_run(int sig)
{
    setenv("GGPLACE_FAKE_MODE", "slow", 1);
    unlink(pidfile);
    pid_t child = fork();
    if (child == 0) {
        gp_devices d;
        gp_devices_init(&d);
        gp_verify_opts o;
        gp_verify_opts_default(&o);
        o.llama_dir = dir;
        o.runs = 1;
        o.n_prompt = 8;
        o.n_predict = 2;
        gp_verify_result r;
        gp_error err;
        if (sig == SIGINT)
            signal(SIGINT, on_sigint);
        gp_verify_run("/dev/null", NULL, &d, &o, &r, &err);
        _exit(0);
    }
    /* Wait until the stand-in is up and answering, then kill ggplace. */
    for (int i = 0; i < 100 && access(pidfile, F_OK) != 0; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    kill(child, sig);
    if (sig == SIGINT) {
        ts.tv_sec = 1;
        nanosleep(&ts, NULL);
        kill(child, SIGKILL);
    }
    waitpid(child, NULL, 0);
    assert_false(fake_alive());
}

static void test_killed_mid_run(void **state)
{
    (void)state;
    killed_mid_run(SIGKILL);
    killed_mid_run(SIGINT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_missing_binary),
        cmocka_unit_test(test_refused_flags),
        cmocka_unit_test(test_crash_mid_run),
        cmocka_unit_test(test_port_taken),
        cmocka_unit_test(test_startup_timeout),
        cmocka_unit_test(test_killed_mid_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
