package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/examples/comments/api"
)

// loadGrace is the -grace of the child: how long requests in flight may
// take once it got SIGTERM.
const loadGrace = 10 * time.Second

// TestLoadSIGTERM runs the comments program as a child process under the
// mixed load of loadKinds and sends it SIGTERM halfway through
// -load.duration, with a few POSTs in flight whose bodies are only half
// sent. Those POSTs complete with a 201 once the listener is closed; the
// program exits 0 (which it does only when every request in flight
// finished within its -grace); every request answered before it stopped
// is consistent with the data file (a 201'd comment is in it once, a
// refused one is not, a list was a prefix of it); only the requests that
// got no response may be either way; and the program restarted on the
// file serves exactly what the file holds.
func TestLoadSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM is for Unix")
	}
	path := filepath.Join(t.TempDir(), "comments.json")
	seed := api.Seed()
	kinds := loadKinds()
	child := loadStartChild(t, path)
	client, tr := loadNewClient(*loadClients)
	defer tr.CloseIdleConnections()

	var stopping atomic.Bool
	loaded := make(chan *loadStats, 1)
	until := time.Now().Add(*loadDuration)
	go func() {
		loaded <- loadRun(loadPlan{
			client: client, base: "http://" + child.addr, round: "s",
			clients: *loadClients, until: until, stopping: &stopping,
		}, kinds)
	}()
	time.Sleep(*loadDuration / 2)

	var slow []*loadSlowPost
	for i := range 3 {
		p, err := loadStartSlowPost(child.addr, fmt.Sprintf("slow-%d", i))
		if err != nil {
			t.Fatalf("slow POST %d: %v", i, err)
		}
		slow = append(slow, p)
	}
	stopping.Store(true)
	sigterm := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-child.shuttingDown:
	case <-child.exited:
		t.Fatalf("the program exited without shutting down: %v\n%s", child.err, child.log())
	case <-time.After(loadWait):
		t.Fatalf("the program did not log that it is shutting down %s after SIGTERM:\n%s", loadWait, child.log())
	}
	if err := loadWaitRefused(child.addr); err != nil {
		t.Error(err)
	}
	var slowStats loadStats
	for _, p := range slow {
		status, body, err := p.finish()
		switch want := `{"comment":"` + loadText + p.tag + `"}`; {
		case err != nil && status == 0:
			slowStats.uncertain = append(slowStats.uncertain, p.tag)
			t.Errorf("the POST in flight at SIGTERM, %s, got no response: %v", p.tag, err)
		case status != http.StatusCreated || string(body) != want || err != nil:
			t.Errorf("the POST in flight at SIGTERM, %s, got %d %q (%v), want 201 %s", p.tag, status, body, err, want)
		default:
			slowStats.created = append(slowStats.created, p.tag)
		}
	}

	var st *loadStats
	select {
	case st = <-loaded:
	case <-time.After(time.Until(until) + loadWait):
		t.Fatal("the load clients did not stop") // they stop at until, whatever the server does
	}
	select {
	case <-child.exited:
	case <-time.After(loadGrace + loadWait):
		t.Fatalf("the program has not exited %s after SIGTERM, with -grace %s:\n%s",
			time.Since(sigterm).Round(time.Millisecond), loadGrace, child.log())
	}
	exitedAfter := time.Since(sigterm)
	if child.err != nil {
		t.Errorf("the program exited with %v after SIGTERM, want 0:\n%s", child.err, child.log())
	}
	if lines, errs := child.counts(); errs > 0 {
		t.Errorf("the program logged %d lines at level ERROR of %d:\n%s", errs, lines, child.log())
	}
	st.merge(&slowStats)
	t.Logf("SIGTERM at %s: %s\n  %d POSTs in flight at SIGTERM answered 201; exited 0 %s after SIGTERM",
		*loadDuration/2, st.report(kinds), len(slowStats.created), exitedAfter.Round(time.Millisecond))
	if st.failed > 0 {
		t.Errorf("%d of %d requests got an unexpected outcome, the first:\n%s",
			st.failed, st.requests, strings.Join(st.failures, "\n"))
	}

	file, err := api.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	stored, problems := loadCheckFile(file, seed, st)
	t.Logf("the file holds %d comments: the seed, %d that got a 201, and %d of the %d valid POSTs that got no response",
		len(file), len(st.created), stored, len(st.uncertain))
	if len(problems) > 0 {
		t.Errorf("the data file does not match the answers:\n%s", strings.Join(problems, "\n"))
	}

	again := loadStartChild(t, path)
	served, err := loadListAll(client, "http://"+again.addr)
	if err != nil {
		t.Errorf("the restarted program: %v", err)
	}
	if diff := cmp.Diff(file, served); diff != "" {
		t.Errorf("the restarted program serves other comments than the file's (-file +served):\n%s", diff)
	}
	tr.CloseIdleConnections()
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-again.exited:
		if again.err != nil {
			t.Errorf("the restarted program exited with %v after SIGTERM, want 0:\n%s", again.err, again.log())
		}
	case <-time.After(loadGrace + loadWait):
		t.Errorf("the restarted program has not exited after SIGTERM:\n%s", again.log())
	}
}

// loadListAll returns every comment base serves: the pages of GET
// /api/comments?limit=100, following their next links.
func loadListAll(client *http.Client, base string) ([]api.Comment, error) {
	var all []api.Comment
	for path := "/api/comments?limit=100"; path != ""; {
		res, err := client.Get(base + path)
		if err != nil {
			return all, err
		}
		var page []api.Comment
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return all, fmt.Errorf("GET %s = %d (%v)", path, res.StatusCode, err)
		}
		all = append(all, page...)
		path = ""
		for _, m := range loadLinkRE.FindAllStringSubmatch(res.Header.Get("Link"), -1) {
			if m[2] == "next" {
				path = m[1]
			}
		}
	}
	return all, nil
}

// loadChild is the comments program running as a child process: the
// binary of examples/comments, built by program.
type loadChild struct {
	cmd  *exec.Cmd
	addr string // where it listens
	// shuttingDown is closed when it logs that it is shutting down.
	shuttingDown chan struct{}
	// exited is closed once it has exited; err is then what cmd.Wait
	// returned: nil for an exit status of 0.
	exited chan struct{}
	err    error

	mu         sync.Mutex
	lines      int      // of its log
	errorLines int      // at level ERROR
	tail       []string // the last loadTailLines lines
}

const loadTailLines = 30

// loadStartChild starts the program on the data file path, listening on
// a free port of 127.0.0.1, and waits until it listens. The child is gone
// when the test ends, and before the test binary's -timeout: told to stop
// (SIGTERM), then killed loadWait later. If the test process dies without
// running its cleanups (a crash, the -timeout panic), the child is killed
// with it where the system can do that (see dieWithParent).
func loadStartChild(t *testing.T, path string) *loadChild {
	t.Helper()
	ctx := t.Context() // done when the test ends, before its cleanups run
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		// Stopped then, it is gone (killed at the latest loadWait later)
		// before the -timeout panic, which runs no cleanup.
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-loadWait-5*time.Second))
		t.Cleanup(cancel)
	}
	// -post-limit 0: the load comes from one address, and what is measured
	// is shutdown under load, not the rate limit.
	cmd := exec.CommandContext(ctx, program(t, "comments"), "-addr", "127.0.0.1:0", "-data", path,
		"-grace", loadGrace.String(), "-post-limit", "0")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = loadWait // from Cancel to the kill
	dieWithParent(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &loadChild{cmd: cmd, shuttingDown: make(chan struct{}), exited: make(chan struct{})}
	listening := make(chan string, 1)
	go c.read(stderr, listening)
	t.Cleanup(func() { <-c.exited }) // ctx is done: stopped, or killed after WaitDelay
	select {
	case c.addr = <-listening:
	case <-c.exited:
		t.Fatalf("the program exited before listening: %v\n%s", c.err, c.log())
	case <-time.After(loadWait):
		t.Fatalf("the program is not listening after %s:\n%s", loadWait, c.log())
	}
	return c
}

// read reads the child's log until it ends, then waits for the child.
func (c *loadChild) read(stderr io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(nil, 1<<20)
	shutting := false
	for sc.Scan() {
		line := sc.Text()
		if addr, ok := loadListeningAddr(line); ok {
			select {
			case listening <- addr:
			default:
			}
		}
		if !shutting && strings.Contains(line, `msg="shutting down"`) {
			shutting = true
			close(c.shuttingDown)
		}
		c.mu.Lock()
		c.lines++
		if strings.Contains(line, "level=ERROR") {
			c.errorLines++
		}
		if c.tail = append(c.tail, line); len(c.tail) > loadTailLines {
			c.tail = c.tail[1:]
		}
		c.mu.Unlock()
	}
	io.Copy(io.Discard, stderr) // after a line too long for the scanner
	c.err = c.cmd.Wait()
	close(c.exited)
}

// loadListeningAddr returns the address in the program's "listening" log
// line.
func loadListeningAddr(line string) (string, bool) {
	if !strings.Contains(line, "msg=listening ") {
		return "", false
	}
	for f := range strings.FieldsSeq(line) {
		if addr, ok := strings.CutPrefix(f, "addr="); ok {
			return addr, true
		}
	}
	return "", false
}

// counts returns the number of lines of the child's log and of those at
// level ERROR.
func (c *loadChild) counts() (lines, errorLines int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.errorLines
}

// log returns the last lines of the child's log.
func (c *loadChild) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.tail, "\n")
}

// loadWaitRefused waits until a connection to addr is refused: the
// listener is closed.
func loadWaitRefused(addr string) error {
	deadline := time.Now().Add(loadWait)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return nil
		}
		conn.Close()
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s still accepts connections %s after SIGTERM", addr, loadWait)
}

// loadSlowPost is a valid POST in flight: its headers are sent, the
// server is reading its body (it answered the Expect: 100-continue), and
// half the body is sent.
type loadSlowPost struct {
	tag  string
	conn net.Conn
	br   *bufio.Reader
	rest string // the other half of the body
}

// loadStartSlowPost starts a POST of the comment loadText+tag to addr.
func loadStartSlowPost(addr, tag string) (*loadSlowPost, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(2 * loadWait))
	body := `{"comment":"` + loadText + tag + `"}`
	half := len(body) / 2
	br := bufio.NewReader(conn)
	_, err = fmt.Fprintf(conn, "POST /api/comments HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	if err == nil {
		var res *http.Response
		if res, err = http.ReadResponse(br, nil); err == nil && res.StatusCode != http.StatusContinue {
			err = fmt.Errorf("got %d, want 100 Continue", res.StatusCode)
		}
	}
	if err == nil {
		_, err = io.WriteString(conn, body[:half])
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &loadSlowPost{tag: tag, conn: conn, br: br, rest: body[half:]}, nil
}

// finish sends the rest of the body and reads the response; a status of
// 0 means there was none.
func (p *loadSlowPost) finish() (status int, body []byte, err error) {
	defer p.conn.Close()
	if _, err := io.WriteString(p.conn, p.rest); err != nil {
		return 0, nil, err
	}
	res, err := http.ReadResponse(p.br, nil)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	return res.StatusCode, body, err
}
