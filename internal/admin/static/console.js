// corsgate console: the playground's "Send from this browser" button.
//
// The console is served from the admin origin and the gateway listens on
// another port, so a fetch() from this page to a route is a genuine
// cross-origin call. The button performs the request described by the form,
// asks /api/explain what corsgate predicts for this page's origin, and
// shows both side by side. Everything is written with textContent: no
// value from the configuration or the network is ever parsed as HTML.
"use strict";

(function () {
  const form = document.getElementById("playground");
  const run = document.getElementById("live-run");
  if (!form || !run) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const liveTimeout = 10000;

  run.hidden = false;
  $("live-help").hidden = false;

  function parseHeaders(text) {
    const headers = [];
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "") {
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) {
        throw new Error("header \"" + line + "\": write it as 'Name: value'");
      }
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    return headers;
  }

  // perform sends the request for real and reports what the script sees.
  async function perform(fd) {
    const body = fd.get("body") || "";
    const init = {
      method: fd.get("method") || (body !== "" ? "POST" : "GET"),
      headers: parseHeaders(fd.get("headers") || ""),
      credentials: fd.get("credentials") || "same-origin",
      mode: "cors",
      cache: "no-store",
      signal: AbortSignal.timeout(liveTimeout),
    };
    if (body !== "") {
      init.body = body;
    }
    try {
      const r = await fetch(fd.get("url"), init);
      await r.text();
      const headers = [];
      r.headers.forEach((value, name) => headers.push(name + ": " + value));
      return { resolved: true, status: r.status, statusText: r.statusText, headers: headers.sort() };
    } catch (e) {
      return { resolved: false, error: String(e) };
    }
  }

  // predict asks corsgate about the same request from this page's origin.
  async function predict(fd) {
    const q = new URLSearchParams();
    for (const name of ["url", "method", "headers", "body", "credentials", "browser"]) {
      q.set(name, fd.get(name) || "");
    }
    q.set("origin", location.origin);
    const r = await fetch("/api/explain?" + q.toString(), { cache: "no-store" });
    const doc = await r.json();
    if (!r.ok) {
      throw new Error(doc.error || "HTTP " + r.status);
    }
    return doc;
  }

  function setText(id, text, attr, value) {
    const el = $(id);
    el.textContent = text;
    if (attr) {
      el.dataset[attr] = value;
    }
  }

  function showPrediction(p) {
    if (p.error) {
      setText("live-prediction", "corsgate cannot explain it", "verdict", "error");
      setText("live-prediction-detail", p.error);
      return null;
    }
    const res = p.result;
    if (res.verdict === "ALLOWED") {
      // A forwarded request is judged on a placeholder backend response:
      // its status and headers are the backend's, known only live.
      const last = p.exchanges[p.exchanges.length - 1];
      const forwarded = last && last.placeholderUpstream;
      setText("live-prediction", "Allowed: fetch() resolves with " + (forwarded ? "the backend's response" : res.status),
        "verdict", "allowed");
      if (forwarded) {
        const exposed = (last.gateway.header["Access-Control-Expose-Headers"] || []).join(", ");
        setText("live-prediction-detail", "The script can read the CORS-safelisted response headers" +
          (exposed ? " and those exposed: " + exposed : "") + ".");
      } else {
        setText("live-prediction-detail", "Readable headers: " + ((res.readableHeaders || []).join(", ") || "none") + ".");
      }
      return true;
    }
    setText("live-prediction", "Blocked: fetch() rejects", "verdict", "blocked");
    setText("live-prediction-detail", res.failure ? res.failure.message : (p.networkError || ""));
    return false;
  }

  function showOutcome(o) {
    const list = $("live-headers");
    list.replaceChildren();
    if (o.resolved) {
      setText("live-outcome", "Resolved: " + o.status + (o.statusText ? " " + o.statusText : ""), "outcome", "resolved");
      setText("live-outcome-detail", "Headers the script can read:");
      for (const h of o.headers) {
        const li = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = h;
        li.append(code);
        list.append(li);
      }
      return true;
    }
    setText("live-outcome", "Rejected: " + o.error, "outcome", "rejected");
    setText("live-outcome-detail", "Scripts are not told why; the browser's developer console (F12) names the CORS error. " +
      "An unreachable gateway looks the same.");
    return false;
  }

  run.addEventListener("click", async () => {
    const fd = new FormData(form);
    const live = $("live");
    live.hidden = false;
    if (!fd.get("url")) {
      $("live-agreement").textContent = "Give the URL to send the request to.";
      $("url").focus();
      return;
    }
    run.disabled = true;
    const agreement = $("live-agreement");
    agreement.dataset.state = "running";
    delete agreement.dataset.agree;
    agreement.textContent = "Sending…";
    setText("live-prediction", "…", "verdict", "");
    setText("live-outcome", "…", "outcome", "");
    setText("live-prediction-detail", "");
    setText("live-outcome-detail", "");
    $("live-headers").replaceChildren();
    $("live-note").textContent = (fd.get("method") || "GET") + " " + fd.get("url") + " from " + location.origin +
      " (this page), credentials " + (fd.get("credentials") || "same-origin") + ".";
    try {
      const [p, o] = await Promise.all([predict(fd).catch((e) => ({ error: String(e.message || e) })), perform(fd)]);
      const predicted = showPrediction(p);
      const got = showOutcome(o);
      if (predicted === null) {
        agreement.textContent = "No prediction to compare with.";
      } else if (predicted === got) {
        agreement.dataset.agree = "yes";
        agreement.textContent = "The browser agrees with corsgate's prediction.";
      } else {
        agreement.dataset.agree = "no";
        agreement.textContent = "The browser and the prediction differ: check that the URL reaches this gateway and that the rules profile matches this browser.";
      }
    } catch (e) {
      agreement.textContent = "Could not run: " + String(e.message || e);
    } finally {
      agreement.dataset.state = "done";
      run.disabled = false;
      live.scrollIntoView({ block: "nearest" });
    }
  });
})();
