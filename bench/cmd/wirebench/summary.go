package main

import (
	"slices"
	"time"
)

// median returns the median of xs (the mean of the middle two for an even
// count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// spread is the median of some values with their minimum and maximum.
type spread struct{ med, lo, hi float64 }

// spreadOf returns the spread of xs; zeros for none.
func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	return spread{median(xs), slices.Min(xs), slices.Max(xs)}
}

// ratio returns a/b; 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// microsOf returns d in µs.
func microsOf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// metric picks one figure of a sample.
type metric func(sample) float64

var (
	cpuPerRequest   metric = func(s sample) float64 { return s.CPUMicros }
	allocsPerReq    metric = func(s sample) float64 { return s.Allocs }
	bytesPerRequest metric = func(s sample) float64 { return s.Bytes }
	p50Micros       metric = func(s sample) float64 { return microsOf(s.P50) }
	p99Micros       metric = func(s sample) float64 { return microsOf(s.P99) }
)

// rowFigures are one server's figures on one endpoint over the rounds:
// the median of its own values and of its per-pair ratios to the
// baseline.
type rowFigures struct {
	value, ratio spread
}

// figures summarises m over the pairs: of the server's side, or of the
// baseline's side when base is true (whose ratio is then 1).
func figures(pairs []pairResult, m metric, base bool) rowFigures {
	var values, ratios []float64
	for _, p := range pairs {
		if base {
			values = append(values, m(p.Base))
			ratios = append(ratios, 1)
			continue
		}
		values = append(values, m(p.S))
		ratios = append(ratios, ratio(m(p.S), m(p.Base)))
	}
	return rowFigures{spreadOf(values), spreadOf(ratios)}
}
