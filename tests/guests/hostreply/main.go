// Test guest built with the generated Go SDK: runs a script of host-function calls and returns all
// replies, each kept until the end (a reply that a later call overwrote would show up in the results).
package main

import (
	"context"
	"sync"

	"wasmplug.test/hostreplypb"
)

type relay struct{ host hostreplypb.Host }

func (r relay) call(ctx context.Context, s *hostreplypb.Step) *hostreplypb.Result {
	var (
		out *hostreplypb.Payload
		err error
	)
	if s.Call == "nest" {
		out, err = r.host.Nest(ctx, &hostreplypb.Payload{Data: s.Data})
	} else {
		out, err = r.host.Echo(ctx, &hostreplypb.Payload{Data: s.Data})
	}
	if err != nil {
		return &hostreplypb.Result{Error: err.Error()}
	}
	return &hostreplypb.Result{Data: out.Data}
}

func (r relay) Run(ctx context.Context, req *hostreplypb.Script) (*hostreplypb.Results, error) {
	results := make([]*hostreplypb.Result, len(req.Steps))
	if !req.Concurrent {
		for i, s := range req.Steps {
			results[i] = r.call(ctx, s)
		}
		return &hostreplypb.Results{Results: results}, nil
	}
	var wg sync.WaitGroup
	for i, s := range req.Steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.call(ctx, s)
		}()
	}
	wg.Wait()
	return &hostreplypb.Results{Results: results}, nil
}

func init() { hostreplypb.RegisterRelay(relay{host: hostreplypb.NewHost()}) }

func main() {}
