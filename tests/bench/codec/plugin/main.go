// Package main is the codec benchmark plugin built with our Go guest SDK: every Codec method returns
// its decoded request, which the generated wrapper encodes again (tests/bench/codec/codec.proto).
package main

import (
	"context"

	"wasmplug.bench/codecpb"
)

type codec struct{}

func (codec) EchoRich(_ context.Context, m *codecpb.Rich) (*codecpb.Rich, error) { return m, nil }

func (codec) EchoMap(_ context.Context, m *codecpb.MessageMap) (*codecpb.MessageMap, error) {
	return m, nil
}

func (codec) EchoText(_ context.Context, m *codecpb.Text) (*codecpb.Text, error) { return m, nil }

func (codec) EchoTree(_ context.Context, m *codecpb.Tree) (*codecpb.Tree, error) { return m, nil }

func init() { codecpb.RegisterCodec(codec{}) }

// main is not run: the plugin is a WASI reactor.
func main() {}
