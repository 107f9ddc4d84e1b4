package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The data file is a log: the line logHeader, then one comment per line as
// a JSON object ({"comment":"..."}), oldest first, each line ended by a
// newline. A save appends the lines of its comments and fsyncs the file;
// nothing already in the file is ever rewritten. The demo never edits or
// deletes a comment, so every line is live and the log is the data: there
// is nothing for a compaction to drop.
//
// A crash in the middle of an append leaves a torn last line: bytes after
// the last newline. No 201 was sent for them (a 201 follows the fsync), so
// opening the file drops them. Anything else that is not this format is an
// error, and the file is left as it is.
//
// One process writes a data file. An append, and the cut of a torn line,
// hold an exclusive lock on it (flock, where the system has one), and
// check that it is as the store left it: a store whose file another
// process appended to or cut refuses to save (its POSTs are 500s) rather
// than write over lines that process acknowledged, and a torn-looking last
// line that grew meanwhile was another process's append, left as it is.

// logHeader is the first line of a data file. It tells a log the store wrote
// (whose torn tail it may cut) from a file it must not touch.
const logHeader = `{"format":"micro-comments-log","version":1}` + "\n"

// encodeLines appends the log lines of comments to b.
func encodeLines(b []byte, comments []Comment) ([]byte, error) {
	for _, c := range comments {
		line, err := json.Marshal(c) // escapes newlines: one comment is one line
		if err != nil {
			return nil, err
		}
		b = append(append(b, line...), '\n')
	}
	return b, nil
}

// decodeLog parses the bytes of a data file. It returns the comments of its
// complete lines and valid, the length of the prefix they and the header
// take: bytes past valid are a torn last line. A file that does not start
// with logHeader, or a complete line that is not a JSON object, is an error.
func decodeLog(b []byte) (comments []Comment, valid int, err error) {
	if !bytes.HasPrefix(b, []byte(logHeader)) {
		return nil, 0, fmt.Errorf("not a comments log: the first line is not %s", bytes.TrimSpace([]byte(logHeader)))
	}
	comments = []Comment{} // never nil: a list of none is []
	valid = len(logHeader)
	for n := 2; ; n++ {
		i := bytes.IndexByte(b[valid:], '\n')
		if i < 0 {
			return comments, valid, nil
		}
		line := b[valid : valid+i]
		var c Comment
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &c) != nil {
			return nil, 0, fmt.Errorf("line %d is not a comment: %.100q", n, line)
		}
		comments = append(comments, c)
		valid += i + 1
	}
}

// ReadLog returns the comments of the data file at path, which it never
// changes. A file that is not a comments log, or whose last line is torn,
// is an error.
func ReadLog(path string) ([]Comment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	comments, valid, err := decodeLog(b)
	if err == nil && valid < len(b) {
		err = fmt.Errorf("a torn last line of %d bytes", len(b)-valid)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a complete comments log (%w): %.300q", path, err, b)
	}
	return comments, nil
}

// readArray reads the comments of a data file in the demo's first format,
// a JSON array, which the seed comments.json still uses.
func readArray(path string, b []byte) ([]Comment, error) {
	var comments []Comment
	if err := json.Unmarshal(b, &comments); err != nil {
		return nil, fmt.Errorf("reading %s: not a comments log nor a JSON array of comments: %w", path, err)
	}
	if comments == nil {
		return nil, fmt.Errorf("reading %s: not a comments log nor a JSON array of comments", path)
	}
	return comments, nil
}

// isArray reports whether b, a data file, is in the JSON array format.
func isArray(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '['
}

// cutTornLine truncates the file at path, read as size bytes, to valid
// bytes and makes that durable. A file no longer size bytes long is an
// error and left as it is: what looked torn was another process's append
// in progress.
func cutTornLine(path string, valid, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.Size() != size {
		return fmt.Errorf("%s changed while it was read (%d bytes, then %d): another process writes it", path, size, fi.Size())
	}
	if err := f.Truncate(valid); err != nil {
		return err
	}
	return f.Sync()
}

// writeLog writes a new data file holding comments at path atomically: a
// temporary file in the same directory, fsync, rename over the old file,
// fsync of the directory. A crash at any point leaves either the old file
// or the new one. It returns the size of the file.
func writeLog(path string, comments []Comment) (size int64, err error) {
	b, err := encodeLines([]byte(logHeader), comments)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return 0, err
	}
	if err = f.Sync(); err != nil {
		return 0, err
	}
	if err = f.Close(); err != nil {
		return 0, err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return 0, err
	}
	return int64(len(b)), syncDir(dir)
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
