package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
)

// recorder collects a tab's DevTools events. handle runs on chromedp's
// read loop, so it only copies what it needs under the lock.
type recorder struct {
	mu       sync.Mutex
	requests map[network.RequestID]*netRequest
	order    []network.RequestID
	console  []string // CORS errors the console showed
}

// netRequest is one request as DevTools reported it. A followed redirect
// keeps its request id, so one netRequest can have several hops.
type netRequest struct {
	method    string
	urls      []string   // one per hop, from requestWillBeSent
	responses []response // one per hop that got an answer, from responseReceivedExtraInfo
	preflight bool       // a CORS preflight the browser made on its own
	fetch     bool       // made by fetch() in the page
	finished  bool       // loadingFinished or loadingFailed arrived
	corsError string     // corsErrorStatus.corsError of a failed load
	failure   string     // errorText of a failed load
}

// response is one HTTP response as it arrived from the wire (raw headers),
// before the browser's CORS filtering.
type response struct {
	URL    string
	Status int
	Header http.Header
}

func newRecorder() *recorder {
	return &recorder{requests: map[network.RequestID]*netRequest{}}
}

// reset forgets everything, before a new fetch.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.requests)
	r.order, r.console = nil, nil
}

func (r *recorder) get(id network.RequestID) *netRequest {
	nr := r.requests[id]
	if nr == nil {
		nr = &netRequest{}
		r.requests[id] = nr
		r.order = append(r.order, id)
	}
	return nr
}

// handle is the tab's event listener.
func (r *recorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		nr := r.get(ev.RequestID)
		nr.method = ev.Request.Method
		nr.urls = append(nr.urls, ev.Request.URL)
		nr.preflight = nr.preflight || (ev.Initiator != nil && ev.Initiator.Type == network.InitiatorTypePreflight)
		nr.fetch = nr.fetch || ev.Type == network.ResourceTypeFetch
	case *network.EventResponseReceivedExtraInfo:
		nr := r.get(ev.RequestID)
		nr.responses = append(nr.responses, response{Status: int(ev.StatusCode), Header: headerOf(ev.Headers)})
	case *network.EventLoadingFinished:
		r.get(ev.RequestID).finished = true
	case *network.EventLoadingFailed:
		nr := r.get(ev.RequestID)
		nr.finished = true
		nr.failure = ev.ErrorText
		if ev.CorsErrorStatus != nil {
			nr.corsError = string(ev.CorsErrorStatus.CorsError)
		}
	case *log.EventEntryAdded:
		// Chromium 156 reports CORS failures here (source "javascript",
		// level "error"), as "Access to fetch at '...' from origin '...'
		// has been blocked by CORS policy: ...". Runtime.consoleAPICalled
		// carries only console.* calls made by scripts, which the page
		// does not make.
		if ev.Entry != nil && strings.Contains(ev.Entry.Text, "CORS policy") {
			r.console = append(r.console, ev.Entry.Text)
		}
	}
}

// observation is everything the suite learned about one fetch.
type observation struct {
	result    pageResult // what the page script could read
	preflight bool       // DevTools saw a preflight
	corsError string     // DevTools' CORS error of the fetch, if blocked
	failure   string     // DevTools' network error text of a failed fetch
	console   []string   // the console's CORS error lines
	exchange  exchange   // what corsgate answered, as the wire carried it
}

// exchange is what corsgate sent the browser for one fetch: the input of a
// browser-side prediction (internal/fetch).
type exchange struct {
	Preflight *response  // nil when no preflight was sent
	Hops      []response // the answers to the request itself, redirects first
}

// settle waits, at most limit, until the page's fetch has finished in
// DevTools' eyes and, if CORS blocked it, the console error has arrived;
// then it returns the observation without the page result.
func (r *recorder) settle(limit time.Duration) observation {
	deadline := time.Now().Add(limit)
	for {
		obs, complete := r.snapshot()
		if complete || time.Now().After(deadline) {
			return obs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *recorder) snapshot() (observation, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var obs observation
	complete, preflightAnswered := false, true
	for _, id := range r.order {
		nr := r.requests[id]
		switch {
		case nr.preflight:
			obs.preflight = true
			preflightAnswered = len(nr.responses) > 0
			if len(nr.responses) > 0 {
				p := nr.responses[len(nr.responses)-1]
				p.URL = nr.urls[len(nr.urls)-1]
				obs.exchange.Preflight = &p
			}
		case nr.fetch:
			for i, resp := range nr.responses {
				if i < len(nr.urls) {
					resp.URL = nr.urls[i]
				}
				obs.exchange.Hops = append(obs.exchange.Hops, resp)
			}
			obs.corsError, obs.failure = nr.corsError, nr.failure
			// responseReceivedExtraInfo can trail loadingFinished: a fetch
			// that did not fail is complete once every hop has its answer.
			answered := nr.failure != "" || len(nr.responses) >= len(nr.urls)
			complete = nr.finished && answered && (nr.corsError == "" || len(r.console) > 0)
		}
	}
	complete = complete && (preflightAnswered || obs.failure != "")
	obs.console = slices.Clone(r.console)
	return obs, complete
}

// String describes the observation for failure messages.
func (o observation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "page read: %+v\n", o.result)
	fmt.Fprintf(&b, "preflight sent: %v, DevTools CORS error: %q, network error: %q\n", o.preflight, o.corsError, o.failure)
	for _, line := range o.console {
		fmt.Fprintf(&b, "console: %s\n", line)
	}
	if p := o.exchange.Preflight; p != nil {
		fmt.Fprintf(&b, "preflight answer: %d %s\n%s", p.Status, p.URL, accessControl(p.Header))
	}
	for _, h := range o.exchange.Hops {
		fmt.Fprintf(&b, "answer: %d %s\n%s", h.Status, h.URL, accessControl(h.Header))
	}
	return b.String()
}

// accessControl lists the CORS-relevant headers of h, one per line.
func accessControl(h http.Header) string {
	var b strings.Builder
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "access-control-") || lk == "vary" || lk == "location" {
			fmt.Fprintf(&b, "  %s: %s\n", k, strings.Join(h[k], ", "))
		}
	}
	return b.String()
}
