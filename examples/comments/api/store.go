package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
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

	// epoch is chosen at random when the store is made, so that the
	// entity tags of two processes never match (see Store.Version).
	epoch string

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
	tag      string // the list's tag once saved (see Store.Version)
}

// NewMemoryStore returns a store seeded with comments that keeps them in
// memory only.
func NewMemoryStore(seed []Comment) *Store {
	return &Store{comments: append([]Comment{}, seed...), epoch: newEpoch()}
}

// newEpoch returns 8 random base64url characters (48 bits).
func newEpoch() string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand's documented contract)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// OpenStore loads the comments from the data file at path. A missing file
// is created holding seed. A file in the demo's first format, a JSON array
// of comments, is converted to a log once, atomically. A log whose last
// line is torn (a crash in the middle of an append) is cut back to its last
// complete line; [Store.Dropped] says how many bytes that removed. Any other file
// is an error, and the store never changes data it could not read.
func OpenStore(path string, seed []Comment) (*Store, error) {
	s := &Store{path: path, epoch: newEpoch()}
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

// Version returns the strong entity tag of the whole list of comments,
// `"<epoch>-<n>"`: n is the number of comments, and epoch a random value
// chosen when the store was made. Comments are never edited or deleted, so
// n names one list for the life of the store, and a store of another
// process (a restarted server, its memory store holding other comments)
// never gives the same tag.
func (s *Store) Version() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versionLocked()
}

// versionLocked is [Store.Version] for a caller that holds s.mu.
func (s *Store) versionLocked() string {
	return versionTag(s.epoch, len(s.comments))
}

// versionTag returns the entity tag of a list of n comments of epoch.
func versionTag(epoch string, n int) string {
	return `"` + epoch + "-" + strconv.Itoa(n) + `"`
}

// Add stores c. With a file, it returns only once the line holding c is
// appended and fsynced; if that fails, c is not added, nor are the
// comments saved with it, and all their adds return the error.
func (s *Store) Add(c Comment) error {
	_, err := s.AddIf(c, nil)
	return err
}

// AddIf stores c as [Store.Add] does and returns the list's tag (see
// [Store.Version]) right after the save that added c. When check is not
// nil, it is called first with the tag of the list as it is, and c is
// stored only if it returns nil; its error is returned as it is, and
// nothing is stored. The check and the add are one step: no other comment
// is added between them, so two adds checking for the same tag never both
// succeed. Such an add is saved on its own, after the comments waiting for
// a save, never grouped with others. On a failed save the tag is "".
func (s *Store) AddIf(c Comment, check func(tag string) error) (string, error) {
	if check != nil {
		return s.addChecked(c, check)
	}
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
	if !b.saved { // else an add of the same batch saved it while this one waited
		s.mu.Lock()
		if s.batch == b {
			s.batch = nil // adds from now on start the next batch
		}
		s.mu.Unlock()
		s.save(b)
	}
	return b.tag, b.err
}

// addChecked is AddIf with a check. Holding s.write, no save runs: it
// saves the batch waiting (comments posted before this one), then checks
// the tag of the list as readers see it and saves c alone.
func (s *Store) addChecked(c Comment, check func(tag string) error) (string, error) {
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	waiting := s.batch
	s.batch = nil
	s.mu.Unlock()
	if waiting != nil {
		s.save(waiting) // its adds, waiting on s.write, find it saved
	}
	if err := check(s.Version()); err != nil {
		return "", err
	}
	b := &batch{comments: []Comment{c}}
	s.save(b)
	return b.tag, b.err
}

// save writes b's comments and adds them to the list, or sets b.err. The
// caller holds s.write and has taken b out of s.batch.
func (s *Store) save(b *batch) {
	if s.path != "" {
		b.err = s.append(b.comments)
	}
	b.saved = true
	if b.err == nil {
		s.mu.Lock()
		// Past the end of every slice list and page handed out, or into
		// a new array once the capacity is reached: readers are unaffected.
		s.comments = append(s.comments, b.comments...)
		b.tag = s.versionLocked()
		s.mu.Unlock()
	}
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
