// Package privatefile reads and writes the files only their owner may see (profile settings,
// tokens with --storage file): folders 0700 and files 0600 (Windows has no mode bits), looser
// permissions tightened again, and atomic writes, so a crash never leaves half a file. Its
// errors never quote a file's content.
package privatefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// EnsureDir creates dir (and its parents) with mode 0700 or, when it exists with group or
// other permissions, removes them.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", dir, err)
		}
	}
	return nil
}

// maxSize bounds what Read reads: profiles and tokens are a few kilobytes at most.
const maxSize = 1 << 20

// Read returns the content of the regular file at path, of at most maxSize bytes, and removes
// group and other permissions from it if it has any.
func Read(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		if err := fh.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("making %s private: %w", path, err)
		}
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxSize)
	}
	return data, nil
}

// WriteJSON writes v as indented JSON to path with WriteAtomic, creating its folder with
// EnsureDir.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := EnsureDir(filepath.Dir(path)); err != nil {
		return err
	}
	return WriteAtomic(path, append(data, '\n'))
}

// WriteAtomic replaces path with data: a 0600 temporary file in the same folder, fsync,
// rename over path, then fsync of the folder so that the rename survives a crash.
func WriteAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	fh, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := fh.Name()
	defer func() {
		if err != nil {
			fh.Close()
			os.Remove(tmp)
		}
	}()
	if runtime.GOOS != "windows" {
		if err = fh.Chmod(0o600); err != nil {
			return err
		}
	}
	if _, err = fh.Write(data); err != nil {
		return err
	}
	if err = fh.Sync(); err != nil {
		return err
	}
	if err = fh.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if runtime.GOOS != "windows" {
		if d, derr := os.Open(dir); derr == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}

// DecodeObject decodes data, exactly one JSON object, into v as json.Unmarshal would (unknown
// fields are fine). Its errors say what is wrong in words and byte offsets, never quoting the
// content as encoding/json's would; the caller names the file.
func DecodeObject(data []byte, v any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return errors.New("the file is empty")
	}
	if trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			// Offset counts the bytes up to and including the bad one: its 1-based position.
			return fmt.Errorf("invalid JSON at byte %d", se.Offset+int64(len(data)-len(trimmed)))
		case errors.As(err, &te) && te.Field != "":
			return fmt.Errorf("field %q has the wrong type", te.Field)
		case errors.As(err, &te):
			return errors.New("a value has the wrong type")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("the JSON object is cut short")
		default:
			return errors.New("a field holds an invalid value")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}
