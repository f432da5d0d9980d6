// Package main is the Hasher plugin of the concurrency example. It is ordinary single-threaded Go: the host
// runs several instances of it in parallel, each call on an instance of its own.
package main

import (
	"context"
	"crypto/sha256"

	"wasmplug.example/concurrency"
)

type Hasher struct{}

func (Hasher) Hash(_ context.Context, req *concurrency.HashRequest) (*concurrency.HashReply, error) {
	digest := req.Data
	for i := int32(0); i < req.Rounds; i++ {
		sum := sha256.Sum256(digest)
		digest = sum[:]
	}
	return &concurrency.HashReply{Id: req.Id, Digest: digest}, nil
}

func init() { concurrency.RegisterHasher(Hasher{}) }

func main() {}
