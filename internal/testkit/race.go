//go:build race

package testkit

// RaceEnabled reports whether the race detector is on. Under it sync.Pool
// drops items at random, so an allocation count that goes through a pool
// is not the program's: tests of such counts skip, and .ci/run runs them
// again without the detector.
const RaceEnabled = true
