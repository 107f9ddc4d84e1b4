package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

// The load clients of TestLoad and TestLoadSIGTERM: a weighted mix of
// request kinds, each of which knows the status it must get, sent back to
// back by many goroutines over one keep-alive http.Client.

// loadReq is what a loadKind sends.
type loadReq struct {
	method, path, ctype, body string
}

// loadKind is one kind of request in the mix.
type loadKind struct {
	name   string
	weight int // share of the requests, in percent
	want   int // the status every request of this kind must get
	// stores is set for the kind whose comment is stored: its text must be
	// in the data file once it got want, and may be there when it got no
	// response at all.
	stores bool
	// list is set for the pages of GET /api/comments: some of their
	// answers are decoded and remembered, to check later that each was
	// the part of the file where its page starts.
	list bool
	// build makes the request; tag is unique to it and safe in a path.
	build func(tag string) loadReq
	// check checks the body of a response with the wanted status.
	check func(body []byte, tag string) error
}

const (
	// loadText prefixes the comment of every valid POST, and loadBadText
	// the text inside every invalid one, so that the file can be checked
	// for what must and must not be in it.
	loadText    = "load "
	loadBadText = "load-bad "

	loadListSample = 8  // decode one GET /api/comments answer in this many,
	loadListMax    = 64 // and remember at most this many per client and stretch
)

// loadPadding makes a body over the 64 KiB limit.
var loadPadding = strings.Repeat("x", api.MaxBody)

// loadKinds is the mix: 30% GET /api/comments (the first page), 30% GET
// /api/comments?cursor=newest (the newest page, which the demo's page
// shows), 15% GET /api/comments/{id}, 15% valid POSTs, 10% bad requests of
// seven kinds.
func loadKinds() []loadKind {
	post := func(ctype, body string) loadReq { return loadReq{http.MethodPost, "/api/comments", ctype, body} }
	const js = "application/json"
	isArray := func(body []byte, _ string) error {
		if !bytes.HasPrefix(body, []byte("[")) || !bytes.HasSuffix(body, []byte("]")) {
			return fmt.Errorf("not a JSON array: %.100q", body)
		}
		return nil
	}
	return []loadKind{
		{name: "list-first", weight: 30, want: http.StatusOK, list: true, check: isArray,
			build: func(string) loadReq { return loadReq{method: http.MethodGet, path: "/api/comments"} }},
		{name: "list-newest", weight: 30, want: http.StatusOK, list: true, check: isArray,
			build: func(string) loadReq { return loadReq{method: http.MethodGet, path: "/api/comments?cursor=newest"} }},
		{name: "get-post", weight: 15, want: http.StatusOK,
			build: func(tag string) loadReq { return loadReq{method: http.MethodGet, path: "/api/comments/" + tag} },
			check: func(body []byte, tag string) error {
				if want := `{"post":"` + tag + `","comments":[`; !bytes.HasPrefix(body, []byte(want)) {
					return fmt.Errorf("body does not start with %s: %.100q", want, body)
				}
				return nil
			}},
		{name: "post", weight: 15, want: http.StatusCreated, stores: true,
			build: func(tag string) loadReq { return post(js, `{"comment":"`+loadText+tag+`"}`) },
			check: func(body []byte, tag string) error {
				var c api.Comment
				if err := json.Unmarshal(body, &c); err != nil || c.Comment != loadText+tag {
					return fmt.Errorf("body %.100q, want the stored comment %q", body, loadText+tag)
				}
				return nil
			}},
		{name: "bad-json", weight: 2, want: http.StatusBadRequest, check: loadCheckProblem(http.StatusBadRequest),
			build: func(tag string) loadReq { return post(js, `{"comment":"`+loadBadText+tag+`"`) }},
		{name: "empty", weight: 2, want: http.StatusUnprocessableEntity, check: loadCheckProblem(http.StatusUnprocessableEntity),
			build: func(string) loadReq { return post(js, `{"comment":"   "}`) }},
		{name: "too-long", weight: 1, want: http.StatusUnprocessableEntity, check: loadCheckProblem(http.StatusUnprocessableEntity),
			build: func(tag string) loadReq {
				return post(js, `{"comment":"`+loadBadText+tag+" "+loadPadding[:api.MaxComment]+`"}`)
			}},
		{name: "text", weight: 1, want: http.StatusUnsupportedMediaType, check: loadCheckProblem(http.StatusUnsupportedMediaType),
			build: func(tag string) loadReq { return post("text/plain", "comment=load-bad+"+tag) }},
		{name: "delete", weight: 1, want: http.StatusMethodNotAllowed, check: loadCheckProblem(http.StatusMethodNotAllowed),
			build: func(string) loadReq { return loadReq{method: http.MethodDelete, path: "/api/comments"} }},
		{name: "unknown-path", weight: 2, want: http.StatusNotFound, check: loadCheckProblem(http.StatusNotFound),
			build: func(tag string) loadReq { return loadReq{method: http.MethodGet, path: "/api/nope/" + tag} }},
		{name: "too-large", weight: 1, want: http.StatusRequestEntityTooLarge, check: loadCheckProblem(http.StatusRequestEntityTooLarge),
			build: func(tag string) loadReq { return post(js, `{"comment":"`+loadBadText+tag+" "+loadPadding+`"}`) }},
	}
}

// loadCheckProblem checks that a body is an RFC 9457 problem with status.
func loadCheckProblem(status int) func([]byte, string) error {
	return func(body []byte, _ string) error {
		var p struct {
			Status int `json:"status"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Status != status {
			return fmt.Errorf("not a problem with status %d: %.200q", status, body)
		}
		return nil
	}
}

// loadPick returns the index of a kind, drawn by weight.
func loadPick(kinds []loadKind, rng *rand.Rand) int {
	n := rng.IntN(100)
	for i, k := range kinds {
		if n < k.weight {
			return i
		}
		n -= k.weight
	}
	return 0
}

// loadNewClient returns the client all load goroutines share: keep-alive,
// an idle connection kept for each of them, and a timeout that bounds
// every request.
func loadNewClient(clients int) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		IdleConnTimeout:     time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, tr
}

// loadPlan is one stretch of load.
type loadPlan struct {
	client  *http.Client
	base    string // http://127.0.0.1:port
	round   string // in every request's tag, so tags are unique across stretches
	clients int
	until   time.Time // no request starts after this
	// stopping, when not nil, is set once the server is told to stop: from
	// then on a request that gets no response is expected, and ends its
	// client. Before, or with a nil stopping, it is a failure.
	stopping *atomic.Bool
}

// loadListSeen is a sampled page of GET /api/comments: the index of its
// first comment, how many comments it held and the last of them.
type loadListSeen struct {
	start, n int
	last     string
}

// loadKindStats is what one kind of request got.
type loadKindStats struct {
	statuses map[int]int
	latency  loadHist // of the requests that got a response
}

// loadStats is what a stretch of load, or all of them, got.
type loadStats struct {
	kinds    []loadKindStats // by index in loadKinds
	requests int             // sent
	elapsed  time.Duration
	// lost counts requests that got no response; the expected ones, after
	// stopping was set, are also in expectedLost.
	lost, expectedLost int
	failed             int      // requests with an unexpected outcome
	failures           []string // the first few of them
	created            []string // tags whose comment got a 201
	createdBytes       int      // bytes of those comments, plus a string header each
	uncertain          []string // tags of valid POSTs that got no response
	lists              []loadListSeen
	listBytes          int // bytes of lists: the strings, plus 24 each
}

// loadMaxFailures is how many failures loadStats describes.
const loadMaxFailures = 8

func newLoadStats(kinds int) *loadStats {
	st := &loadStats{kinds: make([]loadKindStats, kinds)}
	for i := range st.kinds {
		st.kinds[i].statuses = map[int]int{}
	}
	return st
}

// fail records an unexpected outcome.
func (st *loadStats) fail(format string, args ...any) {
	st.failed++
	if len(st.failures) < loadMaxFailures {
		st.failures = append(st.failures, fmt.Sprintf(format, args...))
	}
}

// merge adds o to st.
func (st *loadStats) merge(o *loadStats) {
	for i := range o.kinds {
		for status, n := range o.kinds[i].statuses {
			st.kinds[i].statuses[status] += n
		}
		st.kinds[i].latency.merge(&o.kinds[i].latency)
	}
	st.requests += o.requests
	st.elapsed += o.elapsed
	st.lost += o.lost
	st.expectedLost += o.expectedLost
	st.failed += o.failed
	for _, f := range o.failures {
		if len(st.failures) < loadMaxFailures {
			st.failures = append(st.failures, f)
		}
	}
	st.created = append(st.created, o.created...)
	st.createdBytes += o.createdBytes
	st.uncertain = append(st.uncertain, o.uncertain...)
	st.lists = append(st.lists, o.lists...)
	st.listBytes += o.listBytes
}

// report describes st for t.Logf: requests/s, then latency and statuses
// by kind.
func (st *loadStats) report(kinds []loadKind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %s: %.0f requests/s; %d comments stored; %d got no response (%d expected)\n",
		st.requests, st.elapsed.Round(time.Millisecond), float64(st.requests)/st.elapsed.Seconds(),
		len(st.created), st.lost, st.expectedLost)
	fmt.Fprintf(&b, "  %-13s %7s %9s %9s %9s  %s\n", "kind", "n", "p50", "p99", "max≤", "statuses")
	var all loadHist
	for i := range kinds {
		all.merge(&st.kinds[i].latency)
	}
	fmt.Fprintf(&b, "  %-13s %7d %9s %9s %9s\n", "all", all.n, all.quantile(0.5), all.quantile(0.99), all.quantile(1))
	for i, k := range kinds {
		ks := &st.kinds[i]
		var statuses []string
		for _, s := range slices.Sorted(maps.Keys(ks.statuses)) {
			statuses = append(statuses, fmt.Sprintf("%d×%d", s, ks.statuses[s]))
		}
		fmt.Fprintf(&b, "  %-13s %7d %9s %9s %9s  %s\n", k.name, ks.latency.n,
			ks.latency.quantile(0.5), ks.latency.quantile(0.99), ks.latency.quantile(1), strings.Join(statuses, " "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// loadRun sends the mix from p.clients goroutines until p.until (or, once
// p.stopping is set, until each gets no response) and returns what they got.
func loadRun(p loadPlan, kinds []loadKind) *loadStats {
	start := time.Now()
	per := make([]*loadStats, p.clients)
	var wg sync.WaitGroup
	for c := range p.clients {
		st := newLoadStats(len(kinds))
		per[c] = st
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			for n := 0; time.Now().Before(p.until); n++ {
				tag := fmt.Sprintf("%s-c%d-n%d", p.round, c, n)
				if !p.one(kinds, loadPick(kinds, rng), tag, st) {
					return
				}
			}
		})
	}
	wg.Wait()
	total := newLoadStats(len(kinds))
	for _, st := range per {
		total.merge(st)
	}
	total.elapsed = time.Since(start)
	return total
}

// one sends one request of kinds[k] and records what it got in st. It
// returns false when the client should stop: the request got no response
// after the server was told to stop.
func (p loadPlan) one(kinds []loadKind, k int, tag string, st *loadStats) bool {
	kind := &kinds[k]
	rq := kind.build(tag)
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, p.base+rq.path, body)
	if err != nil {
		st.fail("%s %s: %v", kind.name, tag, err)
		return true
	}
	if rq.ctype != "" {
		req.Header.Set("Content-Type", rq.ctype)
	}
	st.requests++
	start := time.Now()
	res, err := p.client.Do(req)
	var got []byte
	if err == nil {
		got, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if res == nil || err != nil {
		st.lost++
		stopping := p.stopping != nil && p.stopping.Load()
		switch {
		case res != nil && kind.stores && res.StatusCode == http.StatusCreated:
			st.created = append(st.created, tag) // on disk before the status was sent
			st.createdBytes += len(loadText+tag) + 16
		case kind.stores && res == nil:
			st.uncertain = append(st.uncertain, tag)
		}
		if stopping {
			st.expectedLost++
			return false
		}
		st.fail("%s %s: no response: %v", kind.name, tag, err)
		return true
	}
	ks := &st.kinds[k]
	ks.latency.add(time.Since(start))
	ks.statuses[res.StatusCode]++
	if res.StatusCode != kind.want {
		st.fail("%s %s: status %d, want %d: %.200q", kind.name, tag, res.StatusCode, kind.want, got)
		return true
	}
	if err := kind.check(got, tag); err != nil {
		st.fail("%s %s: %v", kind.name, tag, err)
	}
	if kind.stores {
		st.created = append(st.created, tag)
		st.createdBytes += len(loadText+tag) + 16
	}
	if kind.list && ks.latency.n%loadListSample == 0 && len(st.lists) < loadListMax {
		var list []api.Comment
		start, err := loadPageStart(res.Header.Get("Link"))
		if err == nil {
			err = json.Unmarshal(got, &list)
		}
		if err != nil || len(list) == 0 || len(list) > api.DefaultLimit {
			st.fail("%s: not a page of comments (%v): %.200q", kind.name, err, got)
		} else {
			last := list[len(list)-1].Comment
			st.lists = append(st.lists, loadListSeen{start, len(list), last})
			st.listBytes += len(last) + 32
		}
	}
	return true
}

// loadLinkRE matches one link of a Link header as the API writes it.
var loadLinkRE = regexp.MustCompile(`<([^>]*)>; rel="(\w+)"`)

// loadPageStart returns the index of the first comment of a page whose
// Link header is link: 0 without a prev link, else where the prev page
// ends. The cursors are opaque to clients; the test knows them.
func loadPageStart(link string) (int, error) {
	for _, m := range loadLinkRE.FindAllStringSubmatch(link, -1) {
		if m[2] != "prev" {
			continue
		}
		u, err := url.Parse(m[1])
		if err != nil {
			return 0, err
		}
		cursor, err1 := strconv.Atoi(u.Query().Get("cursor"))
		limit, err2 := strconv.Atoi(u.Query().Get("limit"))
		if err := errors.Join(err1, err2); err != nil {
			return 0, fmt.Errorf("link %q: %w", link, err)
		}
		return cursor + limit, nil
	}
	return 0, nil
}

// loadHist is a latency histogram in fixed memory: bucket i counts the
// durations in (2^((i-1)/8), 2^(i/8)] µs, so a quantile it reports is at
// most 9% above the true one.
type loadHist struct {
	counts [loadHistBuckets]int
	n      int
}

const (
	loadHistPerOctave = 8
	loadHistBuckets   = loadHistPerOctave * 32 // up to 2^32 µs, over an hour
)

func (h *loadHist) add(d time.Duration) {
	i := 0
	if us := float64(d) / float64(time.Microsecond); us > 1 {
		i = int(math.Ceil(loadHistPerOctave * math.Log2(us)))
	}
	h.counts[min(i, loadHistBuckets-1)]++
	h.n++
}

func (h *loadHist) merge(o *loadHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the upper bound of the bucket that holds the q
// quantile; 0 when h is empty.
func (h *loadHist) quantile(q float64) time.Duration {
	rank := max(1, int(math.Ceil(q*float64(h.n))))
	seen := 0
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			d := time.Duration(math.Exp2(float64(i)/loadHistPerOctave) * float64(time.Microsecond))
			return d.Round(10 * time.Microsecond)
		}
	}
	return 0
}

// loadCheckFile checks the data file against what the load got: the seed,
// then exactly the comments that got a 201, each once, plus any of the
// POSTs that got no response (uncertain). It returns how many of those
// were stored, and describes every discrepancy in problems. Each sampled
// page of GET /api/comments must be where it starts in the file (its
// last comment is), since comments are only ever appended.
func loadCheckFile(file, seed []api.Comment, st *loadStats) (storedUncertain int, problems []string) {
	report := func(format string, args ...any) {
		if len(problems) < loadMaxFailures {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	if len(file) < len(seed) || !slices.Equal(file[:len(seed)], seed) {
		report("the file does not start with the seed %v: %.300v", seed, file)
		return 0, problems
	}
	const (
		created = iota + 1
		uncertain
		seen
	)
	state := make(map[string]int, len(st.created)+len(st.uncertain))
	for _, tag := range st.created {
		state[loadText+tag] = created
	}
	for _, tag := range st.uncertain {
		state[loadText+tag] = uncertain
	}
	for i, c := range file[len(seed):] {
		switch state[c.Comment] {
		case created:
			state[c.Comment] = seen
		case uncertain:
			state[c.Comment] = seen
			storedUncertain++
		case seen:
			report("comment %d, %q, is in the file twice", len(seed)+i, c.Comment)
		default:
			if strings.HasPrefix(c.Comment, loadBadText) {
				report("comment %d, %q, was refused with a 4xx but is in the file", len(seed)+i, c.Comment)
			} else {
				report("comment %d, %q, was never posted", len(seed)+i, c.Comment)
			}
		}
	}
	for _, tag := range st.created {
		if state[loadText+tag] == created {
			report("%q got a 201 but is not in the file", loadText+tag)
		}
	}
	for _, l := range st.lists {
		if end := l.start + l.n; end > len(file) || file[end-1].Comment != l.last {
			report("a GET /api/comments page of %d comments from %d ending with %q is not in the file there", l.n, l.start, l.last)
		}
	}
	return storedUncertain, problems
}
