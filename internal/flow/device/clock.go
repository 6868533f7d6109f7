package device

import (
	"context"
	"time"
)

// Clock is the time source of the poller: Now for expiries, Sleep (which returns ctx.Err() as
// soon as ctx is done) for the waits between polls.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{ now func() time.Time }

// NowClock returns a Clock that tells the time with now and waits in real time; its Sleep is
// the one real-time wait of the program.
func NowClock(now func() time.Time) Clock { return realClock{now: now} }

func (c realClock) Now() time.Time { return c.now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
