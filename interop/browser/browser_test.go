package browser_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The deadlines. Every wait in this package has one, so a hang fails a
// test instead of running forever.
const (
	testTimeout  = 30 * time.Second // a test's tab, and every action and wait in it
	startTimeout = 30 * time.Second // Chromium's start; an example's until it listens
	stopTimeout  = 15 * time.Second // an example's exit after SIGTERM
	buildTimeout = 10 * time.Minute // go build of an example, cold cache, loaded machine
	httpTimeout  = 10 * time.Second // a plain Go request to an example
)

// env is what the tests share: one browser, started by the first test that
// needs it, and the example programs, each built by the first test that
// needs it. TestMain sets it before any test runs and never reassigns it;
// its fields are safe for concurrent use.
var env *suite

// suite is the shared environment of env.
type suite struct {
	dir       string                            // temporary: the browser's profile and the built programs
	browser   func() (context.Context, error)   // starts Chromium once; the context of its first tab
	close     func()                            // stops Chromium, if it was started
	programs  map[string]func() (string, error) // example name: builds it once; the binary's path
	chromeLog *limitedBuffer                    // Chromium's output, for a start that fails
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests runs the tests between setting env up and tearing it down, so
// that deferred calls run before os.Exit.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "micro-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := writeProfile(filepath.Join(dir, "profile")); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests:", err)
		return 1
	}
	env = newSuite(dir)
	defer env.close()
	return m.Run()
}

// newSuite returns the environment; it starts nothing. The browser is an
// allocator that starts Chromium on first use, with the profile that
// writeProfile made in dir.
func newSuite(dir string) *suite {
	s := &suite{dir: dir, chromeLog: &limitedBuffer{max: 16 << 10}}
	s.programs = map[string]func() (string, error){
		"comments": sync.OnceValues(func() (string, error) { return s.buildExample("comments") }),
		"stream":   sync.OnceValues(func() (string, error) { return s.buildExample("stream") }),
	}

	path, lookErr := chromiumPath()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, // we run as root in CI's container
		chromedp.DisableGPU,
		// The machine's network is closed: without these Chromium's own
		// connections (QUIC probes, component and sync updates) are
		// refused, and it can stall on them.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.CombinedOutput(s.chromeLog),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// chromedp's cancel must run once: a second call on a context that
	// never started a browser blocks.
	cancelBrowser = sync.OnceFunc(cancelBrowser)

	s.browser = sync.OnceValues(func() (context.Context, error) {
		if lookErr != nil {
			return nil, lookErr
		}
		// The first action starts the browser and binds its life to the
		// context it runs on, so it runs on browserCtx itself, without a
		// deadline; the deadline is here instead.
		started := make(chan error, 1)
		go func() { started <- chromedp.Do(browserCtx) }()
		timer := time.NewTimer(startTimeout)
		defer timer.Stop()
		var err error
		select {
		case err = <-started:
		case <-timer.C:
			cancelBrowser() // kills it
			<-started
			err = fmt.Errorf("no answer within %s", startTimeout)
		}
		if err != nil {
			return nil, fmt.Errorf("starting %s: %w\nits output:\n%s", path, err, s.chromeLog)
		}
		return browserCtx, nil
	})
	s.close = func() {
		cancelBrowser()
		cancelAlloc() // waits for the process to exit
	}
	return s
}

// profilePreferences are the preferences of the browser's fresh profile.
//
// Debian's Chromium (156) starts a new profile with third-party cookies
// blocked, as Chrome for Testing does: the visitor cookie that
// http://localhost:B sets for a page of http://127.0.0.1:A is dropped,
// reported as blocked for "UserPreferences" in
// Network.responseReceivedExtraInfo, so it never comes back.
// Network.setCookieControls with the restriction off does not change
// that; the profile preference cookie_controls_mode 0 ("allow third-party
// cookies", Google Chrome's default) does. The cross-site test needs it:
// the cookie is SameSite=None and Secure, all a browser that allows
// third-party cookies requires.
const profilePreferences = `{"profile": {"cookie_controls_mode": 0}}`

// writeProfile makes a fresh profile directory with profilePreferences.
func writeProfile(dir string) error {
	def := filepath.Join(dir, "Default")
	if err := os.MkdirAll(def, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(def, "Preferences"), []byte(profilePreferences), 0o600)
}

// chromiumPath returns the browser to run: $CHROMIUM if set, else chromium
// from PATH.
func chromiumPath() (string, error) {
	name := os.Getenv("CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return name, fmt.Errorf("chromium not found (install it with apt-get install chromium, or set CHROMIUM): %w", err)
	}
	return path, nil
}

// browserUnavailable ends t because the browser cannot be used: a failure
// under CI=true, where a skipped browser test would be a silent pass, and
// a skip elsewhere.
func browserUnavailable(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the browser is unavailable: %v", err)
	}
	t.Skipf("the browser is unavailable (set CI=true to fail instead): %v", err)
}

// requireBrowser starts the shared browser if it is not running yet, and
// ends t if it cannot: see browserUnavailable. Tests call it first, so
// that they skip before building anything.
func requireBrowser(t *testing.T) context.Context {
	t.Helper()
	browserCtx, err := env.browser()
	if err != nil {
		browserUnavailable(t, err)
	}
	return browserCtx
}

// newTab opens a tab in the shared browser for t, closed when t ends. Its
// context has a deadline of testTimeout, which bounds every action and
// wait of the test from here on; call it after the slow setup (builds).
func newTab(t *testing.T) context.Context {
	t.Helper()
	browserCtx := requireBrowser(t)
	deadline, cancelDeadline := context.WithTimeout(browserCtx, testTimeout)
	tab, cancelTab := chromedp.NewContext(deadline)
	t.Cleanup(func() {
		cancelTab()
		cancelDeadline()
	})
	if err := chromedp.Do(tab); err != nil { // opens it, with the deadline
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// buildExample builds examples/name into s.dir. From this module the
// replace directive resolves the import path to the repository's code.
func (s *suite) buildExample(name string) (string, error) {
	goCmd, err := exec.LookPath("go") // go test puts its GOROOT/bin first in PATH
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin := filepath.Join(s.dir, name)
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "github.com/microkit-go/micro/examples/"+name)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return "", fmt.Errorf("go build examples/%s was slower than %s: a cold build cache on a loaded machine?\n%s", name, buildTimeout, out)
	}
	if err != nil {
		return "", fmt.Errorf("go build examples/%s: %w\n%s", name, err, out)
	}
	return bin, nil
}

// example returns the path of the built example name, building it on first
// use; t fails if it does not build.
func example(t *testing.T, name string) string {
	t.Helper()
	bin, err := env.programs[name]()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// program is a running example: its address and what it logs to stderr.
type program struct {
	name string
	addr string // host:port it listens on, from its "listening" line
	cmd  *exec.Cmd

	exited  chan struct{} // closed when stderr is at its end: the program is gone
	stopped bool          // stop ran

	mu    sync.Mutex
	lines []string // stderr, line by line
}

// startProgram runs bin with args, which must make it listen on
// 127.0.0.1:0, and returns once it logs where it listens. It is stopped
// when t ends, if it was not before, and killed if the test process dies
// (see killedWithTest).
func startProgram(t *testing.T, bin string, args ...string) *program {
	t.Helper()
	p := &program{name: filepath.Base(bin), cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.SysProcAttr = killedWithTest()
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}

	listening := make(chan string, 1)
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			if f := logFields(line); f["msg"] == "listening" {
				select {
				case listening <- f["addr"]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) // a line too long for the scanner: never block the program
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s's stderr:\n%s", p.name, strings.Join(p.log(), "\n"))
		}
	})

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p.addr = <-listening:
		return p
	case <-p.exited:
		t.Fatalf("%s exited before listening", p.name)
	case <-timer.C:
		t.Fatalf("%s did not log where it listens within %s", p.name, startTimeout)
	}
	return nil
}

// stop sends p SIGTERM and waits until it exits; t fails unless it exits
// with status 0 within stopTimeout (then it is killed). Only the first
// call does anything; calls must not be concurrent.
func (p *program) stop(t *testing.T) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM to %s: %v", p.name, err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		t.Errorf("%s still runs %s after SIGTERM; killing it", p.name, stopTimeout)
		p.cmd.Process.Kill()
		<-p.exited
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("%s exited with %v after SIGTERM, want status 0", p.name, err)
	}
}

// log returns a copy of the lines logged so far.
func (p *program) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// logged is one request as the Logger middleware logged it.
type logged struct {
	Method, Path string
	Status       int
	RequestID    string
}

// requests stops p, so that every request it served is logged and read,
// and returns those requests in order, except those ignore (if not nil)
// reports true for.
func (p *program) requests(t *testing.T, ignore func(logged) bool) []logged {
	t.Helper()
	p.stop(t)
	var reqs []logged
	for _, r := range parseLogged(p.log()) {
		if ignore == nil || !ignore(r) {
			reqs = append(reqs, r)
		}
	}
	return reqs
}

// parseLogged returns the requests in lines of a program's log, in order.
func parseLogged(lines []string) []logged {
	var reqs []logged
	for _, line := range lines {
		f := logFields(line)
		if f["method"] == "" {
			continue
		}
		status, _ := strconv.Atoi(f["status"])
		reqs = append(reqs, logged{f["method"], f["path"], status, f["request_id"]})
	}
	return reqs
}

// logFields parses a line of log/slog's TextHandler: key=value pairs,
// values bare or Go-quoted. It stops at the first thing it cannot parse.
func logFields(line string) map[string]string {
	f := map[string]string{}
	for {
		line = strings.TrimLeft(line, " ")
		key, rest, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.Contains(key, " ") {
			return f
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return f
			}
			value, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			value, rest, _ = strings.Cut(rest, " ")
		}
		f[key] = value
		line = rest
	}
}

// getJSON GETs url with a plain Go client and decodes its 200 JSON body.
func getJSON[T any](t *testing.T, url string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), httpTimeout)
	defer cancel()
	var v T
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, want 200 OK: %s", url, res.Status, b)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return v
}

// jsLiteral returns v as a JavaScript literal: its JSON.
func jsLiteral(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// limitedBuffer keeps the first max bytes written to it; it is safe for
// concurrent use.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
