/* verify's handling of llama-server, with a stand-in that misbehaves on
 * request: missing binaries, refused flags, a crash, a taken port, a
 * start-up that never ends, and ggplace itself killed mid-run. No process
 * may be left running in any case. */
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
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
#include "memory/device.h"
#include "util/proc.h"
#include "verify/verify.h"

static char dir[64];
static char pidfile[128];
static char scratch[128];   /* TMPDIR: where the servers' logs are made */

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
    snprintf(scratch, sizeof scratch, "%s/tmp", dir);
    if (mkdir(scratch, 0700) != 0)
        return -1;
    setenv("TMPDIR", scratch, 1);
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

/* An unusable TMPDIR: one line naming it, and no server started. */
static void test_scratch_dir_missing(void **state)
{
    (void)state;
    setenv("TMPDIR", "/nonexistent/scratch", 1);
    gp_verify_result r;
    gp_error err;
    gp_status st = run("ok", &r, &err, 20);
    setenv("TMPDIR", scratch, 1);
    assert_int_equal(st, GP_ERR_IO);
    assert_string_equal(err.file, "/nonexistent/scratch");
    assert_non_null(strstr(err.message, "cannot create llama-server's log"));
    assert_null(strchr(err.message, '\n'));
    assert_false(fake_alive());
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

/* ---- interrupted at every phase, on a busy machine ------------------------------ */

/* Two busy loops in a group of their own, for the length of a test. */
static pid_t burner_start(void)
{
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 2; i++)
            if (fork() == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (volatile unsigned long x = 0;; x++)
                    ;
            }
        for (;;)
            pause();
    }
    setpgid(b, b);
    return b;
}

static void burner_stop(pid_t b)
{
    kill(-b, SIGKILL);
    waitpid(b, NULL, 0);
}

/* What /proc says of a process: state, process group, and whether it is
 * dying (exiting, or SIGKILL pending); false when it is gone. */
static bool proc_state(pid_t pid, char *state, int *pgrp, bool *dying)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* The name may hold spaces and parentheses: the fields follow the last ')'. */
    const char *close = ok ? strrchr(line, ')') : NULL;
    unsigned long flags = 0;
    if (!close || sscanf(close + 1, " %c %*d %d %*d %*d %*d %lu", state, pgrp, &flags) != 3)
        return false;
    *dying = (flags & 0x4) != 0; /* PF_EXITING */
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r"))) {
        while (fgets(line, sizeof line, f)) {
            unsigned long long mask;
            if ((sscanf(line, "SigPnd: %llx", &mask) == 1 || sscanf(line, "ShdPnd: %llx", &mask) == 1) &&
                (mask & (1ull << (SIGKILL - 1))))
                *dying = true;
        }
        fclose(f);
    }
    return true;
}

/* The processes left behind that ggplace answers for, other than the
 * burner; -1 when /proc cannot say. This process is a subreaper, so
 * orphans come to it. A process the server itself started (the leak
 * checker of an instrumented stand-in forks one at exit) dies with the
 * server's group and comes here dead or dying, to be reaped here as init
 * would: ggplace waits for its own children, not for theirs. Such a
 * process is told from ggplace's children by not leading its group, as
 * ggplace makes every child it starts a group leader before any stop
 * signal can be handled. What counts: any process neither dead nor dying,
 * and a child of ggplace's that ggplace did not reap. */
static int foreign_children(pid_t burner, char *list, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, pid;
    list[0] = 0;
    size_t used = 0;
    while (fscanf(f, "%d", &pid) == 1) {
        if (pid == burner)
            continue;
        char state = '?';
        int pgrp = 0;
        bool dying = false;
        if (proc_state(pid, &state, &pgrp, &dying) && pgrp != pid && (state == 'Z' || dying)) {
            waitpid(pid, NULL, 0);
            continue;
        }
        n++;
        used += (size_t)snprintf(list + used, used < cap ? cap - used : 0, " %d(%c)", pid, state);
    }
    fclose(f);
    return n;
}

/* ggplace as the CLI runs verify: the stop signals trapped, then the run. */
static pid_t start_verify(const char *mode)
{
    setenv("GGPLACE_FAKE_MODE", mode, 1);
    unlink(pidfile);
    fflush(NULL);
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
        o.start_timeout_s = 60;
        gp_verify_result r;
        gp_error err;
        gp_proc_trap_signals();
        gp_verify_run("/dev/null", NULL, &d, &o, &r, &err);
        _exit(0);
    }
    return child;
}

/* Waits up to ms for the stand-in to have written its pid. */
static bool fake_started(int ms)
{
    for (int waited = 0; access(pidfile, F_OK) != 0; waited += 10) {
        if (waited >= ms)
            return false;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return true;
}

/* Stops ggplace with sig; it must die of that signal having reaped the
 * stand-in itself: nothing of it is left, not even a zombie. */
/* The logs of llama-server and of its --version are gone, however ggplace
 * ended: nothing of ours is left in TMPDIR. */
static void assert_no_scratch(const char *phase)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", scratch);
    if (system(cmd) != 0)
        fail_msg("%s: files left in %s", phase, scratch);
}

static void interrupt_and_check(pid_t child, int sig, pid_t burner, const char *phase)
{
    kill(child, sig);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
        fail_msg("%s: ggplace did not die of signal %d (status 0x%x)", phase, sig, status);
    char left[256];
    int n = foreign_children(burner, left, sizeof left);
    if (n > 0) {
        char path[64], stat[256] = "";
        snprintf(path, sizeof path, "/proc/%d/stat", atoi(left));
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(stat, sizeof stat, f))
                stat[0] = 0;
            fclose(f);
        }
        fail_msg("%s: signal %d: ggplace exited leaving processes behind:%s (%s)", phase, sig, left, stat);
    }
    if (n < 0)
        assert_false(fake_alive());
    assert_no_scratch(phase);
}

static void test_interrupted_at_every_phase(void **state)
{
    (void)state;
    /* Orphans come to this process, so none can hide behind init. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t burner = burner_start();
    /* Starting: at once and at a range of moments in the first
     * milliseconds, before and around the fork and exec of the server. */
    static const int delays_us[] = {0, 200, 500, 1000, 2000, 3000, 5000, 8000, 13000, 21000, 34000};
    const size_t n_delays = sizeof delays_us / sizeof delays_us[0];
    for (size_t i = 0; i < n_delays; i++) {
        pid_t c = start_verify("hang");
        struct timespec ts = {0, delays_us[i] * 1000L};
        nanosleep(&ts, NULL);
        interrupt_and_check(c, SIGINT, burner, "starting");
    }
    /* Loading: a server that ignores SIGTERM while it loads. */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < 3; i++) {
        pid_t c = start_verify("deaf");
        assert_true(fake_started(20000));
        interrupt_and_check(c, sigs[i], burner, "loading");
    }
    /* Serving: in the middle of a timed request. */
    for (size_t i = 0; i < 3; i++) {
        pid_t c = start_verify("slow");
        assert_true(fake_started(20000));
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        interrupt_and_check(c, sigs[i], burner, "serving");
    }
    /* ggplace killed outright: the kernel kills the server (SIGKILL, since a
     * loader may ignore SIGTERM); it comes to this process to be reaped. */
    pid_t c = start_verify("deaf");
    assert_true(fake_started(20000));
    FILE *f = fopen(pidfile, "r");
    int fake = 0;
    assert_int_equal(fscanf(f, "%d", &fake), 1);
    fclose(f);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    int status = 0;
    pid_t r = 0;
    for (int waited = 0; (r = waitpid(fake, &status, WNOHANG)) == 0 && waited < 5000; waited += 10) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    if (r != fake) {
        char left[256];
        foreign_children(burner, left, sizeof left);
        fail_msg("fake %d: waitpid %d errno %d; children:%s", fake, (int)r, errno, left);
    }
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail_msg("the orphaned server ended with status 0x%x, not by SIGKILL", status);
    assert_no_scratch("killed outright");
    burner_stop(burner);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_missing_binary),
        cmocka_unit_test(test_scratch_dir_missing),
        cmocka_unit_test(test_refused_flags),
        cmocka_unit_test(test_crash_mid_run),
        cmocka_unit_test(test_port_taken),
        cmocka_unit_test(test_startup_timeout),
        cmocka_unit_test(test_interrupted_at_every_phase),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
