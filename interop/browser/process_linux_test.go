package browser_test

import "syscall"

// killedWithTest is the process attributes of the examples the tests
// start: the kernel sends an example SIGKILL when the test process dies,
// however it dies (a crash or the -timeout panic runs no cleanup). The
// signal comes when the thread that started the example ends, which in a
// Go program is when the process does: the runtime ends a thread only
// under a goroutine that locked it and exits, which the tests never do.
func killedWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
