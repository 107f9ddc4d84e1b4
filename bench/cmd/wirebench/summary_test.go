package main

import "testing"

func TestMedianOfOddAndEvenCounts(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

func TestFiguresTakeTheMedianOfRatiosNotTheRatioOfMedians(t *testing.T) {
	pairs := []pairResult{
		{S: sample{CPUMicros: 10}, Base: sample{CPUMicros: 10}}, // 1
		{S: sample{CPUMicros: 30}, Base: sample{CPUMicros: 10}}, // 3
		{S: sample{CPUMicros: 20}, Base: sample{CPUMicros: 40}}, // 0.5
	}
	f := figures(pairs, cpuPerRequest, false)
	// The ratio of medians would be 20/10 = 2.
	if f.ratio != (spread{1, 0.5, 3}) || f.value != (spread{20, 10, 30}) {
		t.Fatalf("figures = %+v, want ratio {1 0.5 3} and value {20 10 30}", f)
	}
	if b := figures(pairs, cpuPerRequest, true); b.value.med != 10 || b.ratio != (spread{1, 1, 1}) {
		t.Fatalf("baseline figures = %+v, want value median 10 and ratio 1", b)
	}
}
