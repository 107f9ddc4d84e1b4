package testkit

import (
	"io"
	"sync/atomic"
)

// CountingReader counts the bytes read through it from R; a test may read
// the count from another goroutine. It is also a request body whose Close
// does nothing.
type CountingReader struct {
	R io.Reader
	n atomic.Int64
}

// Read reads from R and counts what it got.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N returns how many bytes were read so far.
func (c *CountingReader) N() int { return int(c.n.Load()) }

// Close does nothing and returns nil.
func (c *CountingReader) Close() error { return nil }
