package api

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// storeQueue starts n adds while the test holds s.write (as a save in
// progress would), waits until all n wait in one batch, and returns their
// errors once the test releases s.write with release.
func storeQueue(t *testing.T, s *Store, texts ...string) (release func() []error) {
	t.Helper()
	s.write.Lock()
	errs := make([]error, len(texts))
	var wg sync.WaitGroup
	for i, text := range texts {
		wg.Go(func() { errs[i] = s.Add(Comment{text}) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := 0
		if s.batch != nil {
			n = len(s.batch.comments)
		}
		s.mu.Unlock()
		if n == len(texts) {
			break
		}
		if time.Now().After(deadline) {
			s.write.Unlock()
			t.Fatalf("%d of %d adds are waiting after 10 s", n, len(texts))
		}
		time.Sleep(time.Millisecond)
	}
	return func() []error {
		s.write.Unlock()
		wg.Wait()
		return errs
	}
}

func TestStoreSavesCommentsThatArriveDuringASaveTogether(t *testing.T) {
	s, path := tempStore(t, seed)
	before := s.List()
	release := storeQueue(t, s, "a", "b", "c")
	if diff := cmp.Diff(seed, s.List()); diff != "" {
		t.Errorf("comments not yet on disk are listed (-want +got):\n%s", diff)
	}
	for i, err := range release() {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	got := readFile(t, path)
	if diff := cmp.Diff(seed, got[:len(seed)]); diff != "" {
		t.Errorf("the seed changed (-want +got):\n%s", diff)
	}
	added := got[len(seed):]
	slices.SortFunc(added, func(a, b Comment) int { return strings.Compare(a.Comment, b.Comment) })
	if diff := cmp.Diff([]Comment{{"a"}, {"b"}, {"c"}}, added); diff != "" {
		t.Errorf("the file's new comments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(readFile(t, path), s.List()); diff != "" {
		t.Errorf("the list differs from the file (-file +list):\n%s", diff)
	}
	if diff := cmp.Diff(seed, before); diff != "" {
		t.Errorf("a list taken before the adds changed (-want +got):\n%s", diff)
	}
}

func TestStoreFailedSaveFailsEveryCommentOfItsBatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.json")
	s := openStore(t, path, seed)
	release := storeQueue(t, s, "lost 1", "lost 2", "lost 3")
	s.path = filepath.Join(dir, "missing-dir", "comments.json") // the batch's save fails
	for i, err := range release() {
		if err == nil {
			t.Errorf("add %d of a batch whose save failed returned nil", i)
		}
	}
	if diff := cmp.Diff(seed, s.List()); diff != "" {
		t.Errorf("comments that were not saved are listed (-want +got):\n%s", diff)
	}
	s.path = path
	addToSeed(t, s, path, "kept", "after a failed batch and a good add")
}

// openStore opens the store on the data file path; t fails if it cannot.
func openStore(t testing.TB, path string, seed []Comment) *Store {
	t.Helper()
	s, err := OpenStore(path, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tempStore opens a store seeded with seed on a new data file in a
// temporary directory, and returns it with the file's path.
func tempStore(t testing.TB, seed []Comment) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "comments.json")
	return openStore(t, path, seed), path
}

// addToSeed adds the comment text to s, whose data file path holds seed,
// and checks that the file then holds seed and text; when names the
// moment in a failure.
func addToSeed(t *testing.T, s *Store, path, text, when string) {
	t.Helper()
	if err := s.Add(Comment{text}); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(seed), Comment{text})
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Errorf("the file %s (-want +got):\n%s", when, diff)
	}
}

// logOf returns the bytes of a data file holding comments.
func logOf(t *testing.T, comments ...Comment) []byte {
	t.Helper()
	b, err := encodeLines([]byte(logHeader), comments)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStoreAppendsToTheFileAndNeverRewritesIt(t *testing.T) {
	s, path := tempStore(t, seed)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Comment{"a\nline"}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the save replaced the file; want an append to it")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := string(logOf(t, seed...)) + `{"comment":"a\nline"}` + "\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("the file after one add: the seed's lines, then one line for the comment (-want +got):\n%s", diff)
	}
}

func TestStoreCutsATornLastLine(t *testing.T) {
	kept := []Comment{{"First"}, {"Nice post"}}
	for name, tail := range map[string]string{
		"a few bytes of a line":                 `{"comm`,
		"a line cut inside its text":            `{"comment":"half of it`,
		"a whole object without its newline":    `{"comment":"not acknowledged"}`,
		"zeros a crash left where data was due": "\x00\x00\x00\x00",
		"two lines of a batch, the second torn": `{"comment":"b1"}` + "\n" + `{"comment":"b`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "comments.json")
			whole := logOf(t, kept...)
			wantKept := kept
			if strings.Contains(tail, "\n") { // the batch's first line is whole: it may stay
				wantKept = append(slices.Clone(kept), Comment{"b1"})
				whole = logOf(t, wantKept...)
			}
			if err := os.WriteFile(path, append(logOf(t, kept...), tail...), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := OpenStore(path, nil)
			if err != nil {
				t.Fatalf("opening a log with a torn last line: %v", err)
			}
			if diff := cmp.Diff(wantKept, s.List()); diff != "" {
				t.Errorf("the comments before the torn line (-want +got):\n%s", diff)
			}
			if got := s.dropped; got != len(logOf(t, kept...))+len(tail)-len(whole) {
				t.Errorf("dropped = %d bytes", got)
			}
			if b, _ := os.ReadFile(path); string(b) != string(whole) {
				t.Errorf("the file after opening is %q, want the torn line cut: %q", b, whole)
			}
			if err := s.Add(Comment{"after"}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(append(slices.Clone(wantKept), Comment{"after"}), readFile(t, path)); diff != "" {
				t.Errorf("the file after an add (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStoreConvertsAJSONArrayFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.json")
	old := []Comment{{"from"}, {"the first format"}}
	if err := os.WriteFile(path, []byte(` [{"comment":"from"},{"comment":"the first format"}]`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path, seed)
	if diff := cmp.Diff(old, s.List()); diff != "" {
		t.Errorf("the comments of the array file (-want +got):\n%s", diff)
	}
	if err := s.Add(Comment{"new"}); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(old), Comment{"new"})
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Errorf("the file, now a log (-want +got):\n%s", diff)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

func TestStoreCutsWhatAFailedAppendLeft(t *testing.T) {
	s, path := tempStore(t, seed)
	// What a write that failed half way, and whose undo failed too, left.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"comment":"failed ba`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s.torn = true
	addToSeed(t, s, path, "next", "after the next add")
}

// BenchmarkStoreSave measures one save of one comment into a data file
// already holding n comments of 1,000 characters: impl=append is the
// store's (an append and an fsync), impl=rewrite the baseline of writing
// the whole file anew, as the first store did. The append's cost does not
// grow with n.
func BenchmarkStoreSave(b *testing.B) {
	long := Comment{strings.Repeat("x", MaxComment)}
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("comments=%d/impl=append", n), func(b *testing.B) {
			s, err := OpenStore(filepath.Join(b.TempDir(), "comments.json"), slices.Repeat([]Comment{long}, n))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Add(Comment{"one more"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("comments=%d/impl=rewrite", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "comments.json")
			all := slices.Repeat([]Comment{long}, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := writeLog(path, append(all[:n:n], Comment{"one more"})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStoreNeverWritesOverAnotherWritersLines: two servers given the same
// data file (a restart that overlaps the old process's grace period, a
// second instance started by mistake) each append at the end they know.
// The second must refuse its save, not write its line over the first's,
// whose 201 said it was on disk.
func TestStoreNeverWritesOverAnotherWritersLines(t *testing.T) {
	first, path := tempStore(t, seed)
	second := openStore(t, path, nil)
	if err := first.Add(Comment{"acknowledged by the first server"}); err != nil {
		t.Fatal(err)
	}
	if err := second.Add(Comment{"second"}); err == nil {
		t.Error("the second server's save of a file the first appended to returned nil")
	}
	want := append(slices.Clone(seed), Comment{"acknowledged by the first server"})
	restarted, err := OpenStore(path, nil)
	if err != nil {
		t.Fatalf("reopening the data file: %v", err)
	}
	if diff := cmp.Diff(want, restarted.List()); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(seed, second.List()); diff != "" {
		t.Errorf("the second server lists (-want +got):\n%s", diff)
	}
}

// TestStoreKeepsEveryAcknowledgedCommentWithTwoWriters: two stores on one
// file save at once; whatever saves either refuses, every comment whose
// add returned nil is in the file, which stays readable.
func TestStoreKeepsEveryAcknowledgedCommentWithTwoWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "comments.json")
	var stores [2]*Store
	for i := range stores {
		s := openStore(t, path, seed)
		stores[i] = s
	}
	var mu sync.Mutex
	var acked []Comment
	var wg sync.WaitGroup
	for i, s := range stores {
		for j := range 20 {
			wg.Go(func() {
				c := Comment{fmt.Sprintf("server %d, comment %d", i, j)}
				if s.Add(c) == nil {
					mu.Lock()
					acked = append(acked, c)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	restarted, err := OpenStore(path, nil)
	if err != nil {
		t.Fatalf("reopening the data file: %v", err)
	}
	got := restarted.List()
	for _, c := range acked {
		if !slices.Contains(got, c) {
			t.Errorf("%q was acknowledged but is not in the file", c.Comment)
		}
	}
	if len(acked) == 0 {
		t.Error("no add succeeded")
	}
}

// TestStoreLeavesATornLookingTailThatGrows: what OpenStore read as a torn
// last line was another process's append in progress if the file grew
// since: it is not cut.
func TestStoreLeavesATornLookingTailThatGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "comments.json")
	whole := logOf(t, seed...)
	read := append(slices.Clone(whole), `{"comment":"in prog`...)
	grown := append(slices.Clone(read), `ress"}`+"\n"...)
	if err := os.WriteFile(path, grown, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cutTornLine(path, int64(len(whole)), int64(len(read))); err == nil {
		t.Error("cutting a file that grew since it was read returned nil")
	}
	if b, _ := os.ReadFile(path); string(b) != string(grown) {
		t.Errorf("the file is %q, want it left as it was", b)
	}
}
