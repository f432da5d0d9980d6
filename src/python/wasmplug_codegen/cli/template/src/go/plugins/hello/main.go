// A Greeter plugin, compiled to WebAssembly by the wasm_plugin target next to it.
package main

import (
	"context"
	"errors"

	"example.com/greeting"
)

type Hello struct{}

var _ greeting.Greeter = Hello{}

func (Hello) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
	if req.Name == "" {
		return nil, errors.New("whom should I greet? the name is empty")
	}
	return &greeting.GreetReply{Message: "Hello, " + req.Name + "!"}, nil
}

func init() { greeting.RegisterGreeter(Hello{}) }

// main is not run: the plugin is a WASI reactor; the host calls _initialize, which runs init.
func main() {}
