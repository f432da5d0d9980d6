//go:build wasip1

// Command ourplugin-hostfn is a Greeter built with OUR Go guest SDK (generated
// by wasmplug from go-plugin's tests/host-functions/proto/host.proto) that calls
// the env.parse_json host function; go-plugin's generated Go host serves it
// (gohost -suite host-functions).
package main

import (
	"context"
	"fmt"

	host "github.com/knqyf263/go-plugin/tests/host-functions/proto"
)

func main() {}

func init() { host.RegisterGreeter(greeter{}) }

type greeter struct{}

func (greeter) Greet(ctx context.Context, req *host.GreetRequest) (*host.GreetReply, error) {
	resp, err := host.NewHostFunctions().ParseJson(ctx, &host.ParseJsonRequest{
		Content: []byte(`{"name": "Yamada", "age": 20}`),
	})
	if err != nil {
		return nil, err
	}
	person := resp.GetResponse()
	return &host.GreetReply{
		Message: fmt.Sprintf("Hello, %s. This is %s (age %d), via wasmplug.", req.GetName(), person.GetName(), person.GetAge()),
	}, nil
}
