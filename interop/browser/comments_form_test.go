package browser_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestCommentsPageWithoutJavaScript posts the page's form with scripts
// disabled: Chromium sends it form-encoded, the API stores the comment and
// answers 303, and the browser loads the page again with a GET.
func TestCommentsPageWithoutJavaScript(t *testing.T) {
	requireBrowser(t)
	data := filepath.Join(t.TempDir(), "comments.json")
	api := startProgram(t, example(t, "comments"), "-addr", "127.0.0.1:0", "-data", data)
	tab := newTab(t)
	base := "http://" + api.addr

	const posted = `Posted without <script> & "JS"`
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.SendKeys(chromedp.ID("comment"), posted),
		chromedp.Submit(chromedp.ID("form")),
		chromedp.WaitReady("body"),
	); err != nil {
		t.Fatal(err)
	}
	// The browser follows the 303 on its own: wait until the server has
	// logged the GET it sends, then stop it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, r := range parseLogged(api.log()) {
			if !isFavicon(r) {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server logged %d requests, want 3: %q", n, api.log())
		}
	}
	got := pageRequests(t, api)
	wantLog := []logged{
		{"GET", "/", 200, ""},
		{"POST", "/api/comments", 303, ""},
		{"GET", "/", 200, ""},
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("requests logged (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]comment{{"First"}, {"Nice post"}, {posted}}, readComments(t, data)); diff != "" {
		t.Errorf("the data file after the form post (-want +got):\n%s", diff)
	}
	location, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if location != base+"/" {
		t.Errorf("the browser is at %q, want the page %q", location, base+"/")
	}
}
