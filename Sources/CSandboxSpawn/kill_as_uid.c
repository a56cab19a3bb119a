#define _GNU_SOURCE
#include "CSandboxSpawn.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// A root process calling kill(-1, SIGKILL) would kill the whole machine. The helper
// therefore signals only after proving it is `uid` and nothing else: real, effective and
// saved ids switched, no supplementary groups, empty permitted and effective capability
// sets. Any failed check exits without signalling.
int oe_kill_as_uid(uid_t uid, gid_t gid, pid_t target) {
    if (uid == 0 || gid == 0 || target == 0 || target < -1) return 1;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, gid, gid, gid) != 0
            || syscall(SYS_setresuid, uid, uid, uid) != 0)
            _exit(3);
        uid_t ru, eu, su;
        if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid || ru == 0) _exit(4);
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
        if (syscall(SYS_capget, &header, data) != 0) _exit(5);
        for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
            if (data[i].effective != 0 || data[i].permitted != 0) _exit(6);
        }
        if (kill(target, SIGKILL) != 0 && errno != ESRCH && errno != EPERM) _exit(7);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 8;
    }
    if (!WIFEXITED(status)) return 9;
    return WEXITSTATUS(status);
}
