module github.com/microkit-go/micro

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/gorilla/handlers v1.5.2
	github.com/justinas/alice v1.2.0
	golang.org/x/net v0.56.0
)

require github.com/felixge/httpsnoop v1.0.3 // indirect
