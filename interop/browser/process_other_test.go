//go:build !linux

package browser_test

import "syscall"

// killedWithTest is nil: only Linux kills a child with its parent, so
// elsewhere a test that dies without running its cleanups can leave an
// example running.
func killedWithTest() *syscall.SysProcAttr { return nil }
