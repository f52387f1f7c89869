/*
 * Child processes that never outlive us: started from an argv (no shell) in
 * their own process group, output sent to a file, every wait bounded, and
 * stopped with SIGTERM then SIGKILL. Each running child is on a list from
 * the moment it is forked (signals are held until it is), so an interrupt
 * at any point can stop them all; one whose parent dies anyway, even by
 * SIGKILL, gets SIGKILL from the kernel.
 */
#ifndef GP_UTIL_PROC_H
#define GP_UTIL_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ggplace.h"

typedef struct gp_proc {
    pid_t pid;            /* 0 when not running */
    int status;           /* wait status once exited */
    bool exited;
} gp_proc;

/* Starts argv[0] (searched in PATH when it has no '/') with stdout and
 * stderr appended to log_path (or discarded when NULL). */
gp_status gp_proc_start(gp_proc *p, char *const argv[], const char *log_path, gp_error *err);

/* The same with stdout and stderr to separate files (stdout_path may not be
 * NULL; stderr_path NULL discards it). */
gp_status gp_proc_start_split(gp_proc *p, char *const argv[], const char *stdout_path,
                              const char *stderr_path, gp_error *err);

/* Waits up to timeout_ms for the process to exit; true if it did. */
bool gp_proc_wait(gp_proc *p, int timeout_ms);

/* True while the process runs (reaps it if it exited). */
bool gp_proc_alive(gp_proc *p);

/* SIGTERM to the whole group, up to grace_ms, then SIGKILL; always reaps. */
void gp_proc_stop(gp_proc *p, int grace_ms);

/* Stops every child started here that still runs: SIGTERM to its group,
 * up to 2 s to exit, then SIGKILL; returns once each is reaped (or after
 * 5 s more). Async-signal-safe: meant for the handler of a fatal signal. */
void gp_proc_stop_all(void);

/* From now on SIGINT, SIGTERM and SIGHUP first stop every child (as
 * gp_proc_stop_all) and then end this process as the signal would have.
 * gp_proc_untrap_signals puts the previous handlers back. */
void gp_proc_trap_signals(void);
void gp_proc_untrap_signals(void);

/* A TCP port on 127.0.0.1 that is free now (0 on failure). */
int gp_free_port(void);

/* Waits until host:port accepts a TCP connection; false on timeout. */
bool gp_wait_port(const char *host, int port, int timeout_ms);

/* Milliseconds on a monotonic clock. */
int64_t gp_now_ms(void);

/* Sleeps ms milliseconds (safe in a signal handler). */
void gp_sleep_ms(int ms);

#endif
