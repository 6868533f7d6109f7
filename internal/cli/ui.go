package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/oautherr"
)

func colour(on bool, code, s string) string { return iostreams.Colour(on, code, s) }

// countdown shows how long a device code stays valid, on one line of stderr that is redrawn
// every second when stderr is a terminal, and once otherwise.
type countdown struct {
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	tty  bool
	d    *deps
}

func startCountdown(d *deps, expires time.Time) *countdown {
	c := &countdown{done: make(chan struct{}), tty: d.io.IsStderrTTY(), d: d}
	if !c.tty {
		fmt.Fprintf(d.io.ErrOut, "Waiting for approval; the code expires at %s.\n", expires.Local().Format("15:04:05"))
		return c
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			left := expires.Sub(d.now()).Round(time.Second)
			if left < 0 {
				left = 0
			}
			fmt.Fprintf(d.io.ErrOut, "\r\x1b[KWaiting for approval... the code expires in %s", formatClock(left))
			select {
			case <-c.done:
				fmt.Fprint(d.io.ErrOut, "\r\x1b[K")
				return
			case <-t.C:
			}
		}
	}()
	return c
}

func (c *countdown) stop() {
	c.once.Do(func() { close(c.done) })
	c.wg.Wait()
}

// formatClock renders d as m:ss.
func formatClock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// providerError phrases an error from an OAuth endpoint, keeping the provider's error code and
// Webex trackingId.
func providerError(what string, err error) error {
	if pe, ok := oautherr.FromRetrieveError(err); ok {
		return fmt.Errorf("%s: %w", what, pe)
	}
	return fmt.Errorf("%s: %w", what, err)
}
