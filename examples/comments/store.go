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
type store struct {
	mu       sync.Mutex
	path     string // "" keeps comments in memory only
	comments []Comment
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

// list returns a copy of the comments.
func (s *store) list() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.comments)
}

// add stores c. With a file, it returns only once the file holding c is on
// disk; if that fails, c is not added.
func (s *store) add(c Comment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := append(s.comments, c)
	if s.path != "" {
		if err := s.save(next); err != nil {
			return err
		}
	}
	s.comments = next
	return nil
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
