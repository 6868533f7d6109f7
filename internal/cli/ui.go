package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// countdown shows how long a device code stays valid: redrawn every second on a terminal,
// once otherwise. stop ends it.
func countdown(d *deps, expires time.Time) (stop func()) {
	if !d.io.IsStderrTTY() {
		fmt.Fprintf(d.io.ErrOut, "Waiting for approval; the code expires at %s.\n", expires.Local().Format("15:04:05"))
		return func() {}
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			left := int(max(expires.Sub(d.now()).Round(time.Second), 0) / time.Second)
			fmt.Fprintf(d.io.ErrOut, "\r\x1b[KWaiting for approval... the code expires in %d:%02d", left/60, left%60)
			select {
			case <-done:
				fmt.Fprint(d.io.ErrOut, "\r\x1b[K")
				return
			case <-t.C:
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		<-stopped
	})
}

// qrQuietZone is the light margin around the code, in modules: two, not the specification's
// four, is what scanners need and keeps the code small on a terminal.
const qrQuietZone = 2

// qrWidth is the number of terminal columns the QR code of text needs.
func qrWidth(text string) (int, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return 0, err
	}
	return code.Size + 2*qrQuietZone, nil
}

// renderQR draws text, which qrWidth accepted, as a QR code with half blocks. With colour
// every cell is painted white on black, so the code reads on light and dark themes alike.
func renderQR(w io.Writer, text string, colour bool) {
	cfg := qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		QuietZone:      qrQuietZone,
	}
	if colour {
		for _, c := range []*string{&cfg.BlackChar, &cfg.WhiteChar, &cfg.BlackWhiteChar, &cfg.WhiteBlackChar} {
			*c = "\x1b[97;40m" + *c + "\x1b[0m"
		}
	}
	qrterminal.GenerateWithConfig(text, cfg)
}
