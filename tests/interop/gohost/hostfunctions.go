package main

import (
	"context"
	"encoding/json"
	"fmt"

	hostfn "github.com/knqyf263/go-plugin/tests/host-functions/proto"
)

// jsonHost implements go-plugin's tests/host-functions HostFunctions service in Go.
type jsonHost struct{}

func (jsonHost) ParseJson(_ context.Context, req *hostfn.ParseJsonRequest) (*hostfn.ParseJsonResponse, error) {
	if len(req.GetContent()) == 0 {
		return &hostfn.ParseJsonResponse{}, nil
	}
	var doc struct {
		Name string `json:"name"`
		Age  int64  `json:"age"`
	}
	if err := json.Unmarshal(req.GetContent(), &doc); err != nil {
		return nil, err
	}
	return &hostfn.ParseJsonResponse{Response: &hostfn.Person{Name: doc.Name, Age: doc.Age}}, nil
}

// runHostFunctions loads a Greeter plugin that imports env.parse_json, serves
// it with jsonHost and prints the reply of one Greet call.
func runHostFunctions(path, name string) error {
	ctx := context.Background()
	p, err := hostfn.NewGreeterPlugin(ctx)
	if err != nil {
		return err
	}
	plugin, err := p.Load(ctx, path, jsonHost{})
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	defer plugin.Close(ctx)
	reply, err := plugin.Greet(ctx, &hostfn.GreetRequest{Name: name})
	if err != nil {
		return fmt.Errorf("Greet: %w", err)
	}
	fmt.Println(reply.GetMessage())
	return nil
}
