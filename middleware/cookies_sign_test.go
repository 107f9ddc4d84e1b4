package middleware_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/middleware"
)

func TestSignCookieFailsWithoutKeys(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if sc, err := middleware.SignCookie(r, &http.Cookie{Name: "a", Value: "b"}); sc != nil || err == nil {
		t.Errorf("SignCookie without Cookies = %v, %v; want nil and an error", sc, err)
	}
	var sc *http.Cookie
	var err error
	h := middleware.Cookies(middleware.CookiesConfig{Keys: [][]byte{bytes.Repeat([]byte("k"), 32)}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc, err = middleware.SignCookie(r, nil)
	}))
	serve(h, httptest.NewRequest("GET", "/", nil))
	if sc != nil || err == nil {
		t.Errorf("SignCookie(nil) = %v, %v; want nil and an error", sc, err)
	}
}

func TestSignCookieRoundTrips(t *testing.T) {
	h := middleware.Cookies(middleware.CookiesConfig{Keys: [][]byte{bytes.Repeat([]byte("k"), 32)}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := middleware.SignedCookieFrom(r, "visitor"); ok {
			_, _ = w.Write([]byte("back: " + v))
			return
		}
		c := &http.Cookie{Name: "visitor", Value: "v 1;", Path: "/"}
		sc, err := middleware.SignCookie(r, c)
		if err != nil {
			t.Fatal(err)
		}
		if c.Value != "v 1;" || sc.Value == c.Value || sc.Path != "/" {
			t.Errorf("c %v, signed %v", c, sc)
		}
		w.Header().Add("Set-Cookie", sc.String())
	}))
	first := serve(h, httptest.NewRequest("GET", "/", nil))
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range first.Result().Cookies() {
		r.AddCookie(c)
	}
	if got := serve(h, r).Body.String(); got != "back: v 1;" {
		t.Errorf("second response %q", got)
	}
}
