package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel send cmd's process SIGKILL when the test
// process dies, however it dies: a crash or the -timeout panic runs no
// cleanup. The signal comes when the thread that started cmd ends, which
// in a Go program is when the process does: the runtime ends a thread
// only under a goroutine that locked it and exits, which the tests never
// do.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
