package e2e

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/corsgate/corsgate/internal/fetch"
)

// fetchPredictor is the suite's predictor: it replays what corsgate sent
// on the wire (the recorded preflight answer, then each hop) through
// internal/fetch, the same browser-side rules `corsgate check` uses.
func fetchPredictor(origin, url string, f fetchSpec, ex exchange) (verdict, error) {
	creds, err := fetch.ParseCredentials(f.Credentials)
	if f.Credentials == "" {
		creds, err = fetch.ParseCredentials("same-origin")
	}
	if err != nil {
		return verdict{}, err
	}
	h := http.Header{}
	for k, v := range f.Headers {
		h.Set(k, v)
	}
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	}
	req := fetch.Request{URL: url, Origin: origin, Method: f.Method, Header: h, Body: f.Body != "", Credentials: creds}
	hop := 0
	res, err := fetch.Run(req, fetch.Chromium, func(o fetch.Outgoing) (fetch.Response, error) {
		if o.Kind == fetch.Preflight {
			if ex.Preflight == nil {
				return fetch.Response{}, errors.New("internal/fetch sends a preflight but Chromium sent none (or it was answered from the preflight cache)")
			}
			return fetch.Response{Status: ex.Preflight.Status, Header: ex.Preflight.Header}, nil
		}
		if hop >= len(ex.Hops) {
			return fetch.Response{}, fmt.Errorf("internal/fetch sends request %d to %s but Chromium recorded only %d", hop+1, o.URL, len(ex.Hops))
		}
		r := ex.Hops[hop]
		hop++
		return fetch.Response{Status: r.Status, Header: r.Header}, nil
	})
	if err != nil {
		return verdict{}, err
	}
	return verdict{Allowed: res.Verdict == fetch.Allowed, Preflight: res.Preflights > 0, Readable: res.Readable}, nil
}
