package webhook_test

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/webhook"
)

// The published Standard Webhooks test vector: TestWebhookSign in
// libraries/go/webhook_test.go of github.com/standard-webhooks/standard-webhooks
// (the same key, ID, timestamp, payload and signature), checked again with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:... | base64`.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// The GitHub test vector published in "Validating webhook deliveries"
// (docs.github.com): this secret and payload give this signature.
const (
	gitHubSecret    = "It's a Secret to Everybody"
	gitHubPayload   = "Hello, World!"
	gitHubSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

// A Stripe vector: Stripe publishes none, so this one was computed with
// Stripe's documented algorithm by openssl, not by this package:
// printf '%s' '1614265330.{"id":"evt_test","object":"event"}' |
// openssl dgst -sha256 -hmac whsec_test_secret
const (
	stripeSecret    = "whsec_test_secret"
	stripePayload   = `{"id":"evt_test","object":"event"}`
	stripeSignature = "t=1614265330,v1=fbd6bf5496b9d6310e422a2c072578f95f5eb492111ab57a5510e9cd79c1b304"
)

// at returns a clock stopped at Unix second sec plus d.
func at(sec int64, d time.Duration) func() time.Time {
	return func() time.Time { return time.Unix(sec, 0).Add(d) }
}

// standardVerifier verifies the published vector at its own time.
func standardVerifier(secrets ...string) *webhook.Verifier {
	if len(secrets) == 0 {
		secrets = []string{vectorSecret}
	}
	return webhook.Standard(webhook.StandardConfig{Secrets: secrets, Now: at(vectorTimestamp, 0)})
}

// signStandard signs body as a Standard Webhooks sender does.
func signStandard(secret, id string, ts int64, body string) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signHex is the hex HMAC-SHA256 of msg under the raw key.
func signHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// request builds a POST with body and headers given as key, value pairs.
func request(body string, kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

// checkVerdict fails t unless err has status (0: err is nil) and, when
// not nil, the message detail.
func checkVerdict(t *testing.T, err error, status int, detail string) {
	t.Helper()
	if got := statusOf(err); got != status {
		t.Fatalf("status %d (%v), want %d", got, err, status)
	}
	if err != nil && err.Error() != detail {
		t.Errorf("detail %q, want %q", err.Error(), detail)
	}
}

// statusOf is the status of a *micro.Error err, 0 for nil, -1 otherwise.
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var e *micro.Error
	if !errors.As(err, &e) {
		return -1
	}
	return e.StatusCode()
}

func TestPublishedVectorsVerify(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    *webhook.Verifier
		r    *http.Request
	}{
		{"Standard Webhooks vector", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTimestamp), "webhook-signature", vectorSignature)},
		{"Standard Webhooks vector without the whsec_ prefix", standardVerifier(strings.TrimPrefix(vectorSecret, "whsec_")), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTimestamp), "webhook-signature", vectorSignature)},
		{"GitHub vector", webhook.GitHub(webhook.GitHubConfig{Secrets: []string{gitHubSecret}}),
			request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature)},
		{"GitHub vector in upper-case hex", webhook.GitHub(webhook.GitHubConfig{Secrets: []string{gitHubSecret}}),
			request(gitHubPayload, "X-Hub-Signature-256", "sha256="+strings.ToUpper(strings.TrimPrefix(gitHubSignature, "sha256=")))},
		{"Stripe vector", webhook.Stripe(webhook.StripeConfig{Secrets: []string{stripeSecret}, Now: at(vectorTimestamp, 0)}),
			request(stripePayload, "Stripe-Signature", stripeSignature)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.v.Verify(tc.r); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestTestSignersMatchVectors: the signers the other tests use give the
// published signatures, so a test that signs with them tests the package.
func TestTestSignersMatchVectors(t *testing.T) {
	if got := signStandard(vectorSecret, vectorID, vectorTimestamp, vectorPayload); got != vectorSignature {
		t.Errorf("signStandard = %q, want %q", got, vectorSignature)
	}
	if got := "sha256=" + signHex(gitHubSecret, gitHubPayload); got != gitHubSignature {
		t.Errorf("signHex = %q, want %q", got, gitHubSignature)
	}
	if got := "t=1614265330,v1=" + signHex(stripeSecret, "1614265330."+stripePayload); got != stripeSignature {
		t.Errorf("signHex = %q, want %q", got, stripeSignature)
	}
}

func TestStandardRefusals(t *testing.T) {
	ts := strconv.Itoa(vectorTimestamp)
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!"))
	for _, tc := range []struct {
		name   string
		v      *webhook.Verifier
		r      *http.Request
		status int
		detail string
	}{
		{"tampered body is 401", standardVerifier(), request(`{"test": 2432232315}`,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature),
			401, "Invalid webhook signature: no signature matches"},
		{"tampered ID is 401", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID+"x", "webhook-timestamp", ts, "webhook-signature", vectorSignature),
			401, "Invalid webhook signature: no signature matches"},
		{"wrong secret is 401", standardVerifier(other), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature),
			401, "Invalid webhook signature: no signature matches"},
		{"only other versions is 401", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", "v2"+strings.TrimPrefix(vectorSignature, "v1")),
			401, "Invalid webhook signature: no signature matches"},
		{"a v1 value that is not base64 matches nothing: 401", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", "v1,!!!"),
			401, "Invalid webhook signature: no signature matches"},
		{"no signature header is 401", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts),
			401, "Missing webhook signature: no webhook-signature header"},
		{"no webhook-id is 400", standardVerifier(), request(vectorPayload,
			"webhook-timestamp", ts, "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: no webhook-id header"},
		{"an empty webhook-id is 400", standardVerifier(), request(vectorPayload,
			"webhook-id", "", "webhook-timestamp", ts, "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: no webhook-id header"},
		{"no webhook-timestamp is 400", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: no webhook-timestamp header"},
		{"a signed timestamp is 400", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", "+"+ts, "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: webhook-timestamp is not Unix seconds"},
		{"a timestamp in milliseconds past 18 digits is 400", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", "1234567890123456789", "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: webhook-timestamp is not Unix seconds"},
		{"two signature headers are 400", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature, "webhook-signature", vectorSignature),
			400, "Malformed webhook signature: webhook-signature header sent more than once"},
		{"a signature header one byte over the bound is 400", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature+strings.Repeat(" ", webhook.MaxHeaderBytes-len(vectorSignature)+1)),
			400, "Malformed webhook signature: webhook-signature header over 4096 bytes"},
		{"one signature over the bound is 400, the valid one first", standardVerifier(), request(vectorPayload,
			"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature+strings.Repeat(" v0,x", webhook.MaxSignatures)),
			400, "Malformed webhook signature: webhook-signature lists over 16 signatures"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkVerdict(t, tc.v.Verify(tc.r), tc.status, tc.detail) })
	}
}

func TestStandardAccepts(t *testing.T) {
	ts := strconv.Itoa(vectorTimestamp)
	old := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the previous key, 27 bytes"))
	for _, tc := range []struct {
		name    string
		secrets []string
		sig     string
	}{
		{"the new secret of a rotation", []string{old, vectorSecret}, vectorSignature},
		{"the old secret of a rotation", []string{vectorSecret, old}, signStandard(old, vectorID, vectorTimestamp, vectorPayload)},
		{"the valid signature among others", []string{vectorSecret},
			"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + vectorSignature + " v1,bad"},
		{"exactly the most signatures, the valid one last", []string{vectorSecret},
			strings.Repeat("v1a,x ", webhook.MaxSignatures-1) + vectorSignature},
		{"double spaces between signatures", []string{vectorSecret}, "v0,x  " + vectorSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := standardVerifier(tc.secrets...).Verify(request(vectorPayload,
				"webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", tc.sig))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestTolerance: a timestamp exactly the tolerance away, before or after
// the server's time, is accepted; a nanosecond more is refused, for both
// schemes that sign a timestamp.
func TestTolerance(t *testing.T) {
	const sec = vectorTimestamp
	standard := func(tol, clock time.Duration) error {
		v := webhook.Standard(webhook.StandardConfig{Secrets: []string{vectorSecret}, Tolerance: tol, Now: at(sec, clock)})
		return v.Verify(request(vectorPayload, "webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(sec), "webhook-signature", vectorSignature))
	}
	stripe := func(tol, clock time.Duration) error {
		v := webhook.Stripe(webhook.StripeConfig{Secrets: []string{stripeSecret}, Tolerance: tol, Now: at(sec, clock)})
		return v.Verify(request(stripePayload, "Stripe-Signature", stripeSignature))
	}
	for name, verify := range map[string]func(tol, clock time.Duration) error{"Standard": standard, "Stripe": stripe} {
		for _, tc := range []struct {
			name   string
			tol    time.Duration
			clock  time.Duration // the server's time minus the timestamp
			detail string
		}{
			{"signed now", 0, 0, ""},
			{"default: exactly 5 minutes old is accepted", 0, 5 * time.Minute, ""},
			{"default: 5 minutes and 1ns old is refused", 0, 5*time.Minute + 1,
				"Webhook timestamp too old: signed 5m0s before the server's time, over the tolerance of 5m0s"},
			{"default: exactly 5 minutes ahead is accepted", 0, -5 * time.Minute, ""},
			{"default: 5 minutes and 1ns ahead is refused", 0, -5*time.Minute - 1,
				"Webhook timestamp too new: signed 5m0s after the server's time, over the tolerance of 5m0s"},
			{"an hour ahead is refused", 0, -time.Hour,
				"Webhook timestamp too new: signed 1h0m0s after the server's time, over the tolerance of 5m0s"},
			{"a set tolerance: 30s old accepted", 30 * time.Second, 30 * time.Second, ""},
			{"a set tolerance: 31s old refused", 30 * time.Second, 31 * time.Second,
				"Webhook timestamp too old: signed 31s before the server's time, over the tolerance of 30s"},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				err := verify(tc.tol, tc.clock)
				if tc.detail == "" {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					return
				}
				if statusOf(err) != 401 || err.Error() != tc.detail {
					t.Fatalf("error %v (status %d), want 401 %q", err, statusOf(err), tc.detail)
				}
			})
		}
	}
}

// TestStaleTimestampOfAForgeryIsASignatureError: the signature is checked
// first, so a forged request learns nothing about the server's clock.
func TestStaleTimestampOfAForgeryIsASignatureError(t *testing.T) {
	v := webhook.Standard(webhook.StandardConfig{Secrets: []string{vectorSecret}, Now: at(vectorTimestamp, time.Hour)})
	err := v.Verify(request(vectorPayload+" ", "webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTimestamp), "webhook-signature", vectorSignature))
	if err == nil || err.Error() != "Invalid webhook signature: no signature matches" {
		t.Fatalf("error %v, want the signature's", err)
	}
}

func TestGitHubRefusals(t *testing.T) {
	v := webhook.GitHub(webhook.GitHubConfig{Secrets: []string{gitHubSecret}})
	hexSig := strings.TrimPrefix(gitHubSignature, "sha256=")
	for _, tc := range []struct {
		name   string
		v      *webhook.Verifier
		r      *http.Request
		status int
		detail string
	}{
		{"tampered body is 401", v, request("Hello, World?", "X-Hub-Signature-256", gitHubSignature),
			401, "Invalid webhook signature: no signature matches"},
		{"wrong secret is 401", webhook.GitHub(webhook.GitHubConfig{Secrets: []string{"It's a secret to everybody"}}),
			request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature),
			401, "Invalid webhook signature: no signature matches"},
		{"no header is 401", v, request(gitHubPayload, "X-Hub-Signature", "sha1=01157ea0a6cd1fd7e1a6ac0e1d9a3f8d84f3de2f"),
			401, "Missing webhook signature: no X-Hub-Signature-256 header"},
		{"no sha256= is 400", v, request(gitHubPayload, "X-Hub-Signature-256", hexSig),
			400, "Malformed webhook signature: X-Hub-Signature-256 is not sha256= and 64 hex digits"},
		{"63 hex digits is 400", v, request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature[:len(gitHubSignature)-1]),
			400, "Malformed webhook signature: X-Hub-Signature-256 is not sha256= and 64 hex digits"},
		{"a non-hex digit is 400", v, request(gitHubPayload, "X-Hub-Signature-256", "sha256=g"+hexSig[1:]),
			400, "Malformed webhook signature: X-Hub-Signature-256 is not sha256= and 64 hex digits"},
		{"two headers are 400", v, request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature, "X-Hub-Signature-256", gitHubSignature),
			400, "Malformed webhook signature: X-Hub-Signature-256 header sent more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkVerdict(t, tc.v.Verify(tc.r), tc.status, tc.detail) })
	}
}

func TestGitHubRotation(t *testing.T) {
	v := webhook.GitHub(webhook.GitHubConfig{Secrets: []string{"new secret", gitHubSecret}})
	if err := v.Verify(request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature)); err != nil {
		t.Fatalf("old secret: %v", err)
	}
	if err := v.Verify(request(gitHubPayload, "X-Hub-Signature-256", "sha256="+signHex("new secret", gitHubPayload))); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

func TestStripe(t *testing.T) {
	v := webhook.Stripe(webhook.StripeConfig{Secrets: []string{stripeSecret}, Now: at(vectorTimestamp, 0)})
	good := strings.TrimPrefix(stripeSignature, "t=1614265330,")
	for _, tc := range []struct {
		name   string
		v      *webhook.Verifier
		body   string
		header string
		status int
		detail string
	}{
		{"several v1, the valid one last", v, stripePayload, "t=1614265330,v1=" + strings.Repeat("0", 64) + "," + good, 0, ""},
		{"v0 and unknown items are skipped", v, stripePayload, "t=1614265330,v0=abc,x,scheme=1," + good, 0, ""},
		{"items in another order", v, stripePayload, good + ",t=1614265330", 0, ""},
		{"rotation: the old secret", webhook.Stripe(webhook.StripeConfig{Secrets: []string{"whsec_new", stripeSecret}, Now: at(vectorTimestamp, 0)}),
			stripePayload, stripeSignature, 0, ""},
		{"the secret without whsec_ is another key: 401", webhook.Stripe(webhook.StripeConfig{Secrets: []string{"test_secret"}, Now: at(vectorTimestamp, 0)}),
			stripePayload, stripeSignature, 401, "Invalid webhook signature: no signature matches"},
		{"tampered body is 401", v, stripePayload + "\n", stripeSignature, 401, "Invalid webhook signature: no signature matches"},
		{"tampered timestamp is 401", v, stripePayload, "t=1614265331," + good, 401, "Invalid webhook signature: no signature matches"},
		{"only v0 is 401", v, stripePayload, "t=1614265330,v0=" + strings.TrimPrefix(good, "v1="), 401, "Invalid webhook signature: no signature matches"},
		{"no header is 401", v, stripePayload, "", 401, "Missing webhook signature: no Stripe-Signature header"},
		{"no t= is 400", v, stripePayload, good, 400, "Malformed webhook signature: Stripe-Signature has no t= timestamp"},
		{"two t= are 400", v, stripePayload, "t=1614265330,t=1614265330," + good, 400, "Malformed webhook signature: Stripe-Signature has more than one t="},
		{"t= not a number is 400", v, stripePayload, "t=now," + good, 400, "Malformed webhook signature: Stripe-Signature's t= is not Unix seconds"},
		{"an empty t= is 400", v, stripePayload, "t=," + good, 400, "Malformed webhook signature: Stripe-Signature's t= is not Unix seconds"},
		{"over 16 items is 400", v, stripePayload, stripeSignature + strings.Repeat(",v0=x", 15), 400, "Malformed webhook signature: Stripe-Signature lists over 16 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(tc.body)
			if tc.header != "" {
				r.Header.Set("Stripe-Signature", tc.header)
			}
			checkVerdict(t, tc.v.Verify(r), tc.status, tc.detail)
		})
	}
}

// TestVerifiedBytesAreTheDecodedBytes: micro.JSON after Verify decodes the
// bytes that were verified, without reading the body again.
func TestVerifiedBytesAreTheDecodedBytes(t *testing.T) {
	v := standardVerifier()
	r := request(vectorPayload, "webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTimestamp), "webhook-signature", vectorSignature)
	if err := v.Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := micro.JSON[map[string]int64](r)
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if got["test"] != 2432232314 {
		t.Errorf("JSON decoded %v", got)
	}
	b, _ := micro.Buffer(r)
	if string(b) != vectorPayload {
		t.Errorf("Buffer %q, want %q", b, vectorPayload)
	}
}

func TestBodyErrorsAreMicros(t *testing.T) {
	ts := strconv.Itoa(vectorTimestamp)
	sig := signStandard(vectorSecret, vectorID, vectorTimestamp, strings.Repeat("a", 101))
	r := request(strings.Repeat("a", 101), "webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", sig)
	if err := standardVerifier().Verify(r, micro.Limit(100)); statusOf(err) != 413 {
		t.Errorf("body one byte over micro.Limit: %v, want 413", err)
	}
	r = request(strings.Repeat("a", 100), "webhook-id", vectorID, "webhook-timestamp", ts,
		"webhook-signature", signStandard(vectorSecret, vectorID, vectorTimestamp, strings.Repeat("a", 100)))
	if err := standardVerifier().Verify(r, micro.Limit(100)); err != nil {
		t.Errorf("body of exactly micro.Limit: %v", err)
	}
	r = request("not gzip", "webhook-id", vectorID, "webhook-timestamp", ts, "webhook-signature", vectorSignature, "Content-Encoding", "gzip")
	if err := standardVerifier().Verify(r); statusOf(err) != 400 || !strings.HasPrefix(err.Error(), "Invalid body") {
		t.Errorf("broken gzip: %v, want 400 Invalid body", err)
	}
}

// TestGzipBodyIsVerifiedInflated: providers sign the payload before any
// compression, so a gzip body verifies by its inflated bytes, and its
// compressed bytes, signed, do not.
func TestGzipBodyIsVerifiedInflated(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(gitHubPayload))
	zw.Close()
	v := webhook.GitHub(webhook.GitHubConfig{Secrets: []string{gitHubSecret}})
	for _, tc := range []struct {
		name   string
		sig    string
		status int
	}{
		{"signature of the inflated payload verifies", gitHubSignature, 0},
		{"signature of the gzip bytes is 401", "sha256=" + signHex(gitHubSecret, zipped.String()), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(zipped.String(), "X-Hub-Signature-256", tc.sig, "Content-Encoding", "gzip")
			if got := statusOf(v.Verify(r)); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
		})
	}
}

// TestHandler: the middleware answers a refusal with a problem and never
// runs the route; a verified request reaches it with its body decodable.
func TestHandler(t *testing.T) {
	var got string
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := micro.JSON[map[string]any](r)
		if err != nil {
			t.Errorf("JSON in the route: %v", err)
		}
		got = v["id"].(string)
		w.WriteHeader(http.StatusNoContent)
	})
	h := webhook.Stripe(webhook.StripeConfig{Secrets: []string{stripeSecret}, Now: at(vectorTimestamp, 0)}).Handler(route)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(stripePayload, "Stripe-Signature", stripeSignature))
	if w.Code != 204 || got != "evt_test" {
		t.Fatalf("verified request: status %d, route saw %q", w.Code, got)
	}

	got = ""
	w = httptest.NewRecorder()
	forged := "t=1614265330,v1=" + strings.Repeat("ab", 32)
	h.ServeHTTP(w, request(stripePayload, "Stripe-Signature", forged))
	if w.Code != 401 || got != "" {
		t.Fatalf("forged request: status %d, route saw %q", w.Code, got)
	}
	p := testkit.RecordedProblem(t, w)
	if p.Status != 401 || p.Detail != "Invalid webhook signature: no signature matches" {
		t.Errorf("problem %+v", p)
	}
	if expected := signHex(stripeSecret, "1614265330."+stripePayload); strings.Contains(w.Body.String(), expected) ||
		strings.Contains(w.Body.String(), stripeSecret) {
		t.Errorf("the problem shows the expected signature or the secret: %s", w.Body)
	}
}

// TestHandlerUnderBodyLimit: in a chain, the limit of middleware.BodyLimit
// is Verify's, and a body over it is a 413 problem.
func TestHandlerUnderBodyLimit(t *testing.T) {
	v := webhook.GitHub(webhook.GitHubConfig{Secrets: []string{gitHubSecret}})
	h := middleware.BodyLimit(8)(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the route ran")
	})))
	w := httptest.NewRecorder()
	r := request(gitHubPayload, "X-Hub-Signature-256", gitHubSignature)
	h.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("status %d, want 413", w.Code)
	}
	if p := testkit.RecordedProblem(t, w); p.Detail != "Body exceeded 8 byte limit" {
		t.Errorf("detail %q", p.Detail)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    interface{ Validate() error }
		build  func()
		scheme string
		msg    string
	}{
		{"Standard without a secret", webhook.StandardConfig{}, func() { webhook.Standard(webhook.StandardConfig{}) },
			"Standard", "webhook: Standard: no secret"},
		{"Standard with an empty secret", webhook.StandardConfig{Secrets: []string{vectorSecret, "whsec_"}},
			func() { webhook.Standard(webhook.StandardConfig{Secrets: []string{vectorSecret, "whsec_"}}) },
			"Standard", "webhook: Standard: secret 1 is empty"},
		{"Standard with a secret not base64", webhook.StandardConfig{Secrets: []string{"whsec_not*base64"}},
			func() { webhook.Standard(webhook.StandardConfig{Secrets: []string{"whsec_not*base64"}}) },
			"Standard", "webhook: Standard: secret 0 is not whsec_ and standard base64: illegal base64 data at input byte 3"},
		{"Standard with a negative tolerance", webhook.StandardConfig{Secrets: []string{vectorSecret}, Tolerance: -time.Second},
			func() {
				webhook.Standard(webhook.StandardConfig{Secrets: []string{vectorSecret}, Tolerance: -time.Second})
			},
			"Standard", "webhook: Standard: Tolerance -1s is negative"},
		{"GitHub without a secret", webhook.GitHubConfig{}, func() { webhook.GitHub(webhook.GitHubConfig{}) },
			"GitHub", "webhook: GitHub: no secret"},
		{"GitHub with an empty secret", webhook.GitHubConfig{Secrets: []string{""}}, func() { webhook.GitHub(webhook.GitHubConfig{Secrets: []string{""}}) },
			"GitHub", "webhook: GitHub: secret 0 is empty"},
		{"Stripe with an empty secret", webhook.StripeConfig{Secrets: []string{"a", ""}}, func() { webhook.Stripe(webhook.StripeConfig{Secrets: []string{"a", ""}}) },
			"Stripe", "webhook: Stripe: secret 1 is empty"},
		{"Stripe with a negative tolerance", webhook.StripeConfig{Secrets: []string{"a"}, Tolerance: -1},
			func() { webhook.Stripe(webhook.StripeConfig{Secrets: []string{"a"}, Tolerance: -1}) },
			"Stripe", "webhook: Stripe: Tolerance -1ns is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			var ce *webhook.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate: %v, want a *ConfigError", err)
			}
			if ce.Scheme != tc.scheme || ce.Error() != tc.msg {
				t.Errorf("ConfigError{%q, %q}, want {%q, %q}", ce.Scheme, ce.Error(), tc.scheme, tc.msg)
			}
			if v := testkit.Recover(tc.build); v != tc.msg {
				t.Errorf("constructor panicked with %v, want %q", v, tc.msg)
			}
		})
	}
	for _, cfg := range []interface{ Validate() error }{
		webhook.StandardConfig{Secrets: []string{vectorSecret}},
		webhook.GitHubConfig{Secrets: []string{gitHubSecret}},
		webhook.StripeConfig{Secrets: []string{stripeSecret}},
	} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%T: %v", cfg, err)
		}
	}
}

// BenchmarkVerify verifies a 4 KiB body signed with the second of two
// secrets (every secret is tried whatever matches), through a request as
// a route sees it, beside a hand-written net/http check of the same
// signature (io.ReadAll, one HMAC, hmac.Equal).
func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4<<10)
	const ts = "1614265330"
	sig := signStandard(vectorSecret, vectorID, vectorTimestamp, string(body))
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(vectorSecret, "whsec_"))
	v := webhook.Standard(webhook.StandardConfig{
		Secrets: []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("an old key of 24 bytes!!")), vectorSecret},
		Now:     at(vectorTimestamp, 0),
	})
	header := http.Header{
		"Webhook-Id":        {vectorID},
		"Webhook-Timestamp": {ts},
		"Webhook-Signature": {sig},
	}
	reader := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	b.Run("impl=micro", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			reader.Reset(body)
			req := *r
			req.Header, req.Body, req.ContentLength = header, io.NopCloser(reader), int64(len(body))
			if err := v.Verify(&req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			reader.Reset(body)
			req := *r
			req.Header, req.Body, req.ContentLength = header, io.NopCloser(reader), int64(len(body))
			got, err := io.ReadAll(io.LimitReader(req.Body, micro.DefaultLimit+1))
			if err != nil {
				b.Fatal(err)
			}
			m := hmac.New(sha256.New, key)
			m.Write([]byte(req.Header.Get("Webhook-Id") + "." + req.Header.Get("Webhook-Timestamp") + "."))
			m.Write(got)
			want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
			if !hmac.Equal([]byte(req.Header.Get("Webhook-Signature")), []byte(want)) {
				b.Fatal("no match")
			}
		}
	})
}

func TestZeroVerifierRefusesEverything(t *testing.T) {
	var v webhook.Verifier
	err := v.Verify(request(vectorPayload, "webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTimestamp), "webhook-signature", vectorSignature))
	if statusOf(err) != 401 {
		t.Fatalf("zero Verifier: %v, want 401", err)
	}
}

// TestHandlerNilNextPanics: a nil next handler is a programming error,
// found when the chain is built, not on the first verified request.
func TestHandlerNilNextPanics(t *testing.T) {
	defer func() {
		if v := recover(); v != "webhook: Handler given a nil handler" {
			t.Errorf("panic %v; want the nil handler named", v)
		}
	}()
	standardVerifier().Handler(nil)
}
