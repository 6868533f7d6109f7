package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/redact"
	"github.com/webex-cli/webex/internal/restapi"
	"github.com/webex-cli/webex/internal/termsafe"
)

// APIOptions are the settings of `webex api`.
type APIOptions struct {
	cmdOptions
	Path      string
	Method    string
	RawFields []string // -f key=value: strings
	Fields    []string // -F key=value: typed, @file
	Input     string
	Headers   []string
	Query     []string
	Paginate  bool
	Slurp     bool
	JQ        string
	Include   bool
	BaseURL   string
}

// apiPaths are the paths `webex api` completes.
var apiPaths = []string{"people/me", "people", "rooms", "messages", "memberships", "teams", "webhooks"}

func newCmdAPI(d *deps, runF func(*APIOptions) error) *cobra.Command {
	o := &APIOptions{}
	cmd := &cobra.Command{
		Use:   "api PATH",
		Short: "Call the Webex REST API with the profile's token",
		Long: `Call the Webex REST API with the profile's access token (refreshed first when needed, as
webex token does) and print the answer's body on stdout: pretty and coloured on a terminal, as
received when piped.

PATH is relative to the profile's API base (people/me and /people/me are the same), or a full
URL on the base's host; the token is never sent to another host. An OpenID (oidc) profile has
no Webex API base: give one with --base-url or WEBEX_BASE_URL. With WEBEX_ACCESS_TOKEN set, that
token is used as it is.

-f key=value adds a string field, -F key=value a typed one: true, false, null and numbers
become JSON values, @FILE the file's content (@- stdin); key[]=value appends to an array.
Fields make a JSON body and the method POST; with GET (-X GET) they go to the query string
instead, as -q name=value does. --input FILE (- for stdin) sends a body as it is.

HTTP 429 is waited out for its Retry-After (at most 60s each, three times), a GET that failed
with a 5xx is retried twice, and a 401 refreshes the token once and retries. Any other answer
outside 2xx prints its body and the error, with Webex's trackingId, on stderr and exits 1.`,
		Example: `  webex api people/me
  webex api rooms --paginate --jq '.items[].title'
  webex api -X POST rooms -f title='Release planning'
  webex api messages -f roomId="$ROOM" -f markdown='**Shipped**'
  webex api messages -X GET -q roomId="$ROOM" -q max=10 --include`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return apiPaths, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: runE(d, o, func(args []string) error {
			o.Path = args[0]
			return nil
		}, runF, apiRun),
	}
	f := cmd.Flags()
	f.StringVarP(&o.Method, "method", "X", "", "HTTP method (default GET, or POST with fields or --input)")
	f.StringArrayVarP(&o.RawFields, "raw-field", "f", nil, "add a string field key=value (repeatable)")
	f.StringArrayVarP(&o.Fields, "field", "F", nil, "add a typed field key=value: true, false, null, numbers, @FILE (repeatable)")
	f.StringVar(&o.Input, "input", "", "send this file as the request body, - for stdin")
	f.StringArrayVarP(&o.Headers, "header", "H", nil, "add a request header 'Key: value' (repeatable)")
	f.StringArrayVarP(&o.Query, "query", "q", nil, "add a query parameter name=value (repeatable)")
	f.BoolVar(&o.Paginate, "paginate", false, "follow Link rel=\"next\" headers and merge the pages' items")
	f.BoolVar(&o.Slurp, "slurp", true, "with --paginate, print one document with every item; --slurp=false prints each page")
	f.StringVar(&o.JQ, "jq", "", "filter the JSON answer with a jq expression")
	f.BoolVarP(&o.Include, "include", "i", false, "print the HTTP status line and headers before the body")
	f.StringVar(&o.BaseURL, "base-url", "", "Webex API base URL when the profile has none (env WEBEX_BASE_URL)")
	_ = cmd.RegisterFlagCompletionFunc("method", fixedCompletion("GET", "POST", "PUT", "DELETE", "PATCH"))
	return cmd
}

// apiCall is a `webex api` request as the flags describe it.
type apiCall struct {
	method string
	header http.Header
	query  url.Values
	body   []byte
	jq     *gojq.Code
}

func prepareAPI(d *deps, o *APIOptions) (*apiCall, error) {
	c := &apiCall{method: strings.ToUpper(o.Method), header: http.Header{"Accept": {"application/json"}}, query: url.Values{}}
	for _, h := range o.Headers {
		k, v, ok := strings.Cut(h, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n()<>@,;\\\"/[]?={}") || strings.ContainsAny(v, "\r\n") {
			return nil, usageErrorf("-H %q: write a header as 'Key: value'", h)
		}
		if strings.EqualFold(k, "Authorization") {
			return nil, usageErrorf("-H: the Authorization header is the profile's token; it cannot be set")
		}
		c.header.Set(textproto.CanonicalMIMEHeaderKey(k), v)
	}
	for _, q := range o.Query {
		k, v, ok := strings.Cut(q, "=")
		if !ok || k == "" {
			return nil, usageErrorf("-q %q: write a query parameter as name=value", q)
		}
		c.query.Add(k, v)
	}
	fields, err := apiFields(d, o)
	if err != nil {
		return nil, err
	}
	if o.Input != "" {
		if c.body, err = d.readArg("--input", "--input", o.Input, restapi.MaxBody); err != nil {
			return nil, err
		}
	}
	if c.method == "" {
		c.method = http.MethodGet
		if len(fields) > 0 || o.Input != "" {
			c.method = http.MethodPost
		}
	}
	if len(fields) > 0 {
		if c.method == http.MethodGet || c.method == http.MethodHead || o.Input != "" {
			for _, f := range fields {
				c.query.Add(f.key, f.text)
			}
		} else {
			c.body, err = json.Marshal(fieldObject(fields))
			if err != nil {
				return nil, err
			}
		}
	}
	if c.body != nil && c.header.Get("Content-Type") == "" {
		c.header.Set("Content-Type", "application/json")
	}
	if o.Paginate && c.method != http.MethodGet {
		return nil, usageErrorf("--paginate works with GET only")
	}
	if o.JQ != "" {
		q, err := gojq.Parse(o.JQ)
		if err != nil {
			return nil, usageErrorf("--jq: %v", err)
		}
		if c.jq, err = gojq.Compile(q); err != nil {
			return nil, usageErrorf("--jq: %v", err)
		}
	}
	return c, nil
}

// apiTarget is where `webex api` sends requests, with which token and how it gets a new one.
type apiTarget struct {
	base    string
	token   string
	refresh func(ctx context.Context) (string, error) // nil: the token cannot be refreshed
}

// apiTargetFor picks the bearer token and the API base (see apiBase).
func apiTargetFor(ctx context.Context, d *deps, o *APIOptions) (*apiTarget, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	name := d.profile(cfg)
	p, err := cfg.Load(name)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, err
	}
	t := &apiTarget{}
	if t.base, err = apiBase(p, cmp.Or(o.BaseURL, d.getenv("WEBEX_BASE_URL")), o.BaseURL != ""); err != nil {
		return nil, err
	}
	if t.token, err = d.bearer(ctx, 0); err != nil {
		return nil, err
	}
	if p != nil && p.HasRefreshToken && d.getenv("WEBEX_ACCESS_TOKEN") == "" {
		t.refresh = func(ctx context.Context) (string, error) {
			tok, err := d.manager(cfg).Refresh(ctx, name)
			if err != nil {
				return "", err
			}
			d.warn(tok.Warnings)
			return tok.AccessToken, nil
		}
	}
	return t, nil
}

// apiBase is the REST API base for profile p (nil: none): a Webex profile's own, which an
// explicit --base-url may only repeat; else the given base, else (no profile) Webex's.
func apiBase(p *config.Profile, given string, explicit bool) (string, error) {
	var base string
	switch {
	case p != nil && p.Provider != config.ProviderOIDC:
		base = provider.APIBase(p.Provider, p.BaseURL)
		if explicit && strings.TrimRight(given, "/") != strings.TrimRight(base, "/") {
			return "", usageErrorf("--base-url %s differs from the API base of profile %q (%s), whose token is only sent there", given, p.Name, base)
		}
		return base, nil
	case given != "":
		base = given
	case p != nil:
		return "", usageErrorf("profile %q uses an OpenID provider, which has no Webex REST API: give the API base with --base-url or WEBEX_BASE_URL", p.Name)
	default:
		base = provider.WebexBaseURL
	}
	if err := provider.ValidateURL(base, false); err != nil {
		return "", usageErrorf("--base-url: %v", err)
	}
	return base, nil
}

func apiRun(o *APIOptions) error {
	d, ctx := o.deps, o.ctx
	call, err := prepareAPI(d, o)
	if err != nil {
		return err
	}
	d.blocking()
	t, err := apiTargetFor(ctx, d, o)
	if err != nil {
		return err
	}
	target, err := restapi.Resolve(t.base, o.Path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if len(call.query) > 0 {
		u, err := url.Parse(target)
		if err != nil {
			return usageErrorf("PATH: %v", err)
		}
		q := u.Query()
		for k, vs := range call.query {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	client := &restapi.Client{HTTP: d.http(), Sleep: d.sleep, Now: d.now, OnWait: func(status int, wait time.Duration) {
		why := "the API is rate limiting (HTTP 429)"
		if status != http.StatusTooManyRequests {
			why = fmt.Sprintf("the API answered HTTP %d", status)
		}
		fmt.Fprintf(d.io.ErrOut, "%s; retrying in %s.\n", why, wait.Round(time.Second))
	}}
	merged, err := apiPages(o, call, client, t, target)
	if err != nil {
		return err
	}
	if !o.Paginate || !o.Slurp {
		return nil
	}
	b, err := json.Marshal(map[string]any{"items": merged})
	if err != nil {
		return err
	}
	return writeBody(d, call.jq, b)
}

// apiPages sends the request and, with --paginate, follows every next page; it prints each
// answer, or with --slurp returns the pages' items merged.
func apiPages(o *APIOptions, call *apiCall, client *restapi.Client, t *apiTarget, target string) ([]any, error) {
	d := o.deps
	merged := []any{}
	// progress redraws the --paginate progress line on a terminal; "" clears it.
	progress := func(format string, a ...any) {
		if o.Paginate && d.io.IsStderrTTY() {
			fmt.Fprintf(d.io.ErrOut, "\r\x1b[K"+format, a...)
		}
	}
	for page := 1; target != ""; page++ {
		resp, err := apiDo(o.ctx, d, client, t, &restapi.Request{Method: call.method, URL: target, Header: call.header, Body: call.body})
		if err != nil {
			return nil, err
		}
		if o.Include {
			head := resp.StatusLine + "\n"
			for _, k := range slices.Sorted(maps.Keys(resp.Header)) {
				for _, v := range resp.Header[k] {
					head += k + ": " + v + "\n"
				}
			}
			io.WriteString(d.io.Out, d.secrets.Scrub(safeText(d, head+"\n")))
		}
		if resp.Status < 200 || resp.Status >= 300 {
			// The body goes to stderr, the error names the provider's code and trackingId.
			progress("")
			if body := bytes.TrimSpace(resp.Body); len(body) > 0 {
				fmt.Fprintln(d.io.ErrOut, d.secrets.Scrub(indentJSON(body, "", d.io.ColourErr()))) // not JSON: one safe line
			}
			msg := fmt.Sprintf("%s %s: %v", call.method, o.Path, oautherr.ParseAt(d.now(), resp.Status, resp.Header, resp.Body))
			if resp.Status == http.StatusUnauthorized {
				msg += "; the token was refused (expired or revoked?)"
			}
			return nil, errors.New(msg)
		}
		this := target
		target = ""
		if o.Paginate {
			if target, err = restapi.Next(t.base, this, resp.Header); err != nil {
				return nil, fmt.Errorf("page %d: refusing its next-page link: %w", page, err)
			}
		}
		if !o.Paginate || !o.Slurp {
			progress("Fetched page %d...", page)
			if err := writeBody(d, call.jq, resp.Body); err != nil {
				return nil, err
			}
			continue
		}
		var body struct {
			Items *[]any `json:"items"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Items == nil {
			return nil, fmt.Errorf("page %d: the answer is not a JSON object with an items array (use --slurp=false to print pages as they are)", page)
		}
		merged = append(merged, *body.Items...)
		progress("Fetched page %d (%d items)...", page, len(merged))
	}
	progress("")
	return merged, nil
}

// apiDo sends one request; a 401 refreshes the token once (when it can be) and sends it again.
func apiDo(ctx context.Context, d *deps, c *restapi.Client, t *apiTarget, req *restapi.Request) (*restapi.Response, error) {
	for {
		resp, err := c.Do(ctx, req, t.token)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, redact.URL(req.URL), err)
		}
		if resp.Status != http.StatusUnauthorized || t.refresh == nil {
			return resp, nil
		}
		fmt.Fprintln(d.io.ErrOut, "The API refused the access token (HTTP 401); refreshing it and trying again.")
		refresh := t.refresh
		t.refresh = nil // once per run
		if t.token, err = refresh(ctx); err != nil {
			return nil, err
		}
	}
}

// safeText escapes control characters other than newlines in text for a terminal.
func safeText(d *deps, s string) string {
	if !d.io.IsStdoutTTY() {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termsafe.Line(l)
	}
	return strings.Join(lines, "\n")
}

// writeBody prints a successful answer's body: through jq when asked, pretty on a terminal,
// as received otherwise.
func writeBody(d *deps, jq *gojq.Code, body []byte) error {
	tty := d.io.IsStdoutTTY()
	if jq == nil {
		switch {
		case len(bytes.TrimSpace(body)) == 0:
			return nil
		case !tty:
			_, err := d.io.Out.Write(body)
			if err == nil && !bytes.HasSuffix(body, []byte("\n")) {
				_, err = io.WriteString(d.io.Out, "\n")
			}
			return err
		case json.Valid(body):
			_, err := io.WriteString(d.io.Out, indentJSON(body, "", d.io.ColourOut())+"\n")
			return err
		}
		_, err := io.WriteString(d.io.Out, safeText(d, string(body))+"\n")
		return err
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return errors.New("--jq: the answer is not JSON")
	}
	iter := jq.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return fmt.Errorf("--jq: %w", err)
		}
		var out string
		if s, ok := r.(string); ok {
			out = safeText(d, s)
		} else {
			b, err := gojq.Marshal(r)
			if err != nil {
				return fmt.Errorf("--jq: %w", err)
			}
			out = string(b)
			if tty {
				out = indentJSON(b, "", d.io.ColourOut())
			}
		}
		if _, err := io.WriteString(d.io.Out, out+"\n"); err != nil {
			return err
		}
	}
}

// apiField is one -f or -F field of `webex api`.
type apiField struct {
	key   string
	array bool   // key[]=value: appended to an array
	value any    // string, bool, nil or json.Number
	text  string // the value as given (a file's content for @FILE), for the query string
}

func splitField(s string) (key string, array bool, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if key, array = strings.CutSuffix(key, "[]"); !ok || key == "" || strings.ContainsAny(key, "[]") {
		return "", false, "", fmt.Errorf("%q: write a field as key=value or key[]=value", s)
	}
	return key, array, value, nil
}

// typedValue is the JSON value of a -F field's text: true, false, null, a number, else itself.
func typedValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789+-.eE", r) }) < 0 {
		var n json.Number
		if json.Unmarshal([]byte(s), &n) == nil {
			return n
		}
	}
	return s
}

// apiFields parses -f (strings) and -F (typed, @FILE read, @- from stdin) in that order.
func apiFields(d *deps, o *APIOptions) ([]apiField, error) {
	var out []apiField
	for _, s := range o.RawFields {
		k, arr, v, err := splitField(s)
		if err != nil {
			return nil, usageErrorf("-f %v", err)
		}
		out = append(out, apiField{k, arr, v, v})
	}
	stdinUsed := o.Input == "-"
	for _, s := range o.Fields {
		k, arr, v, err := splitField(s)
		if err != nil {
			return nil, usageErrorf("-F %v", err)
		}
		var value any = typedValue(v)
		if name, ok := strings.CutPrefix(v, "@"); ok {
			if name == "-" && stdinUsed {
				return nil, usageErrorf("-F %s: stdin is read once only", k)
			}
			stdinUsed = stdinUsed || name == "-"
			b, err := d.readArg("-F", "-F @"+name, name, 1<<20)
			if err != nil {
				return nil, err
			}
			v, value = string(b), string(b)
		}
		out = append(out, apiField{k, arr, value, v})
	}
	seen := map[string]bool{}
	for _, f := range out {
		if was, ok := seen[f.key]; ok && (was != f.array || !f.array) {
			return nil, usageErrorf("field %q is given more than once (use %s[]=... for an array)", f.key, f.key)
		}
		seen[f.key] = f.array
	}
	return out, nil
}

func fieldObject(fields []apiField) map[string]any {
	m := map[string]any{}
	for _, f := range fields {
		if !f.array {
			m[f.key] = f.value
			continue
		}
		a, _ := m[f.key].([]any)
		m[f.key] = append(a, f.value)
	}
	return m
}
