//go:build wasip1

// Package main is the codec benchmark plugin built with go-plugin's own generated guest code
// (protoc-gen-go-plugin v0.9.0, vtprotobuf codec) for tests/bench/codec/codec.proto: the same echoes
// as ../plugin, for the same host. bench/goplugin.py generates the code and builds it at run time.
package main

import (
	"context"

	codecpb "wasmplug.bench/goplugin/codecpb"
)

type codec struct{}

func (codec) EchoRich(_ context.Context, m *codecpb.Rich) (*codecpb.Rich, error) { return m, nil }

func (codec) EchoMap(_ context.Context, m *codecpb.MessageMap) (*codecpb.MessageMap, error) {
	return m, nil
}

func (codec) EchoText(_ context.Context, m *codecpb.Text) (*codecpb.Text, error) { return m, nil }

func (codec) EchoTree(_ context.Context, m *codecpb.Tree) (*codecpb.Tree, error) { return m, nil }

func init() { codecpb.RegisterCodec(codec{}) }

// main is required for Go to compile to wasm.
func main() {}
