// Package main is the Worker plugin of the limits example: Sum works, Spin loops forever, Hoard eats all the
// memory it can get. The host's deadline and memory limit stop the last two.
package main

import (
	"context"

	"wasmplug.dev/guest/wkt/emptypb"
	"wasmplug.example/limits"
)

type Worker struct{}

func (Worker) Sum(_ context.Context, req *limits.SumRequest) (*limits.SumReply, error) {
	var total int64
	for i := int64(1); i <= req.N; i++ {
		total += i
	}
	return &limits.SumReply{Total: total}, nil
}

func (Worker) Spin(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	for {
	}
}

var hoard [][]byte

func (Worker) Hoard(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	for {
		hoard = append(hoard, make([]byte, 1<<20))
	}
}

func init() { limits.RegisterWorker(Worker{}) }

func main() {}
