package main

import (
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
func storeQueue(t *testing.T, s *store, texts ...string) (release func() []error) {
	t.Helper()
	s.write.Lock()
	errs := make([]error, len(texts))
	var wg sync.WaitGroup
	for i, text := range texts {
		wg.Go(func() { errs[i] = s.add(Comment{text}) })
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
	path := filepath.Join(t.TempDir(), "comments.json")
	s, err := openStore(path, seed)
	if err != nil {
		t.Fatal(err)
	}
	before := s.list()
	release := storeQueue(t, s, "a", "b", "c")
	if diff := cmp.Diff(seed, s.list()); diff != "" {
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
	if diff := cmp.Diff(readFile(t, path), s.list()); diff != "" {
		t.Errorf("the list differs from the file (-file +list):\n%s", diff)
	}
	if diff := cmp.Diff(seed, before); diff != "" {
		t.Errorf("a list taken before the adds changed (-want +got):\n%s", diff)
	}
}

func TestStoreFailedSaveFailsEveryCommentOfItsBatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.json")
	s, err := openStore(path, seed)
	if err != nil {
		t.Fatal(err)
	}
	release := storeQueue(t, s, "lost 1", "lost 2", "lost 3")
	s.path = filepath.Join(dir, "missing-dir", "comments.json") // the batch's save fails
	for i, err := range release() {
		if err == nil {
			t.Errorf("add %d of a batch whose save failed returned nil", i)
		}
	}
	if diff := cmp.Diff(seed, s.list()); diff != "" {
		t.Errorf("comments that were not saved are listed (-want +got):\n%s", diff)
	}
	s.path = path
	if err := s.add(Comment{"kept"}); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(seed), Comment{"kept"})
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Errorf("the file after a failed batch and a good add (-want +got):\n%s", diff)
	}
}
