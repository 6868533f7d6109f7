package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/jwt"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
)

// DecodeOptions are the settings of `webex decode`.
type DecodeOptions struct {
	cmdOptions
	Token    string // the argument; "-" reads stdin
	HasToken bool   // an argument was given (even an empty one); else the stored ID token
	JSON     bool
	Verify   bool
	Issuer   string
	JWKSURL  string
	ClientID string
}

func newCmdDecode(d *deps, runF func(*DecodeOptions) error) *cobra.Command {
	o := &DecodeOptions{}
	cmd := &cobra.Command{
		Use:   "decode [TOKEN|-]",
		Short: "Show what is inside a JWT, and optionally verify it",
		Long: `Decode a JWT and show its header and claims, with every time claim as a date and a
relative time. Without an argument it decodes the profile's stored ID token; - reads the token
from stdin. Nothing is sent anywhere unless --verify is given.

--verify checks the signature against the provider's keys (the profile's provider, or --issuer,
or --jwks-url), the issuer, the audience (the profile's client id, or --client-id) and the
expiry, and exits 0 only when all hold.`,
		Example: `  webex decode
  webex token --id-token | webex decode -
  webex decode --verify --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(d, o, func(args []string) error {
			if len(args) == 1 {
				o.Token, o.HasToken = args[0], true
			}
			return nil
		}, runF, decodeRun),
	}
	f := cmd.Flags()
	f.BoolVar(&o.JSON, "json", false, "print {header, claims, signature_present, expired, ...} as JSON")
	f.BoolVar(&o.Verify, "verify", false, "verify signature, issuer, audience and expiry")
	f.StringVar(&o.Issuer, "issuer", "", "with --verify: the OpenID issuer whose keys sign the token")
	f.StringVar(&o.JWKSURL, "jwks-url", "", "with --verify: the JWKS URL whose keys sign the token")
	f.StringVar(&o.ClientID, "client-id", "", "with --verify: the expected audience (default: the profile's client id)")
	return cmd
}

func decodeRun(o *DecodeOptions) error {
	d, ctx := o.deps, o.ctx
	raw, prof, err := decodeInput(d, o)
	if err != nil {
		return err
	}
	d.secrets.Add(raw)
	tok, err := jwt.Decode(raw)
	if err != nil {
		return err
	}
	now := d.now()
	expired, expKnown := tok.Expired(now)

	// Problems with the flags or the provider are reported before anything is printed.
	var verr error
	if o.Verify {
		prov, clientID, err := verifierFor(ctx, d, o, prof)
		if err != nil {
			return err
		}
		_, verr = prov.VerifyIDToken(ctx, tok.Raw, provider.VerifyOptions{ClientID: clientID})
	}
	verified := o.Verify && verr == nil

	if o.JSON {
		times := []map[string]any{}
		for _, tc := range tok.TimeClaims() {
			times = append(times, map[string]any{"claim": tc.Name, "meaning": tc.Meaning, "time": tc.Time.UTC().Format(time.RFC3339), "relative": jwt.Relative(tc.Time, now)})
		}
		out := map[string]any{
			"header":            json.RawMessage(tok.HeaderJSON),
			"claims":            json.RawMessage(tok.ClaimsJSON),
			"signature_present": tok.SignaturePresent,
			"expired":           expKnown && expired,
			"times":             times,
		}
		if o.Verify {
			v := map[string]any{"valid": verified}
			if verr != nil {
				v["error"] = errorLine(verr)
				var ve *provider.VerifyError
				if errors.As(verr, &ve) {
					v["failed_check"] = ve.Check
				}
			}
			out["verification"] = v
		}
		if err := writeJSON(d, out); err != nil {
			return err
		}
	} else {
		printDecoded(d, tok, now, verified)
		if verified {
			fmt.Fprintln(d.io.Out, iostreams.Colour(d.io.ColourOut(), "32", "Verified: signature, issuer, audience and expiry all hold."))
		}
	}
	if verr != nil {
		return fmt.Errorf("verification failed: %w", verr)
	}
	return nil
}

// decodeInput returns the token to decode: the argument, stdin for "-", or the profile's
// stored ID token, with the profile when one was read.
func decodeInput(d *deps, o *DecodeOptions) (string, *config.Profile, error) {
	switch {
	case o.Token == "-":
		b, err := io.ReadAll(io.LimitReader(d.io.In, jwt.MaxSize+1))
		if err != nil {
			return "", nil, fmt.Errorf("reading the token from stdin: %w", err)
		}
		return string(b), nil, nil
	case !o.HasToken:
		cfg, err := d.config()
		if err != nil {
			return "", nil, err
		}
		name := d.profile(cfg)
		p, sec, err := d.manager(cfg).Stored(o.ctx, name)
		if err != nil {
			return "", nil, err
		}
		if sec.IDToken == "" {
			return "", nil, fmt.Errorf("profile %q has no ID token to decode (its %s login returned none); pass a token or -", name, p.Flow)
		}
		return sec.IDToken, p, nil
	}
	return o.Token, nil, nil
}

// verifierFor picks the provider whose keys and rules a token is checked against, through the
// one resolver, and the audience it must carry.
func verifierFor(ctx context.Context, d *deps, o *DecodeOptions, prof *config.Profile) (*provider.Provider, string, error) {
	if prof == nil && o.Issuer == "" && o.JWKSURL == "" {
		cfg, err := d.config()
		if err != nil {
			return nil, "", err
		}
		prof, _ = cfg.Load(d.profile(cfg)) // nil on any error: no saved login to go by
	}
	var saved provider.Settings
	var clientID string
	if prof != nil {
		saved, clientID = session.Settings(prof), prof.ClientID
	}
	if clientID = cmp.Or(o.ClientID, clientID, d.getenv("WEBEX_CLIENT_ID")); clientID == "" {
		return nil, "", usageErrorf("--verify needs the expected audience: pass --client-id or log in first")
	}
	switch {
	case o.JWKSURL != "":
		if err := provider.ValidateURL(o.JWKSURL, false); err != nil {
			return nil, "", usageErrorf("--jwks-url: %v", err)
		}
		if o.Issuer == "" {
			return nil, "", usageErrorf("--jwks-url needs --issuer, the iss the token must carry")
		}
		prov, err := provider.NewStatic(o.Issuer, o.JWKSURL, provider.Options{HTTPClient: d.http(), Now: d.now})
		return prov, clientID, err
	case o.Issuer == "" && prof == nil:
		return nil, "", usageErrorf("--verify needs a provider: log in first, or pass --issuer or --jwks-url")
	}
	s, err := provider.Resolve(provider.Settings{Issuer: o.Issuer}, provider.Settings{}, saved)
	if err != nil {
		return nil, "", err
	}
	prov, err := d.provider(ctx, s)
	return prov, clientID, err
}

func printDecoded(d *deps, tok *jwt.Token, now time.Time, verified bool) {
	w := d.io.Out
	on := d.io.ColourOut()
	fmt.Fprintln(w, iostreams.Colour(on, "1", "Header"))
	fmt.Fprintln(w, indentJSON(tok.HeaderJSON, "  ", on))
	fmt.Fprintln(w, iostreams.Colour(on, "1", "Claims"))
	fmt.Fprintln(w, indentJSON(tok.ClaimsJSON, "  ", on))
	if tcs := tok.TimeClaims(); len(tcs) > 0 {
		fmt.Fprintln(w, iostreams.Colour(on, "1", "Times"))
		for _, tc := range tcs {
			expired := (tc.Name == "exp" || tc.Name == "expiry_time") && !tc.Time.After(now)
			meaning := tc.Meaning
			if expired {
				meaning = "EXPIRED"
			}
			line := fmt.Sprintf("  %-14s %-13s %s  (%s)", tc.Name, meaning, tc.Time.Local().Format("2006-01-02 15:04:05 MST"), jwt.Relative(tc.Time, now))
			fmt.Fprintln(w, iostreams.Colour(on && expired, "31", line))
		}
	}
	sig := "present (not verified; use --verify)"
	if verified {
		sig = "present"
	}
	if !tok.SignaturePresent {
		sig = iostreams.Colour(on, "31", "absent: this token is unsigned")
	}
	fmt.Fprintf(w, "%s %s\n", iostreams.Colour(on, "1", "Signature"), sig)
	if expired, known := tok.Expired(now); known && expired {
		fmt.Fprintln(w, iostreams.Colour(on, "31", "This token has expired."))
	}
}

// indentJSON indents raw JSON after prefix, terminal-safe, and with colour paints keys,
// strings and numbers.
func indentJSON(raw []byte, prefix string, on bool) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return prefix + termsafe.Line(string(raw))
	}
	s := termsafe.Text(prefix + buf.String())
	if !on {
		return s
	}
	// Strings (with the colon that makes one a key) and numbers; the rest stays as it is.
	token := regexp.MustCompile(`"(?:[^"\\]|\\.)*"( *:)?|[0-9-][0-9+\-.eE]*`)
	return token.ReplaceAllStringFunc(s, func(t string) string {
		if t[0] != '"' {
			return iostreams.Colour(true, "33", t)
		}
		str, code := strings.TrimRight(t, " :"), "32"
		if str != t {
			code = "36"
		}
		return iostreams.Colour(true, code, str) + t[len(str):]
	})
}
