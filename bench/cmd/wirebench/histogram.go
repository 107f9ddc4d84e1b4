package main

import (
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets: exact below 64 ns,
// then 64 buckets per power of two, so a quantile, reported at its
// bucket's middle, is within 0.8% of the recorded value.
type histogram struct {
	counts [64 * subBuckets]uint64
	n      uint64
}

const (
	subBits    = 6
	subBuckets = 1 << subBits
)

// record counts d; a negative d counts as 0.
func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(uint64(max(d, 0)))]++
	h.n++
}

// add adds the counts of o to h.
func (h *histogram) add(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the duration under which a fraction q (0 to 1) of the
// recorded ones fall: the middle of the bucket holding that rank. 0 for
// an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			low, width := bucketRange(i)
			return time.Duration(low + width/2)
		}
	}
	return 0 // unreachable: the counts add up to n
}

// bucketOf returns the bucket of v.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // v>>shift is in [64, 128)
	return (shift+1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (low, width uint64) {
	if i < subBuckets {
		return uint64(i), 1
	}
	shift := i/subBuckets - 1
	return uint64(i%subBuckets+subBuckets) << shift, 1 << shift
}
