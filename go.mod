module github.com/microkit-go/micro

go 1.25
