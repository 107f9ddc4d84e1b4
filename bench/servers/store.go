package servers

import (
	"strconv"
	"sync/atomic"
)

// storeSize is the number of comments in a [Store].
const storeSize = 50

// pageSize is the number of comments GET /api/comments lists.
const pageSize = 10

// bodyLimit is the request body limit of every server: 1 MiB.
const bodyLimit = 1 << 20

// Comment is one comment of the API.
type Comment struct {
	ID     int    `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// NewComment is the body of POST /api/comments.
type NewComment struct {
	Author string `json:"author"`
	Text   string `json:"text"`
}

// Store is a fixed in-memory set of comments, numbered 1 to 50. Creating a
// comment gives it the next ID from an atomic counter but does NOT add it
// to the store, so GET /api/comments answers the same bytes however many
// POSTs a load run makes. A Store is safe for concurrent use.
type Store struct {
	comments []Comment
	lastID   atomic.Int64
}

// NewStore returns a store of 50 comments: comment n is by "user n" and
// reads "comment number n".
func NewStore() *Store {
	s := &Store{comments: make([]Comment, storeSize)}
	for i := range s.comments {
		n := i + 1
		s.comments[i] = Comment{ID: n, Author: "user " + strconv.Itoa(n), Text: "comment number " + strconv.Itoa(n)}
	}
	s.lastID.Store(storeSize)
	return s
}

// Page returns the first 10 comments. The slice is shared: do not modify it.
func (s *Store) Page() []Comment { return s.comments[:pageSize] }

// Get returns the comment whose ID is the decimal id; false for an id that
// is not a number or names no comment.
func (s *Store) Get(id string) (Comment, bool) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 || n > len(s.comments) {
		return Comment{}, false
	}
	return s.comments[n-1], true
}

// Create returns c as a comment with the next ID, without storing it; false
// when c has no text.
func (s *Store) Create(c NewComment) (Comment, bool) {
	if c.Text == "" {
		return Comment{}, false
	}
	return Comment{ID: int(s.lastID.Add(1)), Author: c.Author, Text: c.Text}, true
}
