// Package e2e tests the example programs end to end, as whole servers over
// real TCP connections: examples/comments fed hostile and malformed
// requests (hostile_test.go), under a mixed load of many clients in
// process (TestLoad) and as a real process stopped by SIGTERM under that
// load (TestLoadSIGTERM), and every example's exit status for its flags.
// The examples' own directories hold only their unit tests.
//
// The tests build the example programs they run with the go command, once
// per run. They take some seconds and run with the repository's tests:
//
//	go test -race ./...
//
// or alone, with longer load rounds and more clients by flag:
//
//	go test ./e2e -run TestLoad -v -load.duration=30s -load.clients=64
//
// The package has no code of its own: only tests.
package e2e
