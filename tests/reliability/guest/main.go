// Test guest of tests/reliability (loaded as "reliability.guest" / "guest.wasm"): a Greeter that panics
// on request, with a message that names the request, so a test can tell each panic's text from another's.
package main

import (
	"context"
	"strings"

	"wasmplug.example/greeting"
)

type greeter struct{}

var _ greeting.Greeter = greeter{}

func (greeter) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
	if id, ok := strings.CutPrefix(req.Name, "panic:"); ok {
		panic("boom " + id)
	}
	return &greeting.GreetReply{Message: "Hello, " + req.Name}, nil
}

func init() { greeting.RegisterGreeter(greeter{}) }

func main() {}
