package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// comment is a comment as the API and the data file of examples/comments
// hold it.
type comment struct {
	Comment string `json:"comment"`
}

// TestCommentsPage drives the page of examples/comments as a user does: it
// lists the stored comments, posts one through its form and shows it, and
// shows the API's problem detail for a comment the API refuses.
func TestCommentsPage(t *testing.T) {
	requireBrowser(t)
	data := filepath.Join(t.TempDir(), "comments.json")
	api := startProgram(t, example(t, "comments"), "-addr", "127.0.0.1:0", "-data", data)
	tab := newTab(t)
	base := "http://" + api.addr

	if err := chromedp.Do(tab, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"First", "Nice post"}, listedComments(t, tab, 2)); diff != "" {
		t.Fatalf("the page lists (-want +got):\n%s", diff)
	}

	// Markup in a comment is text: the page must not render it as HTML.
	const posted = `<b>Hello</b> from Chromium & "friends"`
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("comment"), posted),
		chromedp.Click(chromedp.CSS(`#form button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	want := []comment{{"First"}, {"Nice post"}, {posted}}
	if diff := cmp.Diff([]string{"First", "Nice post", posted}, listedComments(t, tab, 3)); diff != "" {
		t.Errorf("after posting, the page lists (-want +got):\n%s", diff)
	}
	state, err := chromedp.Run(tab, chromedp.Evaluate[formState](formStateJS))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(formState{Elements: 0, Items: 3, Input: "", Error: ""}, state); diff != "" {
		t.Errorf("after posting, the list has no markup, the input is cleared and no error shows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, getJSON[[]comment](t, base+"/api/comments")); diff != "" {
		t.Errorf("GET /api/comments after posting (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, readComments(t, data)); diff != "" {
		t.Errorf("the data file after posting (-want +got):\n%s", diff)
	}

	t.Run("empty comment is stopped by the form", func(t *testing.T) {
		// The input is required: the browser refuses to submit it empty,
		// so no request is sent (the log below has none) and there is no
		// error to show.
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#form button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		valid, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("form").checkValidity()`))
		if err != nil {
			t.Fatal(err)
		}
		if valid {
			t.Fatal("the form with an empty comment is valid; want it refused by the required input")
		}
	})

	t.Run("blank comment shows the API's problem detail", func(t *testing.T) {
		// Spaces pass the required check; the API trims them and answers
		// 422, whose problem detail the page shows.
		if err := chromedp.Do(tab,
			chromedp.SendKeys(chromedp.ID("comment"), "   "),
			chromedp.Click(chromedp.CSS(`#form button[type="submit"]`)),
		); err != nil {
			t.Fatal(err)
		}
		shown, err := chromedp.Run(tab, chromedp.Poll[string](`document.getElementById("error").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "comment must not be empty"; shown != want {
			t.Errorf("the page shows %q, want %q", shown, want)
		}
		state, err := chromedp.Run(tab, chromedp.Evaluate[formState](formStateJS))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(formState{Elements: 0, Input: "   ", Error: "comment must not be empty", Items: 3}, state); diff != "" {
			t.Errorf("after the refusal the input keeps what was typed and the list is unchanged (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, readComments(t, data)); diff != "" {
			t.Errorf("the data file after the refusal (-want +got):\n%s", diff)
		}
	})

	// Each request, as the server logged it: the page, its first list,
	// the post and the list after it, the Go GET, the 422. The empty
	// comment sent nothing. The browser may also have asked for
	// /favicon.ico (a 404) at any time.
	got := pageRequests(t, api)
	wantLog := []logged{
		{"GET", "/", 200, ""},
		{"GET", "/api/comments", 200, ""},
		{"POST", "/api/comments", 201, ""},
		{"GET", "/api/comments", 200, ""},
		{"GET", "/api/comments", 200, ""},
		{"POST", "/api/comments", 422, ""},
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("requests logged (-want +got):\n%s", diff)
	}
}

// TestCommentsPageShowsTheNewestPageFirst starts examples/comments on a data
// file of 60 comments in the first format, a JSON array, which it converts:
// the page lists the newest 50, oldest first, and its "Show older comments"
// button puts the 10 before them above, then hides.
func TestCommentsPageShowsTheNewestPageFirst(t *testing.T) {
	requireBrowser(t)
	data := filepath.Join(t.TempDir(), "comments.json")
	var all []comment
	var texts []string
	for i := range 60 {
		all = append(all, comment{fmt.Sprintf("comment %d", i)})
		texts = append(texts, all[i].Comment)
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	api := startProgram(t, example(t, "comments"), "-addr", "127.0.0.1:0", "-data", data)
	tab := newTab(t)
	if err := chromedp.Do(tab, chromedp.Navigate("http://"+api.addr+"/")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(texts[10:], listedComments(t, tab, 50)); diff != "" {
		t.Fatalf("the page lists (-want +got):\n%s", diff)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("older"))); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(texts, listedComments(t, tab, 60)); diff != "" {
		t.Errorf("after Show older comments, the page lists (-want +got):\n%s", diff)
	}
	hidden, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("older").hidden`))
	if err != nil {
		t.Fatal(err)
	}
	if !hidden {
		t.Error("the Show older comments button is still shown with the oldest comment on the page")
	}
	if diff := cmp.Diff(all, readComments(t, data)); diff != "" {
		t.Errorf("the data file, converted to a log (-want +got):\n%s", diff)
	}
}

// TestCommentsPageShowsThatTheServerCannotBeReached: a comment posted
// once the server is gone (fetch rejects) is not lost in silence: the
// page's alert says the server cannot be reached, and the input keeps
// the comment to try again.
func TestCommentsPageShowsThatTheServerCannotBeReached(t *testing.T) {
	requireBrowser(t)
	api := startProgram(t, example(t, "comments"), "-addr", "127.0.0.1:0")
	tab := newTab(t)
	if err := chromedp.Do(tab, chromedp.Navigate("http://"+api.addr+"/")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"First", "Nice post"}, listedComments(t, tab, 2)); diff != "" {
		t.Fatalf("the page lists (-want +got):\n%s", diff)
	}
	api.stop(t)

	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("comment"), "into the void"),
		chromedp.Click(chromedp.CSS(`#form button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	const shown = "The server cannot be reached: check your connection and try again."
	got, err := chromedp.Run(tab, chromedp.Poll[string](`document.getElementById("error").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if got != shown {
		t.Errorf("the page shows %q, want %q", got, shown)
	}
	state, err := chromedp.Run(tab, chromedp.Evaluate[formState](formStateJS))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(formState{Elements: 0, Items: 2, Input: "into the void", Error: shown}, state); diff != "" {
		t.Errorf("after the failed post the input keeps the comment and the list is unchanged (-want +got):\n%s", diff)
	}
	alert, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => {
		const e = document.getElementById("error");
		return e.getAttribute("role") === "alert" && e.offsetHeight > 0 && getComputedStyle(e).visibility === "visible";
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !alert {
		t.Error(`the message is not in a visible element with role="alert"`)
	}
}

// formState is what the comments page shows around its form.
type formState struct {
	Elements int    `json:"elements"` // elements inside the list items: rendered markup
	Items    int    `json:"items"`    // list items
	Input    string `json:"input"`    // the comment input's value
	Error    string `json:"error"`    // the error paragraph's text
}

// formStateJS evaluates to a formState in the comments page.
const formStateJS = `({
	elements: document.querySelectorAll("#comments li *").length,
	items: document.querySelectorAll("#comments li").length,
	input: document.getElementById("comment").value,
	error: document.getElementById("error").textContent,
})`

// listedComments waits until the comments page lists at least n comments
// and returns their texts.
func listedComments(t *testing.T, tab context.Context, n int) []string {
	t.Helper()
	texts, err := chromedp.Run(tab, chromedp.PollFunction[[]string](`(n) => {
		const texts = [...document.querySelectorAll("#comments li")].map(li => li.textContent);
		return texts.length >= n && texts;
	}`, chromedp.WithPollingArgs(n)))
	if err != nil {
		t.Fatalf("waiting for %d comments on the page: %v", n, err)
	}
	return texts
}

// readComments reads the data file of examples/comments: a header line,
// then one comment per line, each line ended by a newline.
func readComments(t *testing.T, path string) []comment {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if want := `{"format":"micro-comments-log","version":1}` + "\n"; lines[0] != want || lines[len(lines)-1] != "" {
		t.Fatalf("%s does not start with the line %q and end with a newline: %q", path, want, b)
	}
	var cs []comment
	for _, line := range lines[1 : len(lines)-1] {
		var c comment
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("%s: %v in the line %q", path, err, line)
		}
		cs = append(cs, c)
	}
	return cs
}

// isFavicon reports whether r is the browser's own request for an icon.
func isFavicon(r logged) bool { return r.Path == "/favicon.ico" }

// pageRequests stops the comments program p and returns the requests it
// logged, but the favicon's, with their method, path and status alone.
func pageRequests(t *testing.T, p *program) []logged {
	t.Helper()
	var got []logged
	for _, r := range p.requests(t, isFavicon) {
		got = append(got, logged{Method: r.Method, Path: r.Path, Status: r.Status})
	}
	return got
}
