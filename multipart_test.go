package micro_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"

	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

const boundary = "b0undary"

// part is one part of a test body: a value, or a file when filename is set.
type part struct{ name, filename, content string }

// multipartBody encodes parts with the boundary above.
func multipartBody(t testing.TB, parts ...part) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	return buf.String()
}

const multipartType = "multipart/form-data; boundary=" + boundary

// dirEntries lists dir's file names.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// expectNoTempFiles fails the test when dir holds any file.
func expectNoTempFiles(t testing.TB, dir string) {
	t.Helper()
	if names := dirEntries(t, dir); len(names) > 0 {
		t.Errorf("temporary files left in %s: %v", dir, names)
	}
}

// fileContent reads fh through Open.
func fileContent(t testing.TB, fh *micro.FileHeader) string {
	t.Helper()
	f, err := fh.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMultipartReadsValuesAndFiles(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 100)
	r := post(multipartBody(t,
		part{name: "title", content: "héllo"},
		part{name: "title", content: "again"},
		part{name: "small", filename: "a.txt", content: "tiny"},
		part{name: "big", filename: "b.bin", content: big},
	), multipartType)
	form, err := micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(10))
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(map[string][]string{"title": {"héllo", "again"}}, form.Value); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for name, fhs := range form.File {
		for _, fh := range fhs {
			got[name] = fmt.Sprintf("%s %d %s", fh.Filename, fh.Size, fileContent(t, fh))
		}
	}
	want := map[string]string{"small": "a.txt 4 tiny", "big": "b.bin 100 " + big}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := len(dirEntries(t, dir)); n != 1 {
		t.Errorf("%d temporary files, want 1: the file over MaxMemory", n)
	}
	if err := form.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	expectNoTempFiles(t, dir)
	if err := form.RemoveAll(); err != nil {
		t.Errorf("second RemoveAll: %v", err)
	}
}

func TestMultipartErrors(t *testing.T) {
	withParts := func(n int) string {
		parts := make([]part, n)
		for i := range parts {
			parts[i] = part{name: "v", content: "1"}
		}
		return multipartBody(t, parts...)
	}
	file := part{name: "f", filename: "f.bin", content: "0123456789"}
	for _, tc := range []struct {
		name, body, ctype string
		opts              []micro.MultipartOption
		want              outcome
	}{
		{"missing Content-Type is 415", multipartBody(t, file), "", nil,
			outcome{415, `Unsupported Content-Type "": expected multipart/form-data`}},
		{"form-urlencoded is 415", "a=1", formType, nil,
			outcome{415, `Unsupported Content-Type "application/x-www-form-urlencoded": expected multipart/form-data`}},
		{"missing boundary is 400", multipartBody(t, file), "multipart/form-data", nil,
			outcome{400, `Invalid multipart body: the Content-Type needs a boundary of 1 to 70 characters, not ""`}},
		{"boundary over 70 characters is 400", multipartBody(t, file), "multipart/form-data; boundary=" + strings.Repeat("b", 71), nil,
			outcome{400, `Invalid multipart body: the Content-Type needs a boundary of 1 to 70 characters, not "` + strings.Repeat("b", 71) + `"`}},
		{"boundary with a forbidden character is 400", multipartBody(t, file), `multipart/form-data; boundary="a@b"`, nil,
			outcome{400, `Invalid multipart body: the Content-Type needs a boundary of 1 to 70 characters, not "a@b"`}},
		{"two boundaries are 400", multipartBody(t, file), "multipart/form-data; boundary=" + boundary + "; Boundary=other", nil,
			outcome{400, "Invalid multipart body: the Content-Type has more than one boundary"}},
		{"empty body is 400", "", multipartType, nil,
			outcome{400, "Invalid multipart body: it ends before its closing boundary"}},
		{"body without the boundary is 400", "just text", multipartType, nil,
			outcome{400, "Invalid multipart body: it ends before its closing boundary"}},
		{"truncated file is 400", strings.TrimSuffix(multipartBody(t, file), "--"+boundary+"--\r\n"), multipartType, nil,
			outcome{400, "Invalid multipart body: it ends before its closing boundary"}},
		{"malformed part header is 400", "--" + boundary + "\r\nno colon here\r\n\r\nx\r\n--" + boundary + "--\r\n", multipartType, nil,
			outcome{400, `Invalid multipart body: malformed MIME header: missing colon: "no colon here"`}},
		{"invalid UTF-8 value is 400", multipartBody(t, part{name: "v", content: "\xff"}), multipartType, nil,
			outcome{400, `Invalid multipart body: value "v" is not valid UTF-8`}},
		{"invalid UTF-8 name is 400", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--" + boundary + "--\r\n",
			multipartType, nil, outcome{400, "Invalid multipart body: a field name is not valid UTF-8"}},
		{"invalid UTF-8 name in RFC 2231 form is 400", "--" + boundary + "\r\nContent-Disposition: form-data; name*=UTF-8''%FF; filename=f\r\n\r\nx\r\n--" + boundary + "--\r\n",
			multipartType, nil, outcome{400, "Invalid multipart body: a field name is not valid UTF-8"}},
		{"value in a latin-1 charset is 415", "--" + boundary + "\r\nContent-Disposition: form-data; name=v\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nÃ©\r\n--" + boundary + "--\r\n",
			multipartType, nil, outcome{415, `Unsupported charset "iso-8859-1": multipart value "v" must be utf-8`}},
		{"one part over MaxParts is 413", withParts(4), multipartType, []micro.MultipartOption{micro.MaxParts(3)},
			outcome{413, "Multipart body has more than 3 parts (MaxParts)"}},
		{"one file over MaxFiles is 413", multipartBody(t, file, file), multipartType, []micro.MultipartOption{micro.MaxFiles(1)},
			outcome{413, "Multipart body has more than 1 files (MaxFiles)"}},
		{"file one byte over MaxFileBytes is 413", multipartBody(t, file), multipartType, []micro.MultipartOption{micro.MaxFileBytes(9)},
			outcome{413, `Multipart file "f.bin" exceeded 9 bytes (MaxFileBytes)`}},
		{"file in memory one byte over MaxFileBytes is 413", multipartBody(t, file), multipartType,
			[]micro.MultipartOption{micro.MaxFileBytes(9), micro.MaxMemory(1 << 20)},
			outcome{413, `Multipart file "f.bin" exceeded 9 bytes (MaxFileBytes)`}},
		{"value one byte over MaxValueBytes is 413", multipartBody(t, part{name: "v", content: "123"}), multipartType,
			[]micro.MultipartOption{micro.MaxValueBytes(2)},
			outcome{413, `Multipart value "v" exceeded 2 bytes (MaxValueBytes)`}},
		{"body one byte over MaxMultipartBytes is 413", multipartBody(t, file), multipartType,
			[]micro.MultipartOption{micro.MaxMultipartBytes(int64(len(multipartBody(t, file)) - 1))},
			outcome{413, fmt.Sprintf("Multipart body exceeded %d bytes (MaxMultipartBytes)", len(multipartBody(t, file))-1)}},
		{"part with too many header fields is 413",
			"--" + boundary + "\r\nContent-Disposition: form-data; name=v\r\nA: 1\r\nB: 2\r\n\r\nx\r\n--" + boundary + "--\r\n",
			multipartType, []micro.MultipartOption{micro.MaxPartHeaders(2)},
			outcome{413, "Multipart part has more than 2 header fields (MaxPartHeaders)"}},
		{"part header one byte over MaxPartHeaderBytes is 413",
			"--" + boundary + "\r\nContent-Disposition: form-data; name=v\r\n\r\nx\r\n--" + boundary + "--\r\n",
			multipartType, []micro.MultipartOption{micro.MaxPartHeaderBytes(int64(len("Content-Disposition: form-data; name=v\r\n")) - 1)},
			outcome{413, "Multipart part header exceeded 39 bytes (MaxPartHeaderBytes)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := append([]micro.MultipartOption{micro.TempDir(dir), micro.MaxMemory(0)}, tc.opts...)
			form, err := micro.Multipart(post(tc.body, tc.ctype), opts...)
			status, detail := errorOf(t, err)
			if diff := gocmp.Diff(tc.want, outcome{status, detail}); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if form != nil {
				t.Errorf("form = %v, want nil with an error", form)
			}
			expectNoTempFiles(t, dir)
		})
	}
}

func TestMultipartValueInAUTF8CharsetIsAccepted(t *testing.T) {
	for _, ct := range []string{"text/plain; charset=UTF-8", `text/plain; charset="utf-8"`, "text/plain; charset=us-ascii", "text/plain"} {
		body := "--" + boundary + "\r\nContent-Disposition: form-data; name=v\r\nContent-Type: " + ct + "\r\n\r\nh\u00e9\r\n--" + boundary + "--\r\n"
		form, err := micro.Multipart(post(body, multipartType))
		if err != nil || form.Value["v"][0] != "h\u00e9" {
			t.Errorf("%s: Multipart = %v, %v; want v=h\u00e9", ct, form, err)
		}
	}
}

func TestMultipartAtEachBoundIsAccepted(t *testing.T) {
	body := multipartBody(t, part{name: "v", content: "12"}, part{name: "f", filename: "f", content: "123"})
	form, err := micro.Multipart(post(body, multipartType), micro.TempDir(t.TempDir()),
		micro.MaxParts(2), micro.MaxFiles(1), micro.MaxFileBytes(3), micro.MaxValueBytes(2),
		micro.MaxMultipartBytes(int64(len(body))), micro.MaxPartHeaders(2))
	if err != nil {
		t.Fatal(err)
	}
	form.RemoveAll()
}

// TestMultipartEpilogueOverTheBoundIs413: a body over MaxMultipartBytes
// by the bytes after its closing boundary is 413 whether or not they came
// in the same read as the boundary.
func TestMultipartEpilogueOverTheBoundIs413(t *testing.T) {
	form := multipartBody(t, part{name: "v", content: "1"})
	body := form + strings.Repeat("e", 100)
	for name, src := range map[string]func() io.Reader{
		"in one read":   func() io.Reader { return strings.NewReader(body) },
		"a byte a read": func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) },
		"after a pause": func() io.Reader { return io.MultiReader(strings.NewReader(form), strings.NewReader(body[len(form):])) },
	} {
		r := httptest.NewRequest("POST", "/", src())
		r.Header.Set("Content-Type", multipartType)
		r.ContentLength = -1
		_, err := micro.Multipart(r, micro.MaxMultipartBytes(int64(len(form)+50)))
		if status, detail := errorOf(t, err); status != 413 {
			t.Errorf("%s: %d %q, want 413", name, status, detail)
		}
	}
}

func TestMultipartDeclaredLengthOverTheBoundIsRefusedUnread(t *testing.T) {
	body := &testkit.CountingReader{R: strings.NewReader(multipartBody(t, part{name: "v", content: "1"}))}
	r := httptest.NewRequest("POST", "/", body)
	r.Header.Set("Content-Type", multipartType)
	r.ContentLength = 100
	_, err := micro.Multipart(r, micro.MaxMultipartBytes(99))
	if status, _ := errorOf(t, err); status != 413 || body.N() != 0 {
		t.Fatalf("status %d after reading %d bytes, want 413 unread", status, body.N())
	}
}

func TestMultipartCompressedBodyIs415(t *testing.T) {
	r := post(multipartBody(t, part{name: "v", content: "1"}), multipartType)
	r.Header.Set("Content-Encoding", "gzip")
	_, err := micro.Multipart(r)
	if status, detail := errorOf(t, err); status != 415 {
		t.Fatalf("status %d %q, want 415", status, detail)
	}
}

func TestMultipartNegativeOptionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"MaxParts":           func() { micro.MaxParts(-1) },
		"MaxFiles":           func() { micro.MaxFiles(-1) },
		"MaxFileBytes":       func() { micro.MaxFileBytes(-1) },
		"MaxMultipartBytes":  func() { micro.MaxMultipartBytes(-1) },
		"MaxValueBytes":      func() { micro.MaxValueBytes(-1) },
		"MaxPartHeaderBytes": func() { micro.MaxPartHeaderBytes(-1) },
		"MaxPartHeaders":     func() { micro.MaxPartHeaders(-1) },
		"MaxMemory":          func() { micro.MaxMemory(-1) },
	} {
		if testkit.Recover(f) == nil {
			t.Errorf("%s(-1) did not panic", name)
		}
	}
}

func TestMultipartIsReadOnce(t *testing.T) {
	r := post(multipartBody(t, part{name: "v", content: "1"}), multipartType)
	first, err := micro.Multipart(r)
	if err != nil {
		t.Fatal(err)
	}
	second, err := micro.Multipart(r)
	if err != nil || second != first {
		t.Fatalf("second Multipart = %p, %v; want the first form %p", second, err, first)
	}
	_, err = micro.Buffer(r)
	if status, _ := errorOf(t, err); status != 400 {
		t.Fatalf("Buffer after Multipart: status %d, want 400", status)
	}
}

func TestMultipartTempDirThatCannotBeWrittenIs500(t *testing.T) {
	dir := t.TempDir() + "/missing"
	r := post(multipartBody(t, part{name: "f", filename: "f", content: "1"}), multipartType)
	_, err := micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(0))
	var e *micro.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("error %v, want an unclassified error (a 500)", err)
	}
}

func TestMultipartBodyLimitOfTheChain(t *testing.T) {
	body := multipartBody(t, part{name: "f", filename: "f", content: strings.Repeat("x", 200)})
	h := middleware.BodyLimit(100)(micro.Handler(func(r *http.Request) (any, error) {
		_, err := micro.Multipart(r)
		return nil, err
	}))
	w := httptest.NewRecorder()
	r := post(body, multipartType)
	r.ContentLength = -1 // not refused by BodyLimit itself
	h.ServeHTTP(w, r)
	p := testkit.RecordedProblem(t, w)
	if p.Status != 413 || p.Detail != "Body exceeded 100 byte limit" {
		t.Fatalf("problem %+v, want 413 naming the chain's limit", p)
	}
}

// Hostile inputs.

func TestMultipartManyEmptyPartsStopAtMaxParts(t *testing.T) {
	body := strings.Repeat("--"+boundary+"\r\n\r\n\r\n", 100_000) + "--" + boundary + "--\r\n"
	src := &testkit.CountingReader{R: strings.NewReader(body)}
	r := httptest.NewRequest("POST", "/", src)
	r.Header.Set("Content-Type", multipartType)
	_, err := micro.Multipart(r)
	status, detail := errorOf(t, err)
	if status != 413 || detail != "Multipart body has more than 1000 parts (MaxParts)" {
		t.Fatalf("%d %q, want 413 for MaxParts", status, detail)
	}
	// 1001 parts of 16 bytes, and the reader's 4 KiB buffer.
	if max := 1001*len("--"+boundary+"\r\n\r\n\r\n") + 8<<10; src.N() > max {
		t.Errorf("read %d bytes of %d, want at most %d", src.N(), len(body), max)
	}
}

func TestMultipartPartHeaderBomb(t *testing.T) {
	for _, tc := range []struct {
		name, header string
	}{
		{"one header line of 10 MiB", "X-Bomb: " + strings.Repeat("a", 10<<20) + "\r\n"},
		{"100,000 header lines", strings.Repeat("X: y\r\n", 100_000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "--" + boundary + "\r\nContent-Disposition: form-data; name=v\r\n" + tc.header + "\r\nx\r\n--" + boundary + "--\r\n"
			src := &testkit.CountingReader{R: strings.NewReader(body)}
			r := httptest.NewRequest("POST", "/", src)
			r.Header.Set("Content-Type", multipartType)
			_, err := micro.Multipart(r)
			status, detail := errorOf(t, err)
			if status != 413 || !strings.Contains(detail, "(MaxPartHeader") {
				t.Fatalf("%d %q, want 413 for a part header bound", status, detail)
			}
			if max := micro.DefaultMaxPartHeaderBytes + 16<<10; src.N() > max {
				t.Errorf("read %d bytes of %d, want at most %d", src.N(), len(body), max)
			}
		})
	}
}

func TestMultipartRouteThatPanicsLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	spilled := false
	h := micro.Handler(func(r *http.Request) (any, error) {
		if _, err := micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(0)); err != nil {
			return nil, err
		}
		spilled = len(dirEntries(t, dir)) == 1
		panic("route failed after reading the form")
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, post(multipartBody(t, part{name: "f", filename: "f", content: "data"}), multipartType))
	if !spilled || w.Code != 500 {
		t.Fatalf("spilled to disk: %v, status %d; want true, 500", spilled, w.Code)
	}
	expectNoTempFiles(t, dir)
}

func TestHandlerRemovesTempFilesAfterTheResponse(t *testing.T) {
	dir := t.TempDir()
	h := micro.Handler(func(r *http.Request) (any, error) {
		form, err := micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(0))
		if err != nil {
			return nil, err
		}
		return form.File["f"][0].Open() // streamed from the temporary file
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, post(multipartBody(t, part{name: "f", filename: "f", content: "data"}), multipartType))
	if w.Code != 200 || w.Body.String() != "data" {
		t.Fatalf("%d %q, want 200 data", w.Code, w.Body)
	}
	expectNoTempFiles(t, dir)
}

// TestMultipartThenABodyHelper: a body helper called after Multipart is a
// 400 and changes nothing: Multipart still returns its form, and Handler
// still removes the form's temporary files.
func TestMultipartThenABodyHelper(t *testing.T) {
	dir := t.TempDir()
	var first, second *micro.MultipartForm
	var helperStatus int
	h := micro.Handler(func(r *http.Request) (any, error) {
		var err error
		if first, err = micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(0)); err != nil {
			return nil, err
		}
		_, err = micro.Text(r)
		helperStatus, _ = errorOf(t, err)
		second, err = micro.Multipart(r)
		return nil, err
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, post(multipartBody(t, part{name: "f", filename: "f", content: "data"}), multipartType))
	if w.Code != 204 || helperStatus != 400 || second != first {
		t.Errorf("status %d, Text's %d, second form %p; want 204, 400 and the first form %p", w.Code, helperStatus, second, first)
	}
	expectNoTempFiles(t, dir)
}

func TestMultipartClientAbortMidUploadLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	done := make(chan error, 1)
	srv := httptest.NewServer(micro.Handler(func(r *http.Request) (any, error) {
		_, err := micro.Multipart(r, micro.TempDir(dir), micro.MaxMemory(0))
		done <- err
		return nil, err
	}))
	t.Cleanup(srv.Close)

	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n"
	conn := testkit.Dial(t, srv)
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s%s",
		multipartType, 1<<20, head, strings.Repeat("x", 64<<10))
	// Wait for the temporary file, then leave mid-body.
	for deadline := time.Now().Add(testkit.Patience); len(dirEntries(t, dir)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no temporary file was created")
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn.Close()
	select {
	case err := <-done:
		if status, _ := errorOf(t, err); status != 400 {
			t.Errorf("status %d, want 400", status)
		}
	case <-time.After(testkit.Patience):
		t.Fatal("Multipart did not return after the client left")
	}
	expectNoTempFiles(t, dir)
}

// BenchmarkMultipart reads a small form with one 64 KiB file: Multipart,
// and net/http's r.ParseMultipartForm with the same 1 MiB in memory.
func BenchmarkMultipart(b *testing.B) {
	body := multipartBody(b, part{name: "title", content: "holiday"},
		part{name: "photo", filename: "photo.jpg", content: strings.Repeat("x", 64<<10)})
	b.Run("impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			form, err := micro.Multipart(post(body, multipartType))
			if err != nil || form.File["photo"][0].Size != 64<<10 {
				b.Fatal(err)
			}
			form.RemoveAll()
		}
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			r := post(body, multipartType)
			if err := r.ParseMultipartForm(micro.DefaultMaxMemory); err != nil || r.MultipartForm.File["photo"][0].Size != 64<<10 {
				b.Fatal(err)
			}
			r.MultipartForm.RemoveAll()
		}
	})
}
