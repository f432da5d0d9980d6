package main

import (
	"context"
	"strings"

	"e2e.example/text"
)

type upper struct{}

func (upper) Transform(_ context.Context, t *text.Text) (*text.Text, error) {
	return &text.Text{Value: strings.ToUpper(t.Value)}, nil
}

func init() { text.RegisterTransformer(upper{}) }

func main() {}
