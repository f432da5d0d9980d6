// Package main is the "morning" Greeter plugin of the helloworld example.
package main

import (
	"context"

	"wasmplug.example/greeting"
)

// GoodMorning greets in the morning.
type GoodMorning struct{}

var _ greeting.Greeter = GoodMorning{}

func (GoodMorning) SayHello(_ context.Context, req *greeting.GreetRequest) (*greeting.GreetReply, error) {
	return &greeting.GreetReply{Message: "Good morning, " + req.Name}, nil
}

func init() { greeting.RegisterGreeter(GoodMorning{}) }

// main is not run: the plugin is a WASI reactor; the host calls _initialize, which runs init.
func main() {}
