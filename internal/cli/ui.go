package cli

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/userinfo"
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

// learnIdentity fills in who signed in where the ID token did not say: Webex's device flow has
// no ID token and is answered by /people/me; Webex's ID tokens carry no email, which UserInfo has.
func learnIdentity(ctx context.Context, d *deps, pl *loginPlan, p *config.Profile, accessToken string) error {
	uc := &userinfo.Client{HTTP: d.http()}
	if pl.prov.Kind != provider.KindOIDC && pl.flow == "device" {
		person, err := uc.PeopleMe(ctx, pl.prov.Endpoints.People, accessToken)
		if err != nil {
			return err
		}
		p.Subject = cmp.Or(p.Subject, person.UUID())
		p.Email = cmp.Or(p.Email, person.Email())
		p.DisplayName = cmp.Or(p.DisplayName, person.DisplayName)
		return nil
	}
	if p.Email != "" && p.DisplayName != "" {
		return nil
	}
	if pl.prov.Endpoints.UserInfo == "" {
		return nil
	}
	claims, err := uc.UserInfo(ctx, pl.prov.Endpoints.UserInfo, accessToken)
	if err != nil {
		return err
	}
	if sub, _ := claims["sub"].(string); p.Subject != "" && sub != "" && sub != p.Subject {
		return fmt.Errorf("UserInfo describes a different subject than the ID token")
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	p.Subject = cmp.Or(p.Subject, str("sub"))
	p.Email = cmp.Or(p.Email, str("email"))
	p.DisplayName = cmp.Or(p.DisplayName, str("name"), str("preferred_username"))
	return nil
}
