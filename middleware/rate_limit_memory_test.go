package middleware

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
)

// hourly admits Burst 5 and restores one unit an hour: within a test, a
// charged key stays ahead of now.
var hourly = RateLimitPolicy{Interval: time.Hour, Burst: 5}

func TestValidateRateLimitMemory(t *testing.T) {
	tests := []struct {
		maxKeys int
		ok      bool
	}{
		{maxKeys: math.MinInt},
		{maxKeys: -1},
		{maxKeys: 0},
		{maxKeys: 1, ok: true},
		{maxKeys: DefaultRateLimitKeys, ok: true},
		{maxKeys: math.MaxInt32, ok: true},
		{maxKeys: math.MaxInt32 + 1},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.maxKeys), func(t *testing.T) {
			err := ValidateRateLimitMemory(tt.maxKeys)
			v := testkit.Recover(func() { NewRateLimitMemory(tt.maxKeys) })
			if tt.ok {
				if err != nil || v != nil {
					t.Fatalf("Validate = %v, panic %v; want both nil", err, v)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Middleware != "RateLimitMemory" {
				t.Fatalf("Validate = %#v, want a *ConfigError of RateLimitMemory", err)
			}
			want := "middleware: RateLimitMemory needs room for 1 to 2147483647 keys, got " + strconv.Itoa(tt.maxKeys)
			if err.Error() != want || fmt.Sprint(v) != want {
				t.Fatalf("Validate = %q, panic %q; want both %q", err, v, want)
			}
		})
	}
}

func TestRateLimitMemorySharesMaxKeysAmongShards(t *testing.T) {
	tests := []struct{ maxKeys, shards int }{
		{1, 1}, {2, 1}, {127, 1}, {128, 2}, {4095, 32}, {4096, 64}, {10_000, 64}, {DefaultRateLimitKeys, 64}, {math.MaxInt32, 64},
	}
	for _, tt := range tests {
		m := NewRateLimitMemory(tt.maxKeys)
		total := 0
		for i := range m.shards {
			if m.shards[i].max < 1 {
				t.Errorf("maxKeys %d: shard %d has room for %d keys", tt.maxKeys, i, m.shards[i].max)
			}
			total += int(m.shards[i].max)
		}
		if len(m.shards) != tt.shards || total != tt.maxKeys {
			t.Errorf("maxKeys %d: %d shards with room for %d keys; want %d shards, room for %d", tt.maxKeys, len(m.shards), total, tt.shards, tt.maxKeys)
		}
	}
}

func TestRateLimitMemoryTakeDecides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := RateLimitPolicy{Interval: time.Second, Burst: 2}
		m := NewRateLimitMemory(10)
		take := func(key string, cost int64) RateLimitDecision {
			d, err := m.Take(context.Background(), key, p, cost)
			if err != nil {
				t.Fatalf("Take: %v", err)
			}
			return d
		}
		var got []RateLimitDecision
		got = append(got, take("a", 1), take("a", 1), take("a", 1), take("b", 0), take("a", -5))
		time.Sleep(time.Second)
		got = append(got, take("a", 1), take("a", 1))
		time.Sleep(10 * time.Second)
		got = append(got, take("a", 2), take("b", 3))
		want := []RateLimitDecision{
			{Allowed: true, Remaining: 1, Reset: time.Second},
			{Allowed: true, Remaining: 0, Reset: 2 * time.Second},
			{Remaining: 0, RetryAfter: time.Second, Reset: 2 * time.Second},
			{Allowed: true, Remaining: 2},
			{Allowed: true, Remaining: 0, Reset: 2 * time.Second}, // a negative cost peeks
			{Allowed: true, Remaining: 0, Reset: 2 * time.Second},
			{Remaining: 0, RetryAfter: time.Second, Reset: 2 * time.Second},
			{Allowed: true, Remaining: 0, Reset: 2 * time.Second},
			{Remaining: 2, RetryAfter: time.Second}, // above Burst
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decisions (-want +got):\n%s", diff)
		}
		if n := m.Len(); n != 1 {
			t.Errorf("Len = %d, want 1: a peek and a refusal of a key not held keep nothing", n)
		}
	})
}

// keys returns the keys of shard s from the most recently used to the
// least, and fails t unless the list, the entries and the index agree.
func (s *memoryShard) keys(t *testing.T) []string {
	t.Helper()
	var keys []string
	prev := int32(-1)
	for i := s.head; i >= 0; i = s.entries[i].next {
		e := &s.entries[i]
		if e.prev != prev {
			t.Fatalf("entry %d links back to %d, not %d", i, e.prev, prev)
		}
		if j, ok := s.index[e.key]; !ok || j != i {
			t.Fatalf("entry %d, key %.20q, is indexed at %d (%v)", i, e.key, j, ok)
		}
		keys = append(keys, e.key)
		if len(keys) > len(s.entries) {
			t.Fatal("the list loops")
		}
		prev = i
	}
	if s.tail != prev || len(keys) != len(s.index) || len(keys) != len(s.entries) || len(s.entries) > int(s.max) {
		t.Fatalf("tail %d (want %d), %d listed, %d indexed, %d entries, room for %d", s.tail, prev, len(keys), len(s.index), len(s.entries), s.max)
	}
	return keys
}

func TestRateLimitMemoryEvictsTheLeastRecentlyUsed(t *testing.T) {
	m := NewRateLimitMemory(3)
	if len(m.shards) != 1 {
		t.Fatalf("%d shards, want 1", len(m.shards))
	}
	take := func(key string, cost int64) RateLimitDecision {
		return m.take([]byte(key), hourly, cost)
	}
	take("a", 1)
	take("b", 1)
	take("c", 1)
	take("a", 0) // a peek is a use
	take("d", 1)
	if diff := cmp.Diff([]string{"d", "a", "c"}, m.shards[0].keys(t)); diff != "" {
		t.Fatalf("keys, most recent first (-want +got):\n%s", diff)
	}
	if d := take("b", 0); d.Remaining != hourly.Burst {
		t.Errorf("evicted b has %d remaining, want its full burst %d", d.Remaining, hourly.Burst)
	}
	if d := take("a", 0); d.Remaining != hourly.Burst-1 {
		t.Errorf("recently used a has %d remaining, want %d", d.Remaining, hourly.Burst-1)
	}
	take("c", 1)
	take("e", 1)
	if diff := cmp.Diff([]string{"e", "c", "a"}, m.shards[0].keys(t)); diff != "" {
		t.Fatalf("keys after c is used and e arrives (-want +got):\n%s", diff)
	}
	if d := take("c", 0); d.Remaining != hourly.Burst-2 {
		t.Errorf("c has %d remaining, want %d", d.Remaining, hourly.Burst-2)
	}
}

func TestRateLimitMemoryKeepsKeysAtFullBurstWhileThereIsRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := RateLimitPolicy{Interval: time.Second, Burst: 1}
		m := NewRateLimitMemory(20)
		for i := range 10 {
			m.take([]byte("old"+strconv.Itoa(i)), p, 1)
		}
		time.Sleep(time.Second) // every key is back to its full burst
		for i := range 10 {
			m.take([]byte("new"+strconv.Itoa(i)), p, 1)
		}
		if n := m.Len(); n != 20 {
			t.Fatalf("Len = %d, want the 20 keys kept while there is room", n)
		}
		// A client back at its full burst is found, not inserted again.
		if n := testing.AllocsPerRun(100, func() { m.take([]byte("old3"), RateLimitPolicy{Interval: time.Nanosecond, Burst: 1}, 1) }); n != 0 {
			t.Errorf("a returning key cost %v allocations, want 0", n)
		}
		m.take([]byte("more"), p, 1) // full: the least recently used, old0, makes room
		if n := m.Len(); n != 20 {
			t.Fatalf("Len = %d, want 20", n)
		}
		if keys := m.shards[0].keys(t); keys[len(keys)-1] != "old1" || slices.Contains(keys, "old0") {
			t.Errorf("keys %v: want old0 forgotten and old1 the least recently used", keys)
		}
	})
}

// fillRateLimitMemory takes n keys made by key into m, checking every
// few thousand that m holds no more than maxKeys, and returns the heap
// m holds in bytes per key, after a garbage collection.
func fillRateLimitMemory(t *testing.T, maxKeys, n int, key func(buf []byte, i int) []byte) (*RateLimitMemory, float64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewRateLimitMemory(maxKeys)
	var buf []byte
	for i := range n {
		buf = key(buf[:0], i)
		if d := m.take(buf, hourly, 1); !d.Allowed {
			t.Fatalf("key %d refused: a key is charged once", i)
		}
		if i%4096 == 0 && m.Len() > maxKeys {
			t.Fatalf("after %d keys, Len = %d, above %d", i+1, m.Len(), maxKeys)
		}
	}
	if got := m.Len(); got != maxKeys {
		t.Fatalf("Len = %d, want %d", got, maxKeys)
	}
	for i := range m.shards {
		m.shards[i].keys(t)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKey := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(maxKeys)
	runtime.KeepAlive(m)
	return m, perKey
}

// A bound of the heap a store holds: about 100 bytes per key measured,
// plus the key's own bytes; the constant is for the test's own garbage.
const rateLimitMemoryHeapSlack = 1 << 20

func TestRateLimitMemoryBoundsKeysAndHeap(t *testing.T) {
	const maxKeys, n = 100_000, 1_000_000
	_, perKey := fillRateLimitMemory(t, maxKeys, n, func(buf []byte, i int) []byte {
		return strconv.AppendInt(append(buf, "client-"...), int64(i), 10)
	})
	t.Logf("%d keys taken, %d held: %.1f bytes of heap per held key of 13 bytes", n, maxKeys, perKey)
	if perKey*maxKeys > 256*maxKeys+rateLimitMemoryHeapSlack {
		t.Fatalf("%.1f bytes per held key, above 256 + %d in all", perKey, rateLimitMemoryHeapSlack)
	}
}

func TestRateLimitMemoryHostileKeys(t *testing.T) {
	const maxKeys, n = 10_000, 1_000_000
	huge := strings.Repeat("x", 100<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	m, perKey := fillRateLimitMemory(t, maxKeys, n, func(buf []byte, i int) []byte {
		if i == 0 {
			return append(buf, huge...)
		}
		for range 8 + rng.IntN(57) {
			buf = append(buf, byte(rng.Uint32()))
		}
		return buf
	})
	t.Logf("a 100 KB key and %d random keys of 8 to 64 bytes, %d held: %.1f bytes of heap per held key", n, maxKeys, perKey)
	if perKey*maxKeys > (256+64)*maxKeys+rateLimitMemoryHeapSlack {
		t.Fatalf("%.1f bytes per held key, above 256 + 64 + %d in all: the 100 KB key or others leak", perKey, rateLimitMemoryHeapSlack)
	}
	if d := m.take([]byte(huge), hourly, 0); d.Remaining != hourly.Burst {
		t.Errorf("the 100 KB key, least recently used, has %d remaining, want its full burst %d", d.Remaining, hourly.Burst)
	}
}

func TestRateLimitMemoryConcurrentTakesAdmitExactlyTheBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := RateLimitPolicy{Interval: time.Second, Burst: 50}
		m := NewRateLimitMemory(DefaultRateLimitKeys)
		keys := []string{"k0", "k1", "k2", "k3"}
		var admitted [4]atomic.Int64
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for i := range 400 {
					k := (g + i) % len(keys)
					if d, _ := m.Take(context.Background(), keys[k], p, 1); d.Allowed {
						admitted[k].Add(1)
					}
				}
			})
		}
		wg.Wait()
		for k := range admitted {
			if n := admitted[k].Load(); n != p.Burst {
				t.Errorf("key %s admitted %d, want exactly Burst %d", keys[k], n, p.Burst)
			}
		}
	})
}

func TestRateLimitMemoryTakeCostsNoAllocation(t *testing.T) {
	m := NewRateLimitMemory(DefaultRateLimitKeys)
	key := []byte("203.0.113.7")
	m.take(key, hourly, 1)
	if n := testing.AllocsPerRun(1000, func() { m.take(key, hourly, 1) }); n != 0 {
		t.Errorf("take of a held key: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = m.Take(context.Background(), "203.0.113.7", hourly, 1) }); n != 0 {
		t.Errorf("Take of a held key: %v allocations, want 0", n)
	}
}

func TestRateLimitMemoryNewKeyAllocatesItsCopyOnly(t *testing.T) {
	const maxKeys = 1000
	m := NewRateLimitMemory(maxKeys)
	keys := make([][]byte, 20*maxKeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "client-%08d", i)
	}
	next := 0
	take := func() { m.take(keys[next], hourly, 1); next++ }
	for range 2 * maxKeys { // full, and its maps grown
		take()
	}
	if n := testing.AllocsPerRun(len(keys)-2*maxKeys-1, take); n != 1 {
		t.Errorf("a new key in a full store: %v allocations, want 1, the key's copy", n)
	}
}

func BenchmarkRateLimitMemory(b *testing.B) {
	// The limit of the peers' benchmarks in bench/: 100 per minute, burst
	// 100. Past the first hundred takes of a key, most are refused.
	p := RateLimitPolicy{Interval: time.Minute / 100, Burst: 100}
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	ctx := context.Background()
	b.Run("keys=1", func(b *testing.B) {
		m := NewRateLimitMemory(DefaultRateLimitKeys)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = m.Take(ctx, keys[0], p, 1)
		}
	})
	b.Run("keys=10000", func(b *testing.B) {
		m := NewRateLimitMemory(DefaultRateLimitKeys)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, _ = m.Take(ctx, keys[i], p, 1)
			if i++; i == len(keys) {
				i = 0
			}
		}
	})
	b.Run("keys=10000-parallel", func(b *testing.B) {
		m := NewRateLimitMemory(DefaultRateLimitKeys)
		var start atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(start.Add(7919)) % len(keys)
			for pb.Next() {
				_, _ = m.Take(ctx, keys[i], p, 1)
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
	})
}
