// Package main is the Greeter plugin of the host_functions example: it has no network of its own, so it
// fetches the page through the host's HttpGet and reports progress through the host's Log.
package main

import (
	"context"
	"fmt"

	"wasmplug.example/hostfunctions"
)

// Greeter greets with the text of a web page the host fetched for it.
type Greeter struct {
	host hostfunctions.HostFunctions
}

func (g Greeter) Greet(ctx context.Context, req *hostfunctions.GreetRequest) (*hostfunctions.GreetReply, error) {
	if _, err := g.host.Log(ctx, &hostfunctions.LogRequest{Message: "fetching " + req.Url}); err != nil {
		return nil, err
	}
	resp, err := g.host.HttpGet(ctx, &hostfunctions.HttpGetRequest{Url: req.Url})
	if err != nil {
		return nil, fmt.Errorf("http get %s: %w", req.Url, err)
	}
	if resp.Status != 200 {
		return nil, fmt.Errorf("http get %s: status %d", req.Url, resp.Status)
	}
	return &hostfunctions.GreetReply{
		Message: fmt.Sprintf("Hello, %s! The server says: %s", req.Name, resp.Body),
	}, nil
}

func init() {
	hostfunctions.RegisterGreeter(Greeter{host: hostfunctions.NewHostFunctions()})
}

func main() {}
