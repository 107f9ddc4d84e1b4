package main

import (
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

// get sends GET url and returns the status and the body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api, metrics := make(chan net.Addr, 1), make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, flag.NewFlagSet("comments", flag.ContinueOnError),
			[]string{"-addr", "127.0.0.1:0", "-metrics", "127.0.0.1:0"}, io.Discard,
			options{Options: apiOptions(api), MetricsListening: func(a net.Addr) { metrics <- a }})
	}()
	m, a := (<-metrics).String(), (<-api).String()
	if status, _ := get(t, "http://"+a+"/api/comments/7"); status != 200 {
		t.Fatalf("GET a post's comments: %d", status)
	}
	get(t, "http://"+a+"/no/such/page")
	if status, _ := get(t, "http://"+a+"/metrics"); status == 200 {
		t.Error("the API's port serves /metrics")
	}
	status, body := get(t, "http://"+m+"/metrics")
	for _, want := range []string{
		`http_server_requests_total{http_request_method="GET",http_response_status_code="200",http_route="/api/comments/{id}"} 1`,
		`http_server_requests_total{http_request_method="GET",http_response_status_code="404",http_route="unmatched"} 2`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s:\n%s", status, want, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return")
	}
	if _, err := http.Get("http://" + m + "/metrics"); err == nil {
		t.Error("the metrics listener outlived the server")
	}
}

func TestABadMetricsAddressStopsBeforeListening(t *testing.T) {
	err := run(t.Context(), flag.NewFlagSet("comments", flag.ContinueOnError),
		[]string{"-addr", "127.0.0.1:0", "-metrics", "256.0.0.1:1"}, io.Discard,
		options{Options: apiOptions(nil)})
	if err == nil || !strings.HasPrefix(err.Error(), "middleware: ") {
		t.Errorf("run = %v, want the listen error", err)
	}
}

// apiOptions returns api.Options that hand the API's address to ch, or
// fail the program's test when ch is nil and it listens.
func apiOptions(ch chan net.Addr) api.Options {
	return api.Options{Listening: func(a net.Addr) {
		if ch != nil {
			ch <- a
		}
	}}
}
