/*
 * A stand-in for llama-server that misbehaves on request, for testing how
 * verify handles failures without a real llama.cpp. GGPLACE_FAKE_MODE:
 *   ok       serve /health and /completion (with timings), log buffer lines
 *   refuse   print an argument error and exit 1
 *   crash    serve /health, exit while answering /completion
 *   hang     never become ready (start-up timeout)
 *   deaf     like hang, and deaf to SIGTERM, SIGINT and SIGHUP (a loader
 *            that will not be interrupted)
 *   slow     like ok, but /completion takes 30 s
 *   busyport report that the port is taken and exit 1
 * GGPLACE_FAKE_PIDFILE, when set, receives the server's process id (not
 * written for --version).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void reply(int fd, int code, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     code, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

int main(int argc, char **argv)
{
    const char *mode = getenv("GGPLACE_FAKE_MODE") ? getenv("GGPLACE_FAKE_MODE") : "ok";
    const char *pidfile = getenv("GGPLACE_FAKE_PIDFILE");
    if (!strcmp(mode, "deaf")) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
    }
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version")) {
            fprintf(stderr, "version: 1 (fake)\nbuilt with a test\n");
            return 0;
        }
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[i + 1]);
    }
    /* The server, not a --version probe, leaves its pid. */
    if (pidfile) {
        /* Whole or not at all: whoever sees the file can read the pid. */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
            rename(tmp, pidfile);
        }
    }
    if (!strcmp(mode, "refuse")) {
        fprintf(stderr, "error: invalid argument: --frobnicate\n");
        return 1;
    }
    if (!strcmp(mode, "busyport")) {
        fprintf(stderr, "couldn't bind HTTP server socket, hostname: 127.0.0.1, port: %d\n", port);
        return 1;
    }
    fprintf(stderr, "load_tensors:          CPU model buffer size =    12.50 MiB\n");
    fprintf(stderr, "llama_kv_cache:        CPU KV buffer size =     4.00 MiB\n");
    fprintf(stderr, "sched_reserve:        CPU compute buffer size =    30.54 MiB\n");
    fflush(stderr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0)
        return 1;
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        char req[65536];
        ssize_t n = read(c, req, sizeof req - 1);
        req[n > 0 ? n : 0] = 0;
        if (!strncmp(req, "GET /health", 11)) {
            if (!strcmp(mode, "hang") || !strcmp(mode, "deaf"))
                reply(c, 503, "{\"error\":\"loading\"}");
            else
                reply(c, 200, "{\"status\":\"ok\"}");
        } else if (!strncmp(req, "POST /completion", 16)) {
            if (!strcmp(mode, "crash"))
                abort();
            if (!strcmp(mode, "slow"))
                sleep(30);
            reply(c, 200, "{\"content\":\"\",\"timings\":{\"prompt_per_second\":1234.5,\"predicted_per_second\":56.7}}");
        } else {
            reply(c, 404, "{}");
        }
        close(c);
    }
}
