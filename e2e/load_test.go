package e2e

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

// The load tests run the comments program with a data file under many
// concurrent clients, short by default and longer by flag:
//
//	go test ./e2e -run 'TestLoad' -v -load.duration=30s -load.clients=64

var (
	loadDuration = flag.Duration("load.duration", 2*time.Second,
		"how long each round of TestLoad, and the whole load of TestLoadSIGTERM, lasts")
	loadClients = flag.Int("load.clients", 32, "concurrent clients of the load tests")
	loadRounds  = flag.Int("load.rounds", 3, "rounds of TestLoad; the heap is measured after each")
)

const (
	// loadHeapSlack, plus loadHeapPerClient for each client, and
	// loadHeapNoise are the heap growth allowed in the first round and in
	// each later one beyond the data stored: see TestLoad.
	loadHeapSlack     = 4 << 20
	loadHeapPerClient = 32 << 10 // a keep-alive connection's buffers, both ends: about 20 KiB measured
	loadHeapNoise     = 1 << 20
	// loadWait bounds every wait for the server: to listen, to stop, for
	// its goroutines to end.
	loadWait = 20 * time.Second
	// loadTrendFrom is the shortest -load.duration whose rounds TestLoad
	// compares for throughput; loadTrendFloor is the least share of the
	// first round's requests/s a later round must reach. Shorter rounds
	// measure noise more than the store's growth.
	loadTrendFrom  = 10 * time.Second
	loadTrendFloor = 0.8
)

// TestLoad runs the example in process, as its program serves it with a
// data file (see loadStartServer), under -load.rounds rounds of -load.duration of the mixed
// load of loadKinds from -load.clients clients. Every request gets its
// kind's status and body, none goes unanswered; the heap grows by no more
// than the comments stored explain; once it has shut down, no goroutine is
// left and the file holds exactly the seed and the comments that got a
// 201. With rounds of loadTrendFrom or longer, no round's requests/s may
// fall below loadTrendFloor of the first's: the cost of a request does not
// grow with the store.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.json")
	seed := api.Seed()
	kinds := loadKinds()
	saveCost := loadSaveCost(t, dir)
	goroutines := runtime.NumGoroutine()

	var logs loadLog
	srv := loadStartServer(t, path, &logs)
	base := "http://" + srv.addr
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			srv.shutdown()
		}
	})

	client, tr := loadNewClient(*loadClients)
	defer tr.CloseIdleConnections()
	total := newLoadStats(len(kinds))
	// The heap after a round may exceed the one before by what the
	// round's comments take, times 4, plus what the test keeps of the
	// round, times 2, plus a fixed slack. A stored comment costs its bytes
	// (rounded up to a size class: at most 12.5% more past 64 bytes, less
	// than 8 bytes below) and a 16-byte string header in the store's
	// slice, whose spare capacity can double that; the test keeps its own
	// copy of each 201'd tag to check the file. So 4 × (bytes + 16)
	// covers them; 2 × covers the sampled list answers the test keeps
	// (loadListMax per client and round) in their slice. The slack is
	// loadHeapSlack plus loadHeapPerClient per client for the first round,
	// which warms up the connections and their buffers on both sides and
	// the runtime's own structures, and loadHeapNoise for the later
	// rounds, which only repeat it. A leak of a kilobyte per request
	// exceeds that within a default round without -race (some 2,000
	// requests; checked by adding one); longer rounds catch smaller leaks.
	// A leaked goroutine is caught by the count after the shutdown.
	heap := loadHeapAlloc()
	warm := heap // after the first round
	var comments, kept int
	var rates []float64 // requests/s of each round
	t.Logf("heap before the load: %s", loadMiB(heap))
	for round := range *loadRounds {
		st := loadRun(loadPlan{
			client: client, base: base, round: fmt.Sprintf("r%d", round),
			clients: *loadClients, until: time.Now().Add(*loadDuration),
		}, kinds)
		after := loadHeapAlloc()
		slack := loadHeapNoise
		if round == 0 {
			slack, warm = loadHeapSlack+*loadClients*loadHeapPerClient, after
		} else {
			comments, kept = comments+st.createdBytes, kept+st.listBytes
		}
		growth, bound := int64(after)-int64(heap), int64(4*st.createdBytes+2*st.listBytes+slack)
		t.Logf("round %d: %s\n  heap %s, %+.2f MiB (bound %s)", round+1, st.report(kinds),
			loadMiB(after), float64(growth)/(1<<20), loadMiB(uint64(bound)))
		if growth > bound {
			t.Errorf("round %d: the heap grew by %d bytes, more than the %d that %d comments of %d bytes, %d bytes kept by the test and the slack explain",
				round+1, growth, bound, len(st.created), st.createdBytes, st.listBytes)
		}
		heap = after
		total.merge(st)
		rates = append(rates, float64(st.requests)/st.elapsed.Seconds())
	}
	if growth, bound := int64(heap)-int64(warm), int64(4*comments+2*kept+loadHeapNoise); growth > bound {
		t.Errorf("after the first round, the heap grew by %d bytes, more than the %d that the comments, what the test kept and the slack explain",
			growth, bound)
	}
	t.Logf("all rounds: %s", total.report(kinds))
	t.Logf("requests/s by round, as the store grows: %.0f", rates)
	if *loadDuration >= loadTrendFrom {
		for i, r := range rates[1:] {
			if r < loadTrendFloor*rates[0] {
				t.Errorf("round %d served %.0f requests/s, less than %.0f%% of the first round's %.0f: throughput falls as the store grows",
					i+2, r, 100*loadTrendFloor, rates[0])
			}
		}
	}
	t.Logf("one store.add alone (an append and an fsync) takes %s on this disk; POSTs that arrive during a save share the next one",
		saveCost)
	if total.failed > 0 {
		t.Errorf("%d of %d requests got an unexpected outcome (%d no response), the first:\n%s",
			total.failed, total.requests, total.lost, strings.Join(total.failures, "\n"))
	}

	stopped = true
	if err := srv.shutdown(); err != nil {
		t.Fatalf("the graceful shutdown failed: %v", err)
	}
	tr.CloseIdleConnections()
	if n := loadWaitGoroutines(goroutines); n > goroutines {
		t.Errorf("%d goroutines %s after the shutdown, %d before the server started:\n%s",
			n, loadWait, goroutines, loadGoroutineDump())
	}
	lines, nErrs, errs := logs.counts()
	if lines < total.requests || nErrs > 0 {
		t.Errorf("the log has %d lines for %d requests, %d at level ERROR, the first:\n%s",
			lines, total.requests, nErrs, strings.Join(errs, "\n"))
	}

	file, err := api.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, problems := loadCheckFile(file, seed, total); len(problems) > 0 {
		t.Errorf("the data file (%d comments) does not hold the seed and the %d comments that got a 201:\n%s",
			len(file), len(total.created), strings.Join(problems, "\n"))
	}
}

// loadStartServer serves the example as the comments program does with
// -data path: the store on that file (seeded with the embedded comments),
// api.NewHandler with a random cookie key, api.NewServer, logging text
// lines to log.
func loadStartServer(t *testing.T, path string, log io.Writer) *server {
	t.Helper()
	s, err := api.OpenStore(path, api.Seed())
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Logger: slog.New(slog.NewTextHandler(log, nil)), CookieKey: []byte(rand.Text() + rand.Text())}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return startServer(t, api.NewHandler(s, cfg), cfg.Logger, loadGrace, nil)
}

// loadSaveCost returns how long one store.add takes in dir, alone: the
// append and fsync that every POST waits for, holding the store's lock.
func loadSaveCost(t *testing.T, dir string) time.Duration {
	t.Helper()
	s, err := api.OpenStore(filepath.Join(dir, "save-cost.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	start := time.Now()
	for i := range n {
		if err := s.Add(api.Comment{Comment: fmt.Sprintf("comment %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(start) / n
}

// loadHeapAlloc returns the live heap. It collects twice first: a
// sync.Pool (the gzip writers) is emptied by the second collection.
func loadHeapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func loadMiB(b uint64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }

// loadWaitGoroutines waits up to loadWait for the number of goroutines
// to come down to want, and returns the last count.
func loadWaitGoroutines(want int) int {
	deadline := time.Now().Add(loadWait)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loadGoroutineDump returns the stacks of all goroutines, grouped, cut
// at 8 KiB.
func loadGoroutineDump() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return fmt.Sprintf("%.8192s", b.String())
}

// loadLog is the program's log: it counts lines (slog writes each in one
// Write) and keeps the first few at level ERROR, which any 5xx makes.
type loadLog struct {
	mu      sync.Mutex
	lines   int
	nErrors int
	errors  []string // the first loadMaxFailures of them
}

func (l *loadLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines += bytes.Count(p, []byte("\n"))
	if bytes.Contains(p, []byte("level=ERROR")) {
		if l.nErrors++; len(l.errors) < loadMaxFailures {
			l.errors = append(l.errors, strings.TrimSpace(string(p)))
		}
	}
	return len(p), nil
}

// counts returns the number of lines, of ERROR lines, and the first of
// those.
func (l *loadLog) counts() (lines, nErrors int, errors []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, l.nErrors, append([]string(nil), l.errors...)
}
