package main

import (
	"math"
	"testing"
	"time"
)

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 123456789, 1 << 40, math.MaxInt64} {
		low, width := bucketRange(bucketOf(v))
		if v < low || v-low >= width {
			t.Errorf("value %d in bucket %d = [%d, %d+%d)", v, bucketOf(v), low, low, width)
		}
	}
	for i := 1; i < len(histogram{}.counts); i++ {
		low, _ := bucketRange(i)
		prevLow, prevWidth := bucketRange(i - 1)
		if prevLow+prevWidth != low {
			t.Fatalf("bucket %d starts at %d, bucket %d ends at %d", i, low, i-1, prevLow+prevWidth)
		}
	}
}

func TestQuantilesAreWithinOnePercent(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 500 * time.Microsecond, 0.99: 990 * time.Microsecond, 1: time.Millisecond} {
		got := h.quantile(q)
		if math.Abs(float64(got-want)) > 0.01*float64(want) {
			t.Errorf("quantile(%v) = %v, want %v ± 1%%", q, got, want)
		}
	}
	var other histogram
	other.record(time.Second)
	h.add(&other)
	if got := h.quantile(1); got < 990*time.Millisecond || got > 1010*time.Millisecond {
		t.Errorf("after add, max = %v, want 1s ± 1%%", got)
	}
	if got := (&histogram{}).quantile(0.5); got != 0 {
		t.Errorf("an empty histogram's median = %v, want 0", got)
	}
}
