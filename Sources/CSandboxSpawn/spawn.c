#define _GNU_SOURCE
#include "CSandboxSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Everything between fork and exec uses raw system calls only: the parent is a
// multi-threaded Swift process, so the child may not take locks or allocate.

typedef struct { int stage; int error; } failure;

static void report_and_exit(int pipe_fd, int stage) {
    failure f = { stage, errno };
    ssize_t ignored = write(pipe_fd, &f, sizeof f);
    (void)ignored;
    _exit(127);
}

static int write_all(int fd, const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        text += n;
        length -= (size_t)n;
    }
    return 0;
}

// Closes every fd from `first` on: close_range (Linux 5.9), else one by one.
static void close_from(int first) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
    for (int fd = first; fd < 65536; fd++) close(fd);  // inherited fds may lie above RLIMIT_NOFILE
}

static int set_limit(int resource, unsigned long long value) {
    struct rlimit limit = { (rlim_t)value, (rlim_t)value };
    return setrlimit(resource, &limit);
}

static void join_cgroups(const char *const *paths, int report) {
    if (!paths) return;
    for (const char *const *path = paths; *path; path++) {
        int fd = open(*path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) report_and_exit(report, OE_STAGE_CGROUP);
        if (write_all(fd, "0") < 0) report_and_exit(report, OE_STAGE_CGROUP);  // 0: the writer
        close(fd);
    }
}

// Raw syscalls: glibc's wrappers would try to signal threads that do not exist here.
static void drop_identity(const oe_spawn_request *r, int report) {
    if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, r->gid, r->gid, r->gid) != 0
        || syscall(SYS_setresuid, r->uid, r->uid, r->uid) != 0)
        report_and_exit(report, OE_STAGE_IDENTITY);
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != r->uid || eu != r->uid
        || su != r->uid || rg != r->gid || eg != r->gid || sg != r->gid) {
        errno = EPERM;
        report_and_exit(report, OE_STAGE_IDENTITY);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) report_and_exit(report, OE_STAGE_IDENTITY);
}

// After the identity change, which clears the parent-death signal. The chain
// caller -> reaper -> program -> namespace init dies with its first link.
static void die_with(pid_t parent, int report) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) report_and_exit(report, OE_STAGE_PARENT_DEATH);
    if (getppid() != parent) {
        errno = ESRCH;
        report_and_exit(report, OE_STAGE_PARENT_DEATH);
    }
}

static void exec_worker(const oe_spawn_request *r, pid_t reaper, int report) {
    join_cgroups(r->program_cgroup_procs, report);
    drop_identity(r, report);
    die_with(reaper, report);
    // Move every source fd above the targets first, so no dup2 clobbers another source.
    int sources[4] = { r->stdin_fd, r->stdout_fd, r->stderr_fd, r->extra_fd };
    int count = r->extra_fd >= 0 ? 4 : 3;
    int moved[4];
    int high_report = fcntl(report, F_DUPFD_CLOEXEC, 10);
    if (high_report < 0) report_and_exit(report, OE_STAGE_FDS);
    report = high_report;
    for (int i = 0; i < count; i++) {
        moved[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, 10);
        if (moved[i] < 0) report_and_exit(report, OE_STAGE_FDS);
    }
    for (int i = 0; i < count; i++) {
        if (dup2(moved[i], i) < 0) report_and_exit(report, OE_STAGE_FDS);  // dup2 clears CLOEXEC
    }
    // The report pipe goes right after them (close-on-exec), everything else is closed.
    if (dup3(report, count, O_CLOEXEC) < 0) report_and_exit(report, OE_STAGE_FDS);
    report = count;
    close_from(count + 1);
    // Only now: with the limit set earlier, the F_DUPFD moves above fail (EMFILE) as soon as
    // the server holds more fds than the limit (a few dozen sessions), and no sandbox starts.
    if (set_limit(RLIMIT_NOFILE, r->limits.open_files)) report_and_exit(report, OE_STAGE_RLIMIT);

    execve(r->path, r->argv, r->envp);
    report_and_exit(report, OE_STAGE_EXEC);
}

static void child(const oe_spawn_request *r, pid_t parent, int report) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);  // SIG_IGN would survive exec

    if (setsid() < 0) report_and_exit(report, OE_STAGE_SESSION);

    join_cgroups(r->cgroup_procs, report);

    if (set_limit(RLIMIT_CPU, r->limits.cpu_seconds) || set_limit(RLIMIT_AS, r->limits.address_space)
        || set_limit(RLIMIT_NPROC, r->limits.processes)
        || set_limit(RLIMIT_FSIZE, r->limits.file_size) || set_limit(RLIMIT_CORE, 0))
        report_and_exit(report, OE_STAGE_RLIMIT);

    // The child stays as a reaper: orphans of the sandbox (bwrap's namespace init may
    // outlive bwrap by a moment) are reparented here and reaped, never left as zombies of
    // the host's init. It exits, with bwrap's status, once it has no children left.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) report_and_exit(report, OE_STAGE_PARENT_DEATH);
    pid_t reaper = getpid();
    // vfork: the worker borrows the reaper's memory until it execs, so the server's page
    // tables are copied once (for the reaper), not twice. The worker only makes system
    // calls and never returns from exec_worker.
    pid_t worker = vfork();
    if (worker < 0) report_and_exit(report, OE_STAGE_FORK);
    if (worker == 0) exec_worker(r, reaper, report);
    drop_identity(r, report);
    die_with(parent, report);

    close_from(0);
    int code = 127;
    for (;;) {
        int status;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0) {
            if (errno == EINTR) continue;
            break;  // ECHILD: nothing left
        }
        if (done == worker) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    _exit(code);
}

pid_t oe_spawn(const oe_spawn_request *request, int *stage, int *error) {
    *stage = OE_STAGE_NONE;
    *error = 0;
    if (request->uid == 0 || request->gid == 0) {
        *stage = OE_STAGE_REFUSED;
        *error = EPERM;
        return -1;
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *stage = OE_STAGE_FORK;
        *error = errno;
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *stage = OE_STAGE_FORK;
        *error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        child(request, parent, report[1]);
    }
    close(report[1]);
    failure f;
    ssize_t n;
    do {
        n = read(report[0], &f, sizeof f);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == 0) return pid;  // the report pipe closed on exec: success
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    *stage = n == (ssize_t)sizeof f ? f.stage : OE_STAGE_EXEC;
    *error = n == (ssize_t)sizeof f ? f.error : EIO;
    return -1;
}

int oe_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
