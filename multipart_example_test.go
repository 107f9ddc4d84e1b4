package micro_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro"
)

func ExampleMultipart() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		// Handler removes the form's temporary files after the response.
		form, err := micro.Multipart(r, micro.MaxFiles(1), micro.MaxFileBytes(1<<20))
		if err != nil {
			return nil, err // 415, 413 naming the bound, or 400, as a problem
		}
		fhs := form.File["avatar"]
		if len(fhs) == 0 {
			return nil, micro.Errorf(http.StatusUnprocessableEntity, "avatar is missing")
		}
		f, err := fhs[0].Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		return fmt.Sprintf("%s sent %s (%d bytes, starting %q)",
			form.Value["name"][0], fhs[0].Filename, fhs[0].Size, head[:n]), nil
	})

	// upload builds a form with a name and the files.
	upload := func(files ...string) *http.Request {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("name", "Ada")
		for _, name := range files {
			fw, _ := mw.CreateFormFile("avatar", name)
			fw.Write([]byte("\x89PNG and the rest"))
		}
		mw.Close()
		r := httptest.NewRequest("POST", "/", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		return r
	}

	for _, r := range []*http.Request{upload("ada.png"), upload("ada.png", "two.png")} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 Ada sent ada.png (17 bytes, starting "\x89PNG")
	// 413 {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"Multipart body has more than 1 files (MaxFiles)"}
}
