package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Comment is one comment, as the API and the data file hold it.
type Comment struct {
	Comment string `json:"comment"`
}

// store holds the comments in memory and, when it has a path, in a JSON
// file that every write replaces atomically.
//
// Writes are group-committed: the comments of POSTs that arrive while a
// save is on disk wait together and go to disk in the next single save, so
// one fsync answers many POSTs. Reads never wait for the disk.
type store struct {
	path string // "" keeps comments in memory only

	// write is held by the one add that saves; it orders saves and
	// guards every batch's saved and err.
	write sync.Mutex

	mu       sync.Mutex // guards comments and batch, never held during a save
	comments []Comment  // what is on disk (or in memory); replaced, never changed in place
	batch    *batch     // comments waiting for the next save
}

// batch is comments saved together, and the outcome all their adds return.
type batch struct {
	comments []Comment
	saved    bool
	err      error
}

// newMemoryStore returns a store seeded with comments that keeps them in
// memory only.
func newMemoryStore(seed []Comment) *store {
	return &store{comments: slices.Clone(seed)}
}

// openStore loads the comments from path, a JSON array of comments. A
// missing file is created holding seed. A file that is not such an array is
// an error: the store never overwrites data it could not read.
func openStore(path string, seed []Comment) (*store, error) {
	s := &store{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.comments = append([]Comment{}, seed...) // never nil: the file must hold an array
		if err := s.save(s.comments); err != nil {
			return nil, err
		}
		return s, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &s.comments); err != nil {
		return nil, fmt.Errorf("reading %s: not a JSON array of comments: %w", path, err)
	}
	if s.comments == nil {
		return nil, fmt.Errorf("reading %s: not a JSON array of comments", path)
	}
	return s, nil
}

// list returns the comments. The slice is shared, not copied (add never
// changes one in place, and it is clipped, so an append copies): callers
// must not change its elements.
func (s *store) list() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clip(s.comments)
}

// add stores c. With a file, it returns only once the file holding c is on
// disk; if that fails, c is not added, nor are the comments saved with it,
// and all their adds return the error.
func (s *store) add(c Comment) error {
	s.mu.Lock()
	b := s.batch
	if b == nil {
		b = &batch{}
		s.batch = b
	}
	b.comments = append(b.comments, c)
	s.mu.Unlock()

	s.write.Lock()
	defer s.write.Unlock()
	if b.saved { // an add of the same batch saved it while this one waited
		return b.err
	}
	s.mu.Lock()
	if s.batch == b {
		s.batch = nil // adds from now on start the next batch
	}
	next := append(slices.Clip(s.comments), b.comments...) // a new array: readers keep the old one
	s.mu.Unlock()
	if s.path != "" {
		b.err = s.save(next)
	}
	b.saved = true
	if b.err == nil {
		s.mu.Lock()
		s.comments = next
		s.mu.Unlock()
	}
	return b.err
}

// save writes comments to s.path atomically: a temporary file in the same
// directory, fsync, rename over the old file, fsync of the directory. A
// crash at any point leaves either the old file or the new one.
func (s *store) save(comments []Comment) (err error) {
	b, err := json.Marshal(comments)
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), s.path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
