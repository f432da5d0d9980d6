// Package main is the "slow" Searcher plugin of the asyncio_host example: it thinks for far too long.
package main

import (
	"context"
	"fmt"

	"wasmplug.example/asynciohost"
)

type Slow struct{}

func (Slow) Search(_ context.Context, req *asynciohost.SearchRequest) (*asynciohost.SearchReply, error) {
	return &asynciohost.SearchReply{Hits: []string{fmt.Sprintf("%s-%d", req.Query, fib(60))}}, nil
}

// fib is the naive recursion: fib(60) takes longer than anyone will wait.
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func init() { asynciohost.RegisterSearcher(Slow{}) }

func main() {}
