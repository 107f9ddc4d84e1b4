package main

import (
	"fmt"
	"net/http"
	"strconv"
)

// endpoint is one request of the comments API, serialized once.
type endpoint struct {
	name   string
	raw    []byte // the whole request, for any server: it names no port
	status int    // the status every answer must have
}

// endpointNames are the endpoints a run loads by default.
var endpointNames = []string{"list", "item", "post"}

// postBody is the body of the post endpoint.
const postBody = `{"author":"wirebench","text":"a comment sent by the load program"}`

// newEndpoint returns the request of the endpoint name: a GET of the list
// or of comment 7, or a POST of a comment, with the headers wrk sends by
// default (no Accept-Encoding). An error for another name.
func newEndpoint(name string) (endpoint, error) {
	const get = "Host: 127.0.0.1\r\nUser-Agent: wirebench\r\nAccept: */*\r\n"
	switch name {
	case "list":
		return endpoint{name, []byte("GET /api/comments HTTP/1.1\r\n" + get + "\r\n"), http.StatusOK}, nil
	case "item":
		return endpoint{name, []byte("GET /api/comments/7 HTTP/1.1\r\n" + get + "\r\n"), http.StatusOK}, nil
	case "post":
		return endpoint{name, []byte("POST /api/comments HTTP/1.1\r\n" + get +
			"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(postBody)) + "\r\n\r\n" + postBody),
			http.StatusCreated}, nil
	}
	return endpoint{}, fmt.Errorf("no endpoint %q (want one of %v)", name, endpointNames)
}
