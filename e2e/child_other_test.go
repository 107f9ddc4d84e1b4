//go:build !linux

package e2e

import "os/exec"

// dieWithParent does nothing: only Linux kills a child with its parent.
// There a test that dies without running its cleanups can leave cmd's
// process running.
func dieWithParent(*exec.Cmd) {}
