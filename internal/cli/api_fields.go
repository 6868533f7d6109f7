package cli

import (
	"encoding/json"
	"fmt"
	"strings"
)

// apiField is one -f or -F field of `webex api`.
type apiField struct {
	key   string
	array bool // key[]=value: appended to an array
	value any  // string, bool, nil or json.Number
}

// text is the field's value as a query parameter.
func (f apiField) text() string {
	if f.value == nil {
		return "null"
	}
	return fmt.Sprint(f.value)
}

// splitField splits "key=value" and "key[]=value".
func splitField(s string) (key string, array bool, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if key, array = strings.CutSuffix(key, "[]"); !ok || key == "" || strings.ContainsAny(key, "[]") {
		return "", false, "", fmt.Errorf("%q: write a field as key=value or key[]=value", s)
	}
	return key, array, value, nil
}

// typedValue is the JSON value of a -F field's text: true, false, null, a JSON number, else
// the string itself. @FILE is read by the caller.
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
		out = append(out, apiField{k, arr, v})
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
			value = string(b)
		}
		out = append(out, apiField{k, arr, value})
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

// fieldObject is the JSON body of the fields.
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
