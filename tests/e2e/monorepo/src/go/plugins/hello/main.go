package main

import (
	"context"

	"e2e.example/greeter"
	"e2e.example/lib/decorate"
	"e2e.example/text"
)

type hello struct{}

func (hello) Greet(ctx context.Context, t *text.Text) (*text.Text, error) {
	name, err := decorate.Decorate(ctx, t.Value)
	if err != nil {
		return nil, err
	}
	return &text.Text{Value: "Hello, " + name + "!"}, nil
}

func init() { greeter.RegisterGreeter(hello{}) }

func main() {}
