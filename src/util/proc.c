#include "util/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

int64_t gp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gp_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the children that run now ---------------------------------------------- */

#define MAX_LIVE 32
/* Process ids (each its own group's id); 0 marks a free slot. Written by the
 * main flow with the stop signals held, read by their handler. */
static volatile sig_atomic_t live[MAX_LIVE];

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

static void hold_stop_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    for (size_t i = 0; i < N_STOP_SIGNALS; i++)
        sigaddset(&s, stop_signals[i]);
    sigprocmask(SIG_BLOCK, &s, old);
}

/* With the stop signals held. A full list leaves the child unlisted: the
 * kernel's parent-death signal still ends it with us. */
static void list_child(pid_t pid)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = pid;
            return;
        }
}

static void unlist_child(pid_t pid)
{
    sigset_t old;
    hold_stop_signals(&old);
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == pid)
            live[i] = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Waits (reaping) until every listed child is gone or ms have passed. */
static void reap_listed(int ms)
{
    for (int waited = 0;; waited += 10) {
        bool any = false;
        for (int i = 0; i < MAX_LIVE; i++) {
            pid_t pid = live[i];
            if (!pid)
                continue;
            pid_t r = waitpid(pid, NULL, WNOHANG);
            if (r == pid || (r < 0 && errno == ECHILD))
                live[i] = 0;
            else
                any = true;
        }
        if (!any || waited >= ms)
            return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* A child forked while this handler runs on another thread is not listed
 * yet: every child of the main thread still there is killed and reaped
 * (open, read and the rest are async-signal-safe). */
static void stop_unlisted(void)
{
    char path[64], buf[4096];
    pid_t self = getpid();
    int n = snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
    if (n <= 0 || (size_t)n >= sizeof path)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return;
    buf[len] = 0;
    for (char *p = buf; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        pid_t pid = 0;
        while (*p >= '0' && *p <= '9')
            pid = pid * 10 + (*p++ - '0');
        if (pid <= 0)
            break;
        kill(pid, SIGKILL);
        for (int waited = 0; waitpid(pid, NULL, WNOHANG) == 0 && waited < 5000; waited += 10) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

void gp_proc_stop_all(void)
{
    int saved = errno;
    pid_t group[MAX_LIVE];
    for (int i = 0; i < MAX_LIVE; i++)
        if ((group[i] = live[i]) > 0)
            kill(-group[i], SIGTERM);
    reap_listed(2000);
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] > 0)
            kill(-live[i], SIGKILL);
    reap_listed(5000);
    /* What the children left in their groups goes too. */
    for (int i = 0; i < MAX_LIVE; i++)
        if (group[i] > 0)
            kill(-group[i], SIGKILL);
    stop_unlisted();
    errno = saved;
}

static struct sigaction previous[N_STOP_SIGNALS];
static bool trapped;

static void on_stop_signal(int sig)
{
    gp_proc_stop_all();
    /* Die of the signal, as without the trap (it is delivered on return:
     * it is held while its handler runs). */
    signal(sig, SIG_DFL);
    raise(sig);
}

void gp_proc_trap_signals(void)
{
    if (trapped)
        return;
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    /* One stop at a time: the others are held while it runs. */
    for (size_t i = 0; i < N_STOP_SIGNALS; i++)
        sigaddset(&sa.sa_mask, stop_signals[i]);
    for (size_t i = 0; i < N_STOP_SIGNALS; i++)
        sigaction(stop_signals[i], &sa, &previous[i]);
    trapped = true;
}

void gp_proc_untrap_signals(void)
{
    if (!trapped)
        return;
    for (size_t i = 0; i < N_STOP_SIGNALS; i++)
        sigaction(stop_signals[i], &previous[i], NULL);
    trapped = false;
}

/* ---- starting and stopping one ------------------------------------------------ */

static gp_status start(gp_proc *p, char *const argv[], const char *stdout_path,
                       const char *stderr_path, bool join, gp_error *err);

gp_status gp_proc_start(gp_proc *p, char *const argv[], const char *log_path, gp_error *err)
{
    return start(p, argv, log_path, NULL, true, err);
}

gp_status gp_proc_start_split(gp_proc *p, char *const argv[], const char *stdout_path,
                              const char *stderr_path, gp_error *err)
{
    return start(p, argv, stdout_path, stderr_path, false, err);
}

static gp_status start(gp_proc *p, char *const argv[], const char *stdout_path,
                       const char *stderr_path, bool join, gp_error *err)
{
    memset(p, 0, sizeof *p);
    const char *log_path = stdout_path;
    int out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0)
        return gp_fail(err, GP_ERR_IO, log_path, "cannot open log: %s", strerror(errno));
    /* With one path, stderr joins stdout; with two, each has its own file. */
    int errfd = out;
    if (!join) {
        errfd = open(stderr_path ? stderr_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (errfd < 0) {
            close(out);
            return gp_fail(err, GP_ERR_IO, stderr_path, "cannot open log: %s", strerror(errno));
        }
    }
    /* A pipe closed on exec tells the parent whether exec worked. */
    int fds[2];
    if (pipe(fds) != 0) {
        if (errfd != out)
            close(errfd);
        close(out);
        return gp_fail(err, GP_ERR_IO, argv[0], "pipe: %s", strerror(errno));
    }
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    /* From fork to listing, no stop signal may come in between. */
    sigset_t old_mask;
    hold_stop_signals(&old_mask);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        if (errfd != out)
            close(errfd);
        close(out);
        close(fds[0]);
        close(fds[1]);
        return gp_fail(err, GP_ERR_IO, argv[0], "fork: %s", strerror(e));
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* If we die, even by SIGKILL, the child goes too: SIGKILL, since
         * llama-server may be busy loading and deaf to a polite SIGTERM. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(127);
        /* Our handlers are ours: the child starts with the default ones. */
        for (size_t i = 0; i < N_STOP_SIGNALS; i++)
            signal(stop_signals[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        dup2(out, 1);
        dup2(errfd, 2);
        close(fds[0]);
        execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    setpgid(pid, pid);
    list_child(pid);
    p->pid = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (errfd != out)
        close(errfd);
    close(out);
    close(fds[1]);
    int e = 0;
    ssize_t n;
    do
        n = read(fds[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        unlist_child(pid);
        p->pid = 0;
        return gp_fail(err, GP_ERR_IO, argv[0], "cannot run: %s", strerror(e));
    }
    return GP_OK;
}

bool gp_proc_alive(gp_proc *p)
{
    if (!p->pid || p->exited)
        return false;
    pid_t r = waitpid(p->pid, &p->status, WNOHANG);
    /* ECHILD: reaped already (by gp_proc_stop_all in a signal handler). */
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
        p->exited = true;
        unlist_child(p->pid);
        return false;
    }
    return true;
}

bool gp_proc_wait(gp_proc *p, int timeout_ms)
{
    int64_t end = gp_now_ms() + timeout_ms;
    while (gp_proc_alive(p)) {
        if (gp_now_ms() >= end)
            return false;
        gp_sleep_ms(20);
    }
    return true;
}

void gp_proc_stop(gp_proc *p, int grace_ms)
{
    if (!p->pid)
        return;
    if (gp_proc_alive(p)) {
        kill(-p->pid, SIGTERM);
        if (!gp_proc_wait(p, grace_ms)) {
            kill(-p->pid, SIGKILL);
            gp_proc_wait(p, 5000);
        }
    }
    /* Anything the process left in its group goes too. */
    kill(-p->pid, SIGKILL);
    unlist_child(p->pid);
    p->pid = 0;
}

int gp_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

bool gp_wait_port(const char *host, int port, int timeout_ms)
{
    int64_t end = gp_now_ms() + timeout_ms;
    do {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
            return false;
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a.sin_addr);
        int r = connect(s, (struct sockaddr *)&a, sizeof a);
        close(s);
        if (r == 0)
            return true;
        gp_sleep_ms(50);
    } while (gp_now_ms() < end);
    return false;
}
