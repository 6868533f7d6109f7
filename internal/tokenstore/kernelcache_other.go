//go:build !linux

package tokenstore

// newKernelCache returns nil: the kernel key retention service exists on
// Linux only, so elsewhere the Keyring reads the OS keyring every time.
func newKernelCache(name string) accessCache { return nil }
