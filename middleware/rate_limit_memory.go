package middleware

import (
	"context"
	"hash/maphash"
	"math"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// DefaultRateLimitKeys is the number of keys a [RateLimitMemory] holds when
// [RateLimitConfig] names no store.
const DefaultRateLimitKeys = 100_000

// RateLimitMemory is a [RateLimitStore] that keeps each key's theoretical
// arrival time in this process: the store of a single instance, and the
// local fallback of a limiter whose shared store fails.
//
// It holds at most maxKeys keys. When a new key arrives and there is no
// room, the least recently used key is forgotten. That key is usually
// back at its full burst (its theoretical arrival time has passed), which
// is exactly as if it were absent, so forgetting it changes nothing; while
// there is room, such keys are kept, so that a client returning to its
// full burst costs no allocation. Forgetting a key that is still limited
// lets that client start again at its full burst: maxKeys should exceed the number of clients active within one
// Window of the policy, and a flood of new keys beyond it weakens the
// limit of the clients it pushes out, never the bound on memory. Memory
// grows with the keys seen, up to about 110 bytes per key plus the key's
// length; keys are stored as given, so the caller bounds their length
// (the [RateLimiter] hashes a long key).
//
// Take costs one map lookup under one of up to 64 mutexes, chosen by the
// key's hash, and no allocation for a key it holds; a new key costs one
// allocation, its copy. It is safe for concurrent use, never blocks beyond
// that mutex, and needs no goroutine or timer. Its clock is monotonic,
// from the store's creation.
type RateLimitMemory struct {
	epoch  time.Time
	seed   maphash.Seed
	mask   uint64
	shards []memoryShard
}

// memoryShard holds a share of the keys: index maps a key to its entry,
// and the entries form a list from the most recently used (head) to the
// least (tail), linked by index so that an entry holds no pointer but its
// key.
type memoryShard struct {
	mu      sync.Mutex
	index   map[string]int32
	entries []memoryEntry
	head    int32
	tail    int32
	max     int32
	// keep shards that sit side by side off one cache line.
	_ [64]byte
}

// memoryEntry is one key's theoretical arrival time and its links in the
// shard's list; -1 links to nothing.
type memoryEntry struct {
	key        string
	tat        time.Duration
	prev, next int32
}

// memoryShards is the most shards a store has; memoryShardKeys the fewest
// keys a shard is given room for, when maxKeys allows.
const (
	memoryShards    = 64
	memoryShardKeys = 64
)

// ValidateRateLimitMemory reports whether [NewRateLimitMemory] accepts
// maxKeys: nil, or a [*ConfigError] when maxKeys is under 1 or above
// [math.MaxInt32].
func ValidateRateLimitMemory(maxKeys int) error {
	if maxKeys < 1 || maxKeys > math.MaxInt32 {
		return configError("RateLimitMemory", "middleware: RateLimitMemory needs room for 1 to 2147483647 keys, got "+strconv.Itoa(maxKeys))
	}
	return nil
}

// NewRateLimitMemory returns an empty store that holds at most maxKeys
// keys ([DefaultRateLimitKeys] is a fit for most servers). It panics with
// the message of [ValidateRateLimitMemory] when maxKeys is under 1 or
// above [math.MaxInt32].
func NewRateLimitMemory(maxKeys int) *RateLimitMemory {
	mustValid(ValidateRateLimitMemory(maxKeys))
	n := 1
	for n < memoryShards && maxKeys/(2*n) >= memoryShardKeys {
		n *= 2
	}
	m := &RateLimitMemory{
		epoch:  time.Now(),
		seed:   maphash.MakeSeed(),
		mask:   uint64(n - 1),
		shards: make([]memoryShard, n),
	}
	for i := range m.shards {
		s := &m.shards[i]
		// The shards share maxKeys; the first ones take the remainder.
		s.max = int32(maxKeys / n)
		if i < maxKeys%n {
			s.max++
		}
		s.index = make(map[string]int32)
		s.head, s.tail = -1, -1
	}
	return m
}

// Take charges cost to key under p and returns [RateLimitPolicy.Decide]'s
// decision; the error is always nil and ctx is not used, as Take never
// waits beyond a mutex. A negative cost is taken as 0: it reports the
// key's state and charges nothing. A cost above p.Burst is refused, and p
// must be a policy with a positive Interval, as the [RateLimiter] makes.
func (m *RateLimitMemory) Take(ctx context.Context, key string, p RateLimitPolicy, cost int64) (RateLimitDecision, error) {
	return m.take(unsafe.Slice(unsafe.StringData(key), len(key)), p, cost), nil
}

// Len returns the number of keys the store holds now, those at their full
// burst included until their room is taken.
func (m *RateLimitMemory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// take is Take for a key the caller owns: key is read during the call and
// copied only when the store keeps a key it did not hold.
func (m *RateLimitMemory) take(key []byte, p RateLimitPolicy, cost int64) RateLimitDecision {
	cost = max(cost, 0)
	now := time.Since(m.epoch)
	s := &m.shards[maphash.Bytes(m.seed, key)&m.mask]
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[string(key)]; ok {
		e := &s.entries[i]
		next, d := p.Decide(e.tat, now, cost)
		if next != e.tat {
			e.tat = next
		}
		s.moveToFront(i)
		return d
	}
	next, d := p.Decide(0, now, cost)
	if next > now {
		// Only a key ahead of now differs from an absent one.
		s.insert(string(key), next)
	}
	return d
}

// insert adds key with theoretical arrival time tat as the most recently
// used entry: in a new entry while the shard has room, else in the room
// of the least recently used.
func (s *memoryShard) insert(key string, tat time.Duration) {
	var i int32
	switch {
	case s.tail >= 0 && len(s.entries) >= int(s.max):
		i = s.tail
		delete(s.index, s.entries[i].key)
		s.unlink(i)
	default:
		if len(s.entries) == cap(s.entries) {
			grown := make([]memoryEntry, len(s.entries), min(max(2*cap(s.entries), 8), int(s.max)))
			copy(grown, s.entries)
			s.entries = grown
		}
		i = int32(len(s.entries))
		s.entries = append(s.entries, memoryEntry{})
	}
	s.entries[i] = memoryEntry{key: key, tat: tat, prev: -1, next: -1}
	s.index[key] = i
	s.pushFront(i)
}

// moveToFront makes entry i the most recently used.
func (s *memoryShard) moveToFront(i int32) {
	if s.head == i {
		return
	}
	s.unlink(i)
	s.pushFront(i)
}

// unlink takes entry i out of the list.
func (s *memoryShard) unlink(i int32) {
	e := &s.entries[i]
	if e.prev >= 0 {
		s.entries[e.prev].next = e.next
	} else {
		s.head = e.next
	}
	if e.next >= 0 {
		s.entries[e.next].prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

// pushFront puts the unlinked entry i at the head of the list.
func (s *memoryShard) pushFront(i int32) {
	e := &s.entries[i]
	e.prev, e.next = -1, s.head
	if s.head >= 0 {
		s.entries[s.head].prev = i
	} else {
		s.tail = i
	}
	s.head = i
}
