// Package browser holds the tests that drive a real browser, Debian's
// Chromium, with github.com/chromedp/chromedp against the example programs
// built from this repository: the comments page and its form, the
// comments API called from another origin with credentials through our
// CORS, CSRF and signed-cookie middleware, and the stream page's
// EventSource.
//
// The package has no code; its tests are the point. They need Chromium:
// the CHROMIUM environment variable names it, else "chromium" is looked up
// in PATH. When it is missing or cannot start, the tests skip, except when
// CI is "true": then they fail, so CI never passes without a browser.
//
//	cd interop && CI=true go test -race -count=1 ./browser/
package browser
