package api

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
)

// Comment is one comment, as the API and the data file hold it.
type Comment struct {
	Comment string `json:"comment"`
}

// Store holds the comments in memory and, when it has a path, in a data
// file: a log that each save appends to (see datafile.go), so a save costs
// what its own comments take, however many the file holds.
//
// Writes are group-committed: the comments of POSTs that arrive while a
// save is on disk wait together and go to disk in the next single append
// and fsync, so one fsync answers many POSTs. Reads never wait for the
// disk: they see the comments whose save has completed.
type Store struct {
	path string // "" keeps comments in memory only

	// write is held by the one add that saves; it orders saves and
	// guards size, torn, and every batch's saved and err.
	write sync.Mutex
	size  int64 // bytes of the file that hold saved comments
	torn  bool  // a failed append may have left bytes past size

	// dropped is how many bytes of a torn last line OpenStore cut.
	dropped int

	mu sync.Mutex // guards comments and batch, never held during a save
	// comments is what is on disk (or in memory). Saves append to it and
	// never change an element: a reader's clipped slice of it stays valid.
	comments []Comment
	batch    *batch // comments waiting for the next save
}

// batch is comments saved together, and the outcome all their adds return.
type batch struct {
	comments []Comment
	saved    bool
	err      error
}

// NewMemoryStore returns a store seeded with comments that keeps them in
// memory only.
func NewMemoryStore(seed []Comment) *Store {
	return &Store{comments: append([]Comment{}, seed...)}
}

// OpenStore loads the comments from the data file at path. A missing file
// is created holding seed. A file in the demo's first format, a JSON array
// of comments, is converted to a log once, atomically. A log whose last
// line is torn (a crash in the middle of an append) is cut back to its last
// complete line; [Store.Dropped] says how many bytes that removed. Any other file
// is an error, and the store never changes data it could not read.
func OpenStore(path string, seed []Comment) (*Store, error) {
	s := &Store{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.comments = append([]Comment{}, seed...)
		if s.size, err = writeLog(path, s.comments); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case isArray(b):
		if s.comments, err = readArray(path, b); err != nil {
			return nil, err
		}
		if s.size, err = writeLog(path, s.comments); err != nil {
			return nil, err
		}
	default:
		var valid int
		if s.comments, valid, err = decodeLog(b); err != nil {
			return nil, err
		}
		if valid < len(b) {
			if err := cutTornLine(path, int64(valid), int64(len(b))); err != nil {
				return nil, err
			}
			s.dropped = len(b) - valid
		}
		s.size = int64(valid)
	}
	return s, nil
}

// List returns all the comments. The slice is shared, not copied: callers
// must not change its elements.
func (s *Store) List() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clip(s.comments)
}

// Dropped returns how many bytes of a torn last line [OpenStore] cut from
// the data file: 0 when it cut none, or the store has no file.
func (s *Store) Dropped() int { return s.dropped }

// Add stores c. With a file, it returns only once the line holding c is
// appended and fsynced; if that fails, c is not added, nor are the
// comments saved with it, and all their adds return the error.
func (s *Store) Add(c Comment) error {
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
	s.mu.Unlock()
	if s.path != "" {
		b.err = s.append(b.comments)
	}
	b.saved = true
	if b.err == nil {
		s.mu.Lock()
		// Past the end of every slice list and page handed out, or into
		// a new array once the capacity is reached: readers are unaffected.
		s.comments = append(s.comments, b.comments...)
		s.mu.Unlock()
	}
	return b.err
}

// append writes the lines of comments at the end of the file's saved bytes
// and fsyncs it. The caller holds s.write. On an error the file is cut back
// to its saved bytes (or, if that fails too, by the next append), so a
// failed batch never leaves a partial line between saved ones. A file that
// is not the size this store left it (another process appended to it or
// cut it) is an error, and is not written: the store writes only a file
// no other process writes.
func (s *Store) append(comments []Comment) (err error) {
	lines, err := encodeLines(nil, comments)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY, 0) // never created here: the file holds the history
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	if err := s.checkSize(f); err != nil {
		return err // and nothing is cut: the bytes are another writer's
	}
	defer func() {
		if err != nil {
			s.torn = f.Truncate(s.size) != nil || f.Sync() != nil
		}
	}()
	if s.torn {
		if err := f.Truncate(s.size); err != nil {
			return err
		}
	}
	if _, err := f.WriteAt(lines, s.size); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	s.size += int64(len(lines))
	s.torn = false
	return nil
}

// checkSize returns an error unless f, the data file, holds the bytes this
// store saved and, after a failed append whose cut failed, its remains.
func (s *Store) checkSize(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if n := fi.Size(); n < s.size || n > s.size && !s.torn {
		return fmt.Errorf("%s holds %d bytes, not the %d this server saved: another process writes it", s.path, n, s.size)
	}
	return nil
}
