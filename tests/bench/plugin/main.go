// Package main is the benchmark plugin: the Bench service of tests/bench/proto/bench.proto, built
// with our Go guest SDK. Every benchmark peer that can load a go-plugin-ABI module runs against it.
package main

import (
	"context"
	"errors"

	"wasmplug.bench/benchpb"
)

type bench struct {
	host benchpb.BenchHost
}

var _ benchpb.Bench = bench{}

func (bench) Echo(_ context.Context, req *benchpb.Blob) (*benchpb.Blob, error) {
	return &benchpb.Blob{Data: req.Data}, nil
}

func (bench) Add(_ context.Context, req *benchpb.AddRequest) (*benchpb.AddReply, error) {
	return &benchpb.AddReply{Sum: req.A + req.B}, nil
}

// Spin is a xorshift loop the compiler cannot fold away: pure guest compute, no allocation.
func (bench) Spin(_ context.Context, req *benchpb.SpinRequest) (*benchpb.SpinReply, error) {
	x := uint64(0x9E3779B97F4A7C15)
	for i := uint64(0); i < req.N; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return &benchpb.SpinReply{Acc: x}, nil
}

func (b bench) CallHost(ctx context.Context, req *benchpb.HostLoop) (*benchpb.HostLoopReply, error) {
	in := &benchpb.Blob{Data: req.Data}
	var total uint64
	for i := uint32(0); i < req.Count; i++ {
		out, err := b.host.HostEcho(ctx, in)
		if err != nil {
			return nil, err
		}
		if len(out.Data) != len(req.Data) {
			return nil, errors.New("host echo changed the payload length")
		}
		total += uint64(len(out.Data))
	}
	return &benchpb.HostLoopReply{Calls: req.Count, Bytes: total}, nil
}

// raw_add is a raw scalar export (i32, i32) -> i32 outside the protobuf ABI, for the naive
// wasmtime-py scalar peer.
//
//go:wasmexport raw_add
func rawAdd(a, b int32) int32 { return a + b }

func init() { benchpb.RegisterBench(bench{host: benchpb.NewBenchHost()}) }

// main is not run: the plugin is a WASI reactor; the host calls _initialize, which runs init.
func main() {}
