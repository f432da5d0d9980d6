// Package main is the "quick" Searcher plugin of the asyncio_host example: it answers at once.
package main

import (
	"context"
	"strings"

	"wasmplug.example/asynciohost"
)

var words = []string{"wasm", "wasmtime", "plugin", "protobuf", "asyncio", "sandbox"}

type Quick struct{}

func (Quick) Search(_ context.Context, req *asynciohost.SearchRequest) (*asynciohost.SearchReply, error) {
	reply := &asynciohost.SearchReply{}
	for _, w := range words {
		if strings.Contains(w, req.Query) {
			reply.Hits = append(reply.Hits, w)
		}
	}
	return reply, nil
}

func init() { asynciohost.RegisterSearcher(Quick{}) }

func main() {}
