package micro_test

import (
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
)

// FuzzMultipart reads arbitrary bodies with small bounds: Multipart must
// return a form or an *micro.Error, leave no temporary file behind once
// the form is removed, and agree with mime/multipart's ReadForm, the
// reference, on every form it accepts.
func FuzzMultipart(f *testing.F) {
	f.Add(multipartBody(f, part{name: "a", content: "1"}, part{name: "f", filename: "f.txt", content: "hello"}))
	f.Add(multipartBody(f, part{name: "a", content: "1"}, part{name: "a", content: "2"}))
	f.Add("--" + boundary + "\r\nContent-Disposition: form-data; name=q\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n--" + boundary + "--\r\n")
	f.Add("preamble\r\n--" + boundary + "\nContent-Disposition: form-data; name=\"x\"\n\nv\n--" + boundary + "--")
	f.Add("--" + boundary + "\r\n\r\n\r\n--" + boundary + "--\r\n")
	dir := f.TempDir() // one per process: a worker runs its inputs one at a time
	f.Fuzz(func(t *testing.T, body string) {
		form, err := micro.Multipart(post(body, multipartType), micro.TempDir(dir),
			micro.MaxMemory(8), micro.MaxParts(8), micro.MaxFiles(4), micro.MaxFileBytes(64),
			micro.MaxValueBytes(64), micro.MaxPartHeaderBytes(256), micro.MaxPartHeaders(4))
		if err != nil {
			var e *micro.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *micro.Error", err, err)
			}
			expectNoTempFiles(t, dir)
			return
		}
		defer func() {
			if err := form.RemoveAll(); err != nil {
				t.Error(err)
			}
			expectNoTempFiles(t, dir)
		}()
		ref, err := multipart.NewReader(strings.NewReader(body), boundary).ReadForm(1 << 20)
		if err != nil {
			t.Fatalf("Multipart accepted what ReadForm refuses (%v)", err)
		}
		defer ref.RemoveAll()
		if diff := gocmp.Diff(ref.Value, form.Value); diff != "" {
			t.Errorf("values (-ReadForm +Multipart):\n%s", diff)
		}
		files := map[string][]string{}
		for name, fhs := range ref.File {
			for _, fh := range fhs {
				f, err := fh.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(f)
				f.Close()
				files[name] = append(files[name], fh.Filename+":"+string(b))
			}
		}
		got := map[string][]string{}
		for name, fhs := range form.File {
			for _, fh := range fhs {
				got[name] = append(got[name], fh.Filename+":"+fileContent(t, fh))
			}
		}
		if diff := gocmp.Diff(files, got); diff != "" {
			t.Errorf("files (-ReadForm +Multipart):\n%s", diff)
		}
	})
}
