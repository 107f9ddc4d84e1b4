package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro/middleware"
)

// A login route sets a signed session cookie and a profile route reads it
// back; a cookie the client edited reads as absent.
func ExampleSetSignedCookie() {
	// In production: 32 or more random bytes from a secret store, the
	// newest first.
	key := []byte("an example key, 32 bytes or more")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		err := middleware.SetSignedCookie(w, r, &http.Cookie{
			Name: "session", Value: "user 42; admin=false", Path: "/",
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
		})
		if err != nil {
			http.Error(w, "cannot set the session", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		user, ok := middleware.SignedCookieFrom(r, "session")
		if !ok {
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello, %s", user)
	})
	h := middleware.Cookies(middleware.CookiesConfig{Keys: [][]byte{key}})(mux)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/login", nil))
	session := w.Result().Cookies()[0]

	for _, value := range []string{session.Value, "Y" + session.Value[1:]} {
		r := httptest.NewRequest(http.MethodGet, "/me", nil)
		r.AddCookie(&http.Cookie{Name: "session", Value: value})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 hello, user 42; admin=false
	// 401 not logged in
}

// CookiesFrom is Next.js's req.cookies: lenient, first occurrence wins,
// quotes removed and percent-encoding decoded.
func ExampleCookiesFrom() {
	h := middleware.Cookies(middleware.CookiesConfig{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := middleware.CookiesFrom(r)
		fmt.Printf("%d cookies: theme=%q name=%q\n", len(c), c["theme"], c["name"])
		lang, ok := middleware.CookieFrom(r, "lang")
		fmt.Printf("lang=%q %v\n", lang, ok)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", `theme=dark; broken; name="J%C3%B6rg"; theme=light`)
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// 2 cookies: theme="dark" name="Jörg"
	// lang="" false
}
