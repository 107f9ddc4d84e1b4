package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/webhook"
)

// A route verifies the Standard Webhooks signature, then decodes the
// verified bytes. The clock is stopped at the delivery's timestamp so that
// the example runs as a test; leave Now nil in a server.
func Example_standard() {
	hook := webhook.Standard(webhook.StandardConfig{
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		Now:     func() time.Time { return time.Unix(1614265330, 0) },
	})
	route := micro.Handler(func(r *http.Request) (any, error) {
		if err := hook.Verify(r); err != nil {
			return nil, err // a 400 or 401 problem
		}
		event, err := micro.JSON[struct{ Test int64 }](r) // the bytes verified
		if err != nil {
			return nil, err
		}
		// Store r.Header.Get("webhook-id") and refuse one seen before: a
		// replay within the tolerance verifies again.
		return fmt.Sprint("received ", event.Test), nil
	})

	for _, sig := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
	} {
		r := httptest.NewRequest("POST", "/hooks", strings.NewReader(`{"test": 2432232314}`))
		r.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
		r.Header.Set("webhook-timestamp", "1614265330")
		r.Header.Set("webhook-signature", sig)
		w := httptest.NewRecorder()
		route.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 received 2432232314
	// 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Invalid webhook signature: no signature matches"}
}

// The middleware form in front of a GitHub webhook route: GitHub's
// published test vector passes, a changed body does not.
func Example_gitHub() {
	hook := webhook.GitHub(webhook.GitHubConfig{Secrets: []string{"It's a Secret to Everybody"}})
	h := hook.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := micro.Text(r) // verified
		fmt.Fprintf(w, "got %q", body)
	}))

	for _, body := range []string{"Hello, World!", "Hello, World?"} {
		r := httptest.NewRequest("POST", "/github", strings.NewReader(body))
		r.Header.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 got "Hello, World!"
	// 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Invalid webhook signature: no signature matches"}
}

// A Stripe delivery verified at its timestamp, then the same delivery
// replayed ten minutes later, past the default tolerance of 5 minutes.
func Example_stripe() {
	now := time.Unix(1614265330, 0)
	hook := webhook.Stripe(webhook.StripeConfig{
		Secrets: []string{"whsec_test_secret"},
		Now:     func() time.Time { return now },
	})
	body := []byte(`{"id":"evt_test","object":"event"}`)
	h := http.Header{"Stripe-Signature": {
		"t=1614265330,v1=fbd6bf5496b9d6310e422a2c072578f95f5eb492111ab57a5510e9cd79c1b304",
	}}

	fmt.Println(hook.VerifyPayload(h, body))
	now = now.Add(10 * time.Minute)
	fmt.Println(hook.VerifyPayload(h, body))
	// Output:
	// <nil>
	// Webhook timestamp too old: signed 10m0s before the server's time, over the tolerance of 5m0s
}
