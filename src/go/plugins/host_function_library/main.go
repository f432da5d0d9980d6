// Package main is the Greeter plugin of the host_function_library example: it uses the json-parser
// host-function library together with its own host function.
package main

import (
	"context"
	"fmt"

	"wasmplug.example/hostfunctionlibrary"
	"wasmplug.example/jsonparser"
)

type Greeter struct {
	host   hostfunctionlibrary.HostFunctions // module "env"
	parser jsonparser.ParserLibrary          // module "json-parser"
}

func (g Greeter) Greet(ctx context.Context, req *hostfunctionlibrary.GreetRequest) (*hostfunctionlibrary.GreetReply, error) {
	parsed, err := g.parser.ParseJson(ctx, &jsonparser.ParseJsonRequest{Content: req.Profile})
	if err != nil {
		return nil, err
	}
	profile := parsed.Object.AsMap()
	name, _ := profile["name"].(string)
	language, _ := profile["language"].(string)
	if name == "" {
		return nil, fmt.Errorf("profile has no name: %s", req.Profile)
	}
	word, err := g.host.GreetingFor(ctx, &hostfunctionlibrary.GreetingForRequest{Language: language})
	if err != nil {
		return nil, err
	}
	return &hostfunctionlibrary.GreetReply{Message: word.Greeting + ", " + name + "!"}, nil
}

func init() {
	hostfunctionlibrary.RegisterGreeter(Greeter{
		host:   hostfunctionlibrary.NewHostFunctions(),
		parser: jsonparser.NewParserLibrary(),
	})
}

func main() {}
