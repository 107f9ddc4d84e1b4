package api

import (
	"crypto/rand"
	"net/http"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// VisitorCookie is the signed cookie that tells a browser's requests apart.
const VisitorCookie = "visitor"

// visitors answers GET /api/visitor.
type visitors struct {
	// crossSite makes the cookie SameSite=None and Secure, so that pages
	// of Config.CORSOrigins (other sites) can send it with credentials.
	// Browsers require Secure for that, and treat http://localhost and
	// http://127.0.0.1 as secure. Otherwise it is SameSite=Lax.
	crossSite bool
}

// visitor is GET /api/visitor: {"visitor": id, "new": bool}. A request
// without a valid signed visitor cookie (none, tampered, or signed with a
// key no longer in use) gets a new ID in a new cookie.
func (v visitors) visitor(r *http.Request) (any, error) {
	type answer struct {
		Visitor string `json:"visitor"`
		New     bool   `json:"new"`
	}
	if id, ok := middleware.SignedCookieFrom(r, VisitorCookie); ok {
		return answer{Visitor: id}, nil
	}
	id := rand.Text()
	c := &http.Cookie{
		Name:     VisitorCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   365 * 24 * 60 * 60,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   r.TLS != nil,
	}
	if v.crossSite {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	sc, err := middleware.SignCookie(r, c)
	if err != nil {
		return nil, err
	}
	return &micro.Response{
		Header: http.Header{"Set-Cookie": {sc.String()}},
		Body:   answer{Visitor: id, New: true},
	}, nil
}
