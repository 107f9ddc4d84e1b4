package interop_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoggedRoutesStayAsFewAsTheRoutes sends 2,000 distinct paths, half
// under the parameterised route /items/{id} and half under no route,
// through every router variant, and checks that their log lines name
// exactly two routes, a thousand times each: the route's template, in the
// router's own syntax, and what the router logs for a path no route
// matched. A router that logged the raw path would log 1,001 routes.
// The requests are served in process, where the HTTP/2 variant is the
// ServeMux again, so it runs once, as "std".
func TestLoggedRoutesStayAsFewAsTheRoutes(t *testing.T) {
	const requests = 2000
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: the same paths every run
	paths := make([]string, requests)
	for i := range paths {
		seg := strconv.Itoa(i) + "-" + strconv.FormatUint(rng.Uint64(), 36)
		if i%2 == 0 {
			paths[i] = "/items/" + seg
		} else {
			paths[i] = "/unrouted/" + seg
		}
	}
	vs := []variant{{name: "std", build: stdRouter}}
	for _, v := range variants() {
		if !v.http2 {
			vs = append(vs, v)
		}
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			logs := &logBuffer{}
			h := v.build(newTestAPI(), logs)
			for _, p := range paths {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
			}
			got := make(map[string]int)
			for l := range strings.Lines(logs.all()) {
				var line struct{ Route *string }
				if err := json.Unmarshal([]byte(l), &line); err != nil || line.Route == nil {
					t.Fatalf("log line without a route (%v): %s", err, l)
				}
				got[*line.Route]++
			}
			template, notFound := "/items/{id}", catchAll
			if v.syntax != nil {
				template = v.syntax(template)
			}
			if v.notFoundHook {
				notFound = unmatched
			}
			want := map[string]int{template: requests / 2, notFound: requests / 2}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routes logged, with their counts (-want +got):\n%s", diff)
			}
		})
	}
}
