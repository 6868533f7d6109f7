package device

import (
	"context"
	"time"
)

// Clock is the time source of the poller: Now for expiries, Sleep for the waits between
// polls. Tests inject a fake that advances instantly.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx.Err() as soon as ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock, or now when set.
type realClock struct{ now func() time.Time }

// NowClock returns a Clock that tells the time with now (a caller's injected clock, say) and
// waits in real time.
func NowClock(now func() time.Time) Clock { return realClock{now: now} }

func (c realClock) Now() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

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
