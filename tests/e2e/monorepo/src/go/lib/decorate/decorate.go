// Package decorate is a host-function library: plugins call it instead of the host client.
package decorate

import (
	"context"

	"e2e.example/greeter"
	"e2e.example/text"
)

var host = greeter.NewHostFunctions()

// Decorate asks the host to decorate s.
func Decorate(ctx context.Context, s string) (string, error) {
	reply, err := host.Decorate(ctx, &text.Text{Value: s})
	if err != nil {
		return "", err
	}
	return reply.Value, nil
}
