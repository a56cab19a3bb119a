#ifndef CSANDBOXSPAWN_H
#define CSANDBOXSPAWN_H

#include <sys/types.h>

/// Resource limits applied (soft = hard) in the child before exec.
typedef struct {
    unsigned long long cpu_seconds;        // RLIMIT_CPU
    unsigned long long address_space;      // RLIMIT_AS, bytes
    unsigned long long processes;          // RLIMIT_NPROC (tasks of the uid)
    unsigned long long open_files;         // RLIMIT_NOFILE
    unsigned long long file_size;          // RLIMIT_FSIZE, bytes
} oe_limits;

/// What oe_spawn starts. Every pointer is read in the child only, before exec.
typedef struct {
    const char *path;                      // absolute path of the executable
    char *const *argv;                     // NULL-terminated
    char *const *envp;                     // NULL-terminated; the child's whole environment
    int stdin_fd, stdout_fd, stderr_fd;    // become fds 0, 1, 2
    int extra_fd;                          // becomes fd 3, or -1 for none
    const char *const *cgroup_procs;       // NULL-terminated cgroup.procs files everything joins, may be NULL
    const char *const *program_cgroup_procs;  // joined by the program but not the reaper, may be NULL
    uid_t uid;                             // must not be 0
    gid_t gid;                             // must not be 0
    oe_limits limits;
} oe_spawn_request;

/// Where a failed spawn stopped (the child reports the stage and errno).
typedef enum {
    OE_STAGE_NONE = 0,
    OE_STAGE_FORK = 1,
    OE_STAGE_SESSION = 2,
    OE_STAGE_CGROUP = 3,
    OE_STAGE_RLIMIT = 4,
    OE_STAGE_IDENTITY = 5,
    OE_STAGE_PARENT_DEATH = 6,
    OE_STAGE_FDS = 7,
    OE_STAGE_EXEC = 8,
    OE_STAGE_REFUSED = 9,
} oe_spawn_stage;

/// Starts `request->path` as `uid`/`gid` with no supplementary groups, no capabilities,
/// no-new-privs, its own session (setsid), the given cgroups and limits, default signal
/// dispositions, and only fds 0-3 open. The returned pid is a reaper between the caller
/// and the program: a child subreaper, running as `uid` too, that reaps every orphan of
/// the program and exits with the program's status (128 + signal when it was killed)
/// once nothing is left. It stays out of `program_cgroup_procs` (put the memory cgroup
/// there, so its OOM killer never picks the reaper, whose resident set is the caller's).
/// The reaper gets SIGKILL when the calling *thread* exits (a parent-death signal follows
/// the forking thread): call this from a thread that lives as long as the process. The
/// program dies with the reaper (SIGKILL).
/// Returns -1 with `*stage` and `*error` (an errno) set when the program did not start;
/// the reaper is then already reaped.
pid_t oe_spawn(const oe_spawn_request *request, int *stage, int *error);

/// Sends SIGKILL, as `uid` (never root), to `target`, or to every process of `uid` when
/// `target` is -1. A forked helper drops to `uid`/`gid`, verifies that it holds no
/// capability and no other identity, and only then signals: a process that could not
/// drop root never sends anything. Returns 0 when the signal was sent or nothing matched,
/// otherwise a positive code naming the failed check.
int oe_kill_as_uid(uid_t uid, gid_t gid, pid_t target);

/// pipe2(fds, O_CLOEXEC), which Swift's Glibc module does not export.
int oe_pipe_cloexec(int fds[2]);

#endif
