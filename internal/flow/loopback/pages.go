package loopback

import (
	"html/template"
	"sync"
)

// The built-in pages: small, self-contained (no external resources), escaped by html/template.
const pageStyle = `<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f4f5f7;color:#1b1c1e}
main{background:#fff;border-radius:12px;box-shadow:0 2px 14px rgba(0,0,0,.08);padding:2rem 2.5rem;max-width:34rem;margin:1rem}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{line-height:1.5;margin:.5rem 0}
.ok{color:#0a7d3b}.err{color:#c4262e}
code{background:#f0f1f3;border-radius:4px;padding:.1rem .35rem;font-size:.95em}
.muted{color:#5c6068;font-size:.9rem}
</style>`

// The pages "success" and "error" are parsed on first use, so that commands other than login
// pay nothing for them.
var pages = sync.OnceValue(func() *template.Template {
	t := template.Must(template.New("success").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed in - webex</title>` + pageStyle + `</head>
<body><main>
<h1 class="ok">&#10003; Signed in</h1>
<p>You are signed in. You can close this tab and return to the terminal.</p>
</main></body></html>
`))
	return template.Must(t.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed - webex</title>` + pageStyle + `</head>
<body><main>
<h1 class="err">Sign-in failed</h1>
<p>{{.Message}}</p>
{{if .Code}}<p>Provider error: <code>{{.Code}}</code>{{if .Description}}: {{.Description}}{{end}}</p>{{end}}
<p class="muted">Return to the terminal for details.</p>
</main></body></html>
`))
})
