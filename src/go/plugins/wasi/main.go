// Package main is the Files plugin of the wasi example: plain os.ReadFile/os.WriteFile and fmt.Println.
// WASI gives it only what the host grants: the preopened directories, and stdout if the host routes it.
package main

import (
	"context"
	"fmt"
	"os"

	"wasmplug.dev/guest/wkt/emptypb"
	"wasmplug.example/wasi"
)

type Files struct{}

func (Files) ReadFile(_ context.Context, req *wasi.ReadFileRequest) (*wasi.ReadFileReply, error) {
	fmt.Println("plugin: reading", req.Path)
	content, err := os.ReadFile(req.Path)
	if err != nil {
		return nil, err // e.g. "open /etc/passwd: No such file or directory": the host granted no such path
	}
	fmt.Printf("plugin: read %d bytes\n", len(content))
	return &wasi.ReadFileReply{Content: content}, nil
}

func (Files) WriteFile(_ context.Context, req *wasi.WriteFileRequest) (*emptypb.Empty, error) {
	fmt.Println("plugin: writing", req.Path)
	if err := os.WriteFile(req.Path, req.Content, 0o644); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func init() { wasi.RegisterFiles(Files{}) }

func main() {}
