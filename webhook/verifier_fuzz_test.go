package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/webhook"
)

// fuzzSecrets are the two secrets of every scheme in FuzzVerify, as
// Standard Webhooks secrets and as raw keys.
var fuzzSecrets = [...]string{vectorSecret, "whsec_" + base64.StdEncoding.EncodeToString([]byte("a second key, rotated in"))}

// FuzzVerify checks the three schemes' header parsing, matching and
// timestamps against refVerify, a plain reading of the rules the doc
// comments state. sign appends a valid signature of the input (by the
// second secret) to the header, so the matching paths are reached.
func FuzzVerify(f *testing.F) {
	ts := strconv.Itoa(vectorTimestamp)
	f.Add(uint8(0), vectorID, ts, vectorSignature, []byte(vectorPayload), int64(0), false)
	f.Add(uint8(0), vectorID, ts, "v1,x v1a,y ", []byte(vectorPayload), int64(301), true)
	f.Add(uint8(0), vectorID, "0"+ts, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", []byte(vectorPayload), int64(-300), false)
	f.Add(uint8(0), strings.Repeat("i", webhook.MaxHeaderBytes+1), ts, "", []byte("{}"), int64(0), true)
	f.Add(uint8(1), "", "", gitHubSignature, []byte(gitHubPayload), int64(0), false)
	f.Add(uint8(1), "", "", "sha256=", []byte("x"), int64(0), true)
	f.Add(uint8(2), "", "", stripeSignature, []byte(stripePayload), int64(0), false)
	f.Add(uint8(2), "", "", "t=1614265330,t=1,v0=x,v1=", []byte("{}"), int64(-1), true)
	f.Add(uint8(2), "", "", "v1=ab,t=1614265330", []byte("{}"), int64(300), true)
	f.Fuzz(func(t *testing.T, schemeN uint8, id, ts, sig string, body []byte, offset int64, sign bool) {
		offset %= 1 << 40
		now := time.Unix(vectorTimestamp+offset, 0)
		clock := func() time.Time { return now }
		var keys [2][]byte
		for i, s := range fuzzSecrets {
			keys[i], _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		}
		h := http.Header{}
		var v *webhook.Verifier
		switch schemeN % 3 {
		case 0:
			v = webhook.Standard(webhook.StandardConfig{Secrets: fuzzSecrets[:], Now: clock})
			if sign {
				sig += " v1," + base64.StdEncoding.EncodeToString(mac(keys[1], id+"."+ts+".", body))
			}
			set(h, "Webhook-Id", id)
			set(h, "Webhook-Timestamp", ts)
			set(h, "Webhook-Signature", sig)
		case 1:
			v = webhook.GitHub(webhook.GitHubConfig{Secrets: fuzzSecrets[:]})
			if sign {
				sig = "sha256=" + hex.EncodeToString(mac([]byte(fuzzSecrets[1]), "", body))
			}
			set(h, "X-Hub-Signature-256", sig)
		default:
			v = webhook.Stripe(webhook.StripeConfig{Secrets: fuzzSecrets[:], Now: clock})
			if sign {
				sig += ",v1=" + hex.EncodeToString(mac([]byte(fuzzSecrets[1]), ts+".", body))
			}
			set(h, "Stripe-Signature", sig)
		}
		err := v.VerifyPayload(h, body)
		want := refVerify(schemeN%3, keys, h, body, now.Unix())
		if got := statusOf(err); got != want {
			t.Fatalf("scheme %d, headers %q: status %d (%v), reference %d", schemeN%3, h, got, err, want)
		}
	})
}

// set sets the header key to value, unless value is empty.
func set(h http.Header, key, value string) {
	if value != "" {
		h[key] = []string{value}
	}
}

// mac is the HMAC-SHA256 of prefix and body under key.
func mac(key []byte, prefix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write(body)
	return m.Sum(nil)
}

// refVerify is the status the package doc gives a request with headers h
// and body, verified with keys (Standard Webhooks keys, or the secrets'
// bytes for GitHub and Stripe) at Unix second now, with the default
// tolerance: 0 when verified.
func refVerify(scheme uint8, keys [2][]byte, h http.Header, body []byte, now int64) int {
	signature := map[uint8]string{0: "Webhook-Signature", 1: "X-Hub-Signature-256", 2: "Stripe-Signature"}[scheme]
	if h.Get(signature) == "" {
		return 401 // whatever the other headers hold
	}
	for _, vs := range h {
		if len(vs[0]) > webhook.MaxHeaderBytes {
			return 400
		}
	}
	digits := func(s string) bool {
		return len(s) >= 1 && len(s) <= 18 && strings.Trim(s, "0123456789") == ""
	}
	fresh := func(ts string) int {
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if age := now - sec; age > 300 || age < -300 {
			return 401
		}
		return 0
	}
	switch scheme {
	case 0:
		sig, id, ts := h.Get("Webhook-Signature"), h.Get("Webhook-Id"), h.Get("Webhook-Timestamp")
		if id == "" || !digits(ts) {
			return 400
		}
		var entries []string
		for _, e := range strings.Split(sig, " ") {
			if e != "" {
				entries = append(entries, e)
			}
		}
		if len(entries) > webhook.MaxSignatures {
			return 400
		}
		for _, key := range keys {
			want := "v1," + base64.StdEncoding.EncodeToString(mac(key, id+"."+ts+".", body))
			for _, e := range entries {
				if e == want {
					return fresh(ts)
				}
			}
		}
		return 401
	case 1:
		sig := h.Get("X-Hub-Signature-256")
		value, ok := strings.CutPrefix(sig, "sha256=")
		if _, err := hex.DecodeString(value); !ok || err != nil || len(value) != 64 {
			return 400
		}
		for _, key := range fuzzSecrets {
			if strings.ToLower(value) == hex.EncodeToString(mac([]byte(key), "", body)) {
				return 0
			}
		}
		return 401
	default:
		sig := h.Get("Stripe-Signature")
		items := strings.Split(sig, ",")
		if len(items) > webhook.MaxSignatures {
			return 400
		}
		var ts string
		var v1 []string
		for _, item := range items {
			k, v, _ := strings.Cut(item, "=")
			switch {
			case k == "t" && (ts != "" || !digits(v)):
				return 400
			case k == "t":
				ts = v
			case k == "v1":
				v1 = append(v1, strings.ToLower(v))
			}
		}
		if ts == "" {
			return 400
		}
		for _, key := range fuzzSecrets {
			want := hex.EncodeToString(mac([]byte(key), ts+".", body))
			for _, s := range v1 {
				if s == want {
					return fresh(ts)
				}
			}
		}
		return 401
	}
}
