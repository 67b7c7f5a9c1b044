package fetch_test

import (
	"fmt"
	"net/http"

	"github.com/corsgate/corsgate/internal/fetch"
	"github.com/corsgate/corsgate/internal/policy"
)

// Judge the gateway's own answer, without any network: each request the
// browser would send is evaluated by the compiled policy, and the response
// the data plane would write goes back to the browser rules. This is what
// `corsgate explain` does.
func ExampleRun_policy() {
	p, _, err := policy.Compile(policy.Spec{
		AllowOrigins:     []string{"https://app.example"},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"Content-Type"},
		AllowCredentials: true,
		MaxAge:           86400,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gateway := func(out fetch.Outgoing) (fetch.Response, error) {
		d := p.Evaluate(&policy.Request{
			Method:         out.Method,
			Origin:         out.Header.Values("Origin"),
			RequestMethod:  out.Header.Values("Access-Control-Request-Method"),
			RequestHeaders: out.Header.Values("Access-Control-Request-Headers"),
		})
		return fetch.FromDecision(&d, http.StatusOK, nil), nil // the backend answers 200
	}
	for _, method := range []string{"PUT", "PATCH"} {
		res, err := fetch.Run(fetch.Request{
			URL:         "https://api.example/items",
			Origin:      "https://app.example",
			Method:      method,
			Header:      http.Header{"Content-Type": {"application/json"}},
			Body:        true,
			Credentials: fetch.Include,
		}, fetch.Chromium, gateway)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(method, res.Verdict)
		if res.Verdict == fetch.Allowed {
			fmt.Println("preflight cached for", *res.PreflightCacheSeconds, "s")
		} else {
			fmt.Println(res.Failure.Message)
			fmt.Println("fix:", res.Failure.Fix)
		}
	}
	// Output:
	// PUT ALLOWED
	// preflight cached for 7200 s
	// PATCH BLOCKED
	// Access to fetch at 'https://api.example/items' from origin 'https://app.example' has been blocked by CORS policy: Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response.
	// fix: the server must list `PATCH` in Access-Control-Allow-Methods
}

// Drive a fetch step by step with recorded responses. The response below is
// a classic mistake: "*" together with credentials.
func ExampleSession() {
	s, err := fetch.NewSession(fetch.Request{
		URL:         "https://api.example/me",
		Origin:      "https://app.example",
		Credentials: fetch.Include,
	}, fetch.Firefox)
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		out, ok := s.Next()
		if !ok {
			break
		}
		fmt.Println(out.Kind, out.Method, out.URL, out.Header.Get("Origin"), out.Credentials)
		s.Receive(fetch.Response{Status: 200, Header: http.Header{
			"Access-Control-Allow-Origin":      {"*"},
			"Access-Control-Allow-Credentials": {"true"},
		}})
	}
	res := s.Result()
	fmt.Println(res.Verdict)
	fmt.Println(res.Failure.Message)
	fmt.Println("fix:", res.Failure.Fix)
	// Output:
	// actual GET https://api.example/me https://app.example true
	// BLOCKED
	// Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/me. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’). Status code: 200.
	// fix: don't combine `*` with credentials: echo the request's Origin (`https://app.example`) in Access-Control-Allow-Origin with `Access-Control-Allow-Credentials: true` and `Vary: Origin`, or fetch with credentials 'same-origin' if the request needs no cookies
}
