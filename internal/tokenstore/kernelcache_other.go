//go:build !linux

package tokenstore

// newKernelCache returns nil: the kernel key retention service is Linux's.
func newKernelCache(name string) accessCache { return nil }
