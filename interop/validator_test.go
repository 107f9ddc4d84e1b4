package interop_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

// Account has a map, a nested struct and json names that need escaping.
type Account struct {
	Owner  Owner             `json:"owner"`
	Labels map[string]string `json:"labels" validate:"dive,keys,min=2,endkeys,max=3"`
	Ratio  int               `json:"a/b~c" validate:"min=1"`
}

// Owner is the nested struct of an Account.
type Owner struct {
	Name string `json:"name" validate:"required"`
}

func (a Account) Validate() error { return checkStruct(a) }

func TestValidatorProblemsOverTheWire(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("POST /orders", micro.Handler(func(r *http.Request) (any, error) { return micro.JSON[Order](r) }))
	mux.Handle("POST /accounts", micro.Handler(func(r *http.Request) (any, error) { return micro.JSON[Account](r) }))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	type problem struct {
		Status int                `json:"status"`
		Detail string             `json:"detail"`
		Errors []micro.FieldError `json:"errors"`
	}
	tests := []struct {
		name, path, body string
		status           int
		want             problem // compared when status is 422
	}{
		{"a valid order is 200", "/orders", `{"email":"ann@example.com","items":[{"name":"tea","qty":2}]}`, 200, problem{}},
		{"missing fields point at themselves", "/orders", `{}`, 422, problem{422, "email fails required; items fails required", []micro.FieldError{
			{Detail: "email fails required", Pointer: "/email"}, {Detail: "items fails required", Pointer: "/items"}}}},
		{"a field in an array element", "/orders", `{"email":"x","items":[{"name":"a","qty":1},{"name":"b","qty":0}]}`, 422,
			problem{422, "email fails email; qty fails min=1", []micro.FieldError{
				{Detail: "email fails email", Pointer: "/email"}, {Detail: "qty fails min=1", Pointer: "/items/1/qty"}}}},
		{"a nested struct, a map value and an escaped name", "/accounts", `{"owner":{},"labels":{"ab":"long"},"a/b~c":0}`, 422,
			problem{422, "name fails required; labels[ab] fails max=3; a/b~c fails min=1", []micro.FieldError{
				{Detail: "name fails required", Pointer: "/owner/name"},
				{Detail: "labels[ab] fails max=3", Pointer: "/labels/ab"},
				{Detail: "a/b~c fails min=1", Pointer: "/a~1b~0c"}}}},
		{"invalid JSON is still 400, before any validation", "/orders", `{"email":`, 400, problem{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			resp := testkit.Do(t, srv.Client(), r)
			if resp.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tt.status, resp.Body)
			}
			if tt.status != 422 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got problem
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatalf("body %s: %v", resp.Body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
		})
	}
}
