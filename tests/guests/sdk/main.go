// Test guest built with the generated Go SDK (greeting.proto) and the wasmplug guest runtime: the
// runtime's behaviour with real generated code (errors, panics, loops, stdout/stderr).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"wasmplug.example/greeting"
)

type greeter struct{}

var _ greeting.Greeter = greeter{}

func (greeter) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
	switch {
	case req.Name == "error":
		return nil, errors.New("sdk says no")
	case req.Name == "panic":
		panic("sdk boom")
	case req.Name == "spin":
		for {
		}
	case strings.HasPrefix(req.Name, "log:"):
		fmt.Fprintln(os.Stdout, "out:", req.Name[4:])
		fmt.Fprintln(os.Stderr, "err:", req.Name[4:])
	}
	return &greeting.GreetReply{Message: "Hello, " + req.Name}, nil
}

func init() { greeting.RegisterGreeter(greeter{}) }

func main() {}
