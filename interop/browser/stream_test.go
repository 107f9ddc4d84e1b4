package browser_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestEventSource shows that a browser's EventSource receives the
// server-sent events of examples/stream through the default middleware
// chain, compressed: the page renders every tick, in order, and a
// script's EventSource gets each event's id, resumes after the last one
// when the stream ends, and stops on the 204 that says nothing is left.
func TestEventSource(t *testing.T) {
	requireBrowser(t)
	srv := startProgram(t, example(t, "stream"), "-addr", "127.0.0.1:0")
	tab := newTab(t)
	base := "http://" + srv.addr

	responses := chromedp.Events(tab, network.ResponseReceived) // from now on, buffered
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}

	t.Run("the page lists the ticks in order", func(t *testing.T) {
		// The page starts n=10 every=1s on load; the form restarts it
		// faster.
		const n = 10
		if err := chromedp.Do(tab,
			chromedp.SetValue(chromedp.ID("n"), strconv.Itoa(n)),
			chromedp.SetValue(chromedp.ID("every"), "50ms"),
			chromedp.Click(chromedp.CSS(`#form button[type="submit"]`)),
		); err != nil {
			t.Fatal(err)
		}
		status, err := chromedp.Run(tab, chromedp.Poll[string](`(() => {
			const s = document.getElementById("status");
			return (s.textContent.startsWith("Done") || s.className === "error") && s.textContent;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "Done: 10 ticks."; status != want {
			t.Errorf("the page's status is %q, want %q", status, want)
		}
		type item struct {
			Value int    `json:"value"`
			Text  string `json:"text"`
		}
		items, err := chromedp.Run(tab, chromedp.Evaluate[[]item](
			`[...document.querySelectorAll("#ticks li")].map(li => ({value: li.value, text: li.textContent}))`))
		if err != nil {
			t.Fatal(err)
		}
		var values []int
		for _, it := range items {
			values = append(values, it.Value)
			if prefix := "tick " + strconv.Itoa(it.Value) + " at "; !strings.HasPrefix(it.Text, prefix) {
				t.Errorf("item %d reads %q, want it to start with %q", it.Value, it.Text, prefix)
			}
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		if diff := cmp.Diff(want, values); diff != "" {
			t.Errorf("the ticks listed (-want +got):\n%s", diff)
		}
	})

	// Chromium's EventSource sends Accept-Encoding: gzip; Compress sends
	// streams as they are all the same, since a gzip writer held for the
	// stream's life costs ~800 KiB.
	t.Run("the stream arrives as uncompressed text/event-stream", func(t *testing.T) {
		for ev, err := range responses {
			if err != nil {
				t.Fatalf("no response of /api/ticks seen: %v", err)
			}
			if !strings.Contains(ev.Response.URL, "/api/ticks?") {
				continue
			}
			var encoding any
			for k, v := range ev.Response.Headers {
				if strings.EqualFold(k, "Content-Encoding") {
					encoding = v
				}
			}
			if ev.Response.Status != 200 || ev.Response.MimeType != "text/event-stream" || encoding != nil {
				t.Errorf("the first response of /api/ticks: status %d, type %q, Content-Encoding %v; want 200, text/event-stream, none",
					ev.Response.Status, ev.Response.MimeType, encoding)
			}
			return
		}
	})

	t.Run("an EventSource resumes after the last event id", func(t *testing.T) {
		// The stream of 5 ends; the EventSource reconnects (after its
		// default delay, 3 s in Chromium) with Last-Event-ID: 5, gets 204
		// and closes. A browser that did not send the ID would get the
		// ticks again and never close: the test's deadline would end it.
		type event struct {
			ID   string `json:"id"`
			Tick int    `json:"tick"`
		}
		type result struct {
			Events     []event `json:"events"`
			ReadyState int     `json:"readyState"`
		}
		got, err := chromedp.Run(tab, chromedp.Evaluate[result](`new Promise(resolve => {
			const es = new EventSource("/api/ticks?n=5&every=20ms");
			const events = [];
			es.onmessage = e => events.push({id: e.lastEventId, tick: JSON.parse(e.data).tick});
			es.onerror = () => {
				if (es.readyState === EventSource.CLOSED) resolve({events, readyState: es.readyState});
			};
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		want := result{ReadyState: 2} // EventSource.CLOSED
		for i := 1; i <= 5; i++ {
			want.Events = append(want.Events, event{strconv.Itoa(i), i})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the script's EventSource (-want +got):\n%s", diff)
		}
		// What the server logged for /api/ticks: the page's first stream
		// (cut when the form restarted it), its second, the script's,
		// and the 204 that answered the reconnection.
		var statuses []int
		for _, r := range srv.requests(t, func(r logged) bool { return r.Path != "/api/ticks" }) {
			statuses = append(statuses, r.Status)
		}
		if diff := cmp.Diff([]int{200, 200, 200, 204}, statuses); diff != "" {
			t.Errorf("the statuses of GET /api/ticks, in order (-want +got):\n%s", diff)
		}
	})
}
