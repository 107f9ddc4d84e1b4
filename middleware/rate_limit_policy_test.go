package middleware_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/middleware"
)

// decideCase is one call of Decide and what it must return.
type decideCase struct {
	name     string
	tat, now time.Duration
	cost     int64
	next     time.Duration
	want     middleware.RateLimitDecision
}

func TestRateLimitPolicyDecide(t *testing.T) {
	p := middleware.RateLimitPolicy{Interval: time.Second, Burst: 3}
	const now = 100 * time.Second
	s := time.Second
	tests := []decideCase{
		{name: "a fresh key is admitted and charged one interval", tat: 0, now: now, cost: 1, next: now + s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 2, Reset: s}},
		{name: "a fresh key spends its whole burst at once", tat: 0, now: now, cost: 3, next: now + 3*s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 0, Reset: 3 * s}},
		{name: "a TAT far in the past is a fresh key", tat: s, now: now, cost: 1, next: now + s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 2, Reset: s}},
		{name: "a TAT equal to now is a fresh key", tat: now, now: now, cost: 1, next: now + s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 2, Reset: s}},
		{name: "the burst exhausted refuses for one interval, uncharged", tat: now + 3*s, now: now, cost: 1, next: now + 3*s,
			want: middleware.RateLimitDecision{Remaining: 0, RetryAfter: s, Reset: 3 * s}},
		{name: "half an interval short refuses for half an interval", tat: now + 2*s + s/2, now: now, cost: 1, next: now + 2*s + s/2,
			want: middleware.RateLimitDecision{Remaining: 0, RetryAfter: s / 2, Reset: 2*s + s/2}},
		{name: "a charge that fits exactly is admitted", tat: now + 2*s, now: now, cost: 1, next: now + 3*s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 0, Reset: 3 * s}},
		{name: "a part of a unit restored is not remaining", tat: now + s/2, now: now, cost: 1, next: now + s + s/2,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 1, Reset: s + s/2}},
		{name: "cost 2 refused waits for two units", tat: now + 3*s, now: now, cost: 2, next: now + 3*s,
			want: middleware.RateLimitDecision{Remaining: 0, RetryAfter: 2 * s, Reset: 3 * s}},
		{name: "cost 0 peeks without charging", tat: now + 2*s, now: now, cost: 0, next: now + 2*s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 1, Reset: 2 * s}},
		{name: "cost 0 on an exhausted key charges nothing", tat: now + 3*s, now: now, cost: 0, next: now + 3*s,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 0, Reset: 3 * s}},
		{name: "cost 0 on a fresh key leaves it fresh", tat: 0, now: now, cost: 0, next: now,
			want: middleware.RateLimitDecision{Allowed: true, Remaining: 3, Reset: 0}},
		{name: "cost above Burst on a fresh key is refused, uncharged", tat: 0, now: now, cost: 4, next: 0,
			want: middleware.RateLimitDecision{Remaining: 3, RetryAfter: s, Reset: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, d := p.Decide(tt.tat, tt.now, tt.cost)
			if next != tt.next {
				t.Errorf("next = %v, want %v", next, tt.next)
			}
			if diff := cmp.Diff(tt.want, d); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimitPolicyNeverAdmitsCostAboveBurst(t *testing.T) {
	p := middleware.RateLimitPolicy{Interval: time.Second, Burst: 3}
	for _, now := range []time.Duration{0, time.Second, time.Hour, 1000 * time.Hour} {
		for _, tat := range []time.Duration{0, now - time.Hour, now} {
			if next, d := p.Decide(tat, now, p.Burst+1); d.Allowed || next != tat {
				t.Errorf("Decide(%v, %v, Burst+1) = %v, %+v; want refused and uncharged", tat, now, next, d)
			}
		}
	}
}

// bucket is the brute-force model of GCRA: a token bucket that holds
// credit, in units of time, up to Burst·Interval, refilled at one
// nanosecond per nanosecond, and charged cost·Interval per admission.
type bucket struct {
	p      middleware.RateLimitPolicy
	credit time.Duration
	at     time.Duration
}

// take advances the bucket to now and decides cost as Decide should.
func (b *bucket) take(now time.Duration, cost int64) middleware.RateLimitDecision {
	full := time.Duration(b.p.Burst) * b.p.Interval
	b.credit = min(full, b.credit+now-b.at)
	b.at = now
	charge := time.Duration(cost) * b.p.Interval
	var d middleware.RateLimitDecision
	if b.credit >= charge {
		b.credit -= charge
		d.Allowed = true
	} else {
		d.RetryAfter = charge - b.credit
	}
	d.Remaining = int64(b.credit / b.p.Interval)
	d.Reset = full - b.credit
	return d
}

func TestRateLimitPolicyDecideMatchesATokenBucket(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		p := middleware.RateLimitPolicy{
			Interval: time.Duration(1 + rng.IntN(10_000)),
			Burst:    int64(1 + rng.IntN(8)),
		}
		model := bucket{p: p, credit: time.Duration(p.Burst) * p.Interval}
		type admitted struct {
			at   time.Duration
			cost int64
		}
		var log []admitted
		var tat time.Duration
		now := time.Duration(rng.Int64N(1 << 40))
		model.at = now
		for i := range 2000 {
			switch rng.IntN(3) {
			case 0: // a burst: no time passes
			case 1:
				now += time.Duration(rng.Int64N(int64(p.Interval)))
			default:
				now += time.Duration(rng.Int64N(int64(3 * p.Interval)))
			}
			cost := rng.Int64N(p.Burst + 2)
			next, got := p.Decide(tat, now, cost)
			want := model.take(now, cost)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d, %v, step %d: Decide(%v, %v, %d) (-model +got):\n%s", seed, p, i, tat, now, cost, diff)
			}
			if !got.Allowed && next != tat {
				t.Fatalf("seed %d, step %d: a refusal moved the TAT from %v to %v", seed, i, tat, next)
			}
			tat = next
			if got.Allowed && cost > 0 {
				log = append(log, admitted{now, cost})
			}
		}
		// Over any span d, at most Burst + d/Interval units are admitted.
		for i := range log {
			var total int64
			for j := i; j < len(log); j++ {
				total += log[j].cost
				d := log[j].at - log[i].at
				if time.Duration(total)*p.Interval > time.Duration(p.Burst)*p.Interval+d {
					t.Fatalf("seed %d, %v: %d units admitted in %v, over Burst + d/Interval", seed, p, total, d)
				}
			}
		}
		if len(log) == 0 {
			t.Fatalf("seed %d: nothing admitted", seed)
		}
	}
}
