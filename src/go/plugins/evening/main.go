// Package main is the "evening" Greeter plugin of the helloworld example.
package main

import (
	"context"

	"wasmplug.example/greeting"
)

// GoodEvening greets in the evening.
type GoodEvening struct{}

var _ greeting.Greeter = GoodEvening{}

func (GoodEvening) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
	return &greeting.GreetReply{Message: "Good evening, " + req.Name}, nil
}

func init() { greeting.RegisterGreeter(GoodEvening{}) }

// main is not run: the plugin is a WASI reactor; the host calls _initialize, which runs init.
func main() {}
