// The shared client of the console pages: DOM helpers, the signed-in session, sign-in (PKCE),
// the API with its errors, the pinned clock and downloads. Served from chalicelib/web/static.
"use strict";


// The API root: everything before the "console" segment (/ locally, /api/ in the cloud).
export var BASE = (function () {
  var parts = location.pathname.split("/");
  var i = parts.indexOf("console");
  return i > 0 ? parts.slice(0, i).join("/") + "/" : "/";
})();
export var CONSOLE = BASE + "console";

// ---- small DOM helpers;
// all data goes in as text, never as HTML. Handlers are attached with addEventListener and a
// `style` goes through the CSSOM (style.cssText), never as an attribute: the pages' CSP allows
// neither inline handler nor inline style attributes.
export function h(tag, attrs) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  });
  for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
  return node;
}
export function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
  node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}
export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

// ---- the signed-in session, shared by every console tab ----
// Needs CONSOLE (the console's path) from the page. The access token from the hosted login
// (sign-in, below) lives in localStorage, so one sign-in serves every tab and a link opened
// from an e-mail; it never goes into a URL. Signing out (or an expired token, or idle time) removes
// it, and every other tab hears that through the `storage` event and shows the login page.
export var SESSION_KEY = "miyapo.console.token";      // {token, exp (ms), idle (s), user, sid}
export var ACTIVE_KEY = "miyapo.console.active";      // last user activity in any tab (ms)
export var ENDED_KEY = "miyapo.console.ended";        // why the last session ended: logout | idle | expired | invalid
export var LOGOUT_KEY = "miyapo.console.logout";      // sessionStorage: a logout this tab started {reason, next}
export var ENDED_REASONS = ["logout", "idle", "expired", "invalid"];

export function readStore(store, key) {
  try { return store.getItem(key); } catch (e) { return null; }
}
export function writeStore(store, key, value) {
  try { if (value === null) store.removeItem(key); else store.setItem(key, value); } catch (e) { /* private mode */ }
}
export function readJson(store, key) {
  try { var v = JSON.parse(readStore(store, key) || "null"); return v && typeof v === "object" ? v : null; } catch (e) { return null; }
}
export function session() {
  var s = readJson(localStorage, SESSION_KEY);
  return s && typeof s.token === "string" && typeof s.exp === "number" && typeof s.idle === "number" ? s : null;
}
export function lastActive() {
  var v = parseInt(readStore(localStorage, ACTIVE_KEY), 10);
  return isNaN(v) ? 0 : v;
}
// Why a session can no longer be used, or null: the token's expiry first, then idle time.
export function sessionProblem(s) {
  var now = Date.now();
  if (now >= s.exp) return "expired";
  if (s.idle > 0 && now - lastActive() >= s.idle * 1000) return "idle";
  return null;
}
export function token() {
  var s = session();
  return s && !sessionProblem(s) ? s.token : null;
}
export function currentPath() { return location.pathname + location.search + location.hash; }

// A path the console may return to after sign-in: same origin, inside the console, not the login
// page itself. Anything else (another site, //host, a backslash, a script URL, ../ out of the console) is null.
export function safeNext(path) {
  if (typeof path !== "string" || path.length > 2000 || path.charAt(0) !== "/" || path.charAt(1) === "/" ||
      path.indexOf("\\") >= 0 || /[\u0000-\u001f\u007f]/.test(path)) return null;
  var url;
  try { url = new URL(path, location.origin); } catch (e) { return null; }
  if (url.origin !== location.origin) return null;
  if (url.pathname !== CONSOLE && url.pathname.indexOf(CONSOLE + "/") !== 0) return null;
  if (url.pathname === CONSOLE + "/login" || url.pathname.indexOf(CONSOLE + "/login/") === 0) return null;
  return url.pathname + url.search + url.hash;
}
export function signInUrl(next) {
  return CONSOLE + "/login?next=" + encodeURIComponent(safeNext(next) || CONSOLE);
}
export function endedUrl(reason, next) {
  return CONSOLE + "/login?ended=" + encodeURIComponent(reason) + "&next=" + encodeURIComponent(safeNext(next) || CONSOLE);
}

export function beginSession(answer, idleSeconds) {
  var now = Date.now();
  var sid = String(now) + Math.random().toString(36).slice(2);
  writeStore(localStorage, ACTIVE_KEY, String(now));
  writeStore(localStorage, ENDED_KEY, null);
  writeStore(localStorage, SESSION_KEY, JSON.stringify({
    token: answer.access_token, exp: now + Math.max(0, answer.expires_in - 30) * 1000, idle: idleSeconds,
    user: answer.user, sid: sid }));
}
// Ends the session in every tab (they hear the removal); `reason` tells them why.
export function endSession(reason) {
  writeStore(localStorage, ENDED_KEY, JSON.stringify({ reason: reason, at: Date.now() }));
  writeStore(localStorage, SESSION_KEY, null);
}
export function endedReason() {
  var e = readJson(localStorage, ENDED_KEY);
  return e && ENDED_REASONS.indexOf(e.reason) >= 0 ? e.reason : "logout";
}
// Logout (the button, or idle time): ends the session everywhere, then the login page sends the
// browser to the hosted login's /logout, which ends its own session too (hostedLogout, below).
export function logout(reason) {
  var next = currentPath();
  endSession(reason);
  writeStore(sessionStorage, LOGOUT_KEY, JSON.stringify({ reason: reason, next: safeNext(next) }));
  location.assign(CONSOLE + "/login?logout=1");
}

// Activity (in any tab) keeps the session alive; polling in the background does not.
export var lastTouch = 0;
export function touch() {
  var s = session();
  if (!s || sessionProblem(s)) return;   // too late: the watcher ends it
  var now = Date.now();
  if (now - lastTouch < Math.min(10000, s.idle * 200)) return;
  lastTouch = now;
  writeStore(localStorage, ACTIVE_KEY, String(now));
}
export var watching = false;
export function checkSession() {
  var s = session();
  if (!s) { location.replace(endedUrl(endedReason(), currentPath())); return false; }
  var problem = sessionProblem(s);
  if (problem === "idle") { logout("idle"); return false; }
  if (problem) { endSession(problem); location.replace(endedUrl(problem, currentPath())); return false; }
  return true;
}
export function watchSession() {
  if (watching) return;
  watching = true;
  var mine = session();
  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (type) {
    document.addEventListener(type, touch, { capture: true, passive: true });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) checkSession(); });
  setInterval(checkSession, Math.max(250, Math.min(5000, mine.idle * 200)));
  window.addEventListener("storage", function (e) {
    if (e.key !== SESSION_KEY && e.key !== null) return;
    var now = session();
    if (!now) { location.replace(endedUrl(endedReason(), currentPath())); return; }
    // Someone else signed in in another tab: show this page as them.
    if (now.user !== mine.user) location.reload();
  });
}
// At the start of every console page but the login page: true when signed in (and watches the
// session from then on); otherwise sends the browser to sign in (and back here afterwards).
export function requireSession() {
  var s = session();
  if (!s) {
    location.replace(signInUrl(currentPath()));
    return false;
  }
  if (!checkSession()) return false;
  lastTouch = 0;
  touch();
  watchSession();
  return true;
}

// ---- sign-in through the hosted login: authorization code + PKCE (S256) ----
// The same code in every stage; only AUTH differs (rendered by chalicelib/routes/console.py from
// chalicelib/auth/oauth.py): Cognito's hosted login in the cloud, the local stack's /dev stand-in
// locally.
export var AUTH = (function () {
  try { return JSON.parse(document.body.getAttribute("data-auth") || "null"); } catch (e) { return null; }
})();
export var PENDING_KEY = "miyapo.console.pending";    // sessionStorage: this tab's authorize request {state, verifier, at}
export var IDLE_OVERRIDE_KEY = "miyapo_idle_seconds"; // localStorage, local stage only: a shorter idle limit (demos, tests)
export var PENDING_MAX_MS = 15 * 60 * 1000;

export function b64url(bytes) {
  var s = "";
  for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
export function unb64url(text) {
  var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  var bytes = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
export function randomText(n) {
  var a = new Uint8Array(n);
  window.crypto.getRandomValues(a);
  return b64url(a);
}
// `state` = a one-time random part (checked against this tab's pending request) + the page to return to.
export function makeState(next) {
  return randomText(24) + "." + b64url(new TextEncoder().encode(safeNext(next) || CONSOLE));
}
export function nextOfState(state) {
  var dot = state.indexOf(".");
  try { return safeNext(unb64url(state.slice(dot + 1))) || CONSOLE; } catch (e) { return CONSOLE; }
}

// Off to the hosted login; it comes back to AUTH.redirect_uri (the login page) with ?code&state.
export function startSignIn(next, hint) {
  var verifier = randomText(48);
  var state = makeState(next);
  return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (digest) {
    writeStore(sessionStorage, PENDING_KEY, JSON.stringify({ state: state, verifier: verifier, at: Date.now() }));
    var params = new URLSearchParams({
      response_type: "code", client_id: AUTH.client_id, redirect_uri: AUTH.redirect_uri, scope: AUTH.scope,
      state: state, code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256" });
    if (hint) params.set("login_hint", hint);
    location.assign(AUTH.authorize_url + "?" + params.toString());
  });
}

export function SignInProblem(message) { this.message = message; }

// Back from the hosted login: the state must be this tab's pending one; the code and verifier are
// redeemed by this API (POST /auth/token). Resolves to the page to open.
export function completeSignIn(code, state) {
  var pending = readJson(sessionStorage, PENDING_KEY);
  writeStore(sessionStorage, PENDING_KEY, null);
  if (!pending || typeof pending.state !== "string" || pending.state !== state ||
      !(Date.now() - pending.at < PENDING_MAX_MS)) {
    return Promise.reject(new SignInProblem("ログインの確認に失敗しました（このタブで始めたログインではないか、時間が経ちすぎています）。もう一度ログインしてください。"));
  }
  return api("auth/token", { method: "POST", anonymous: true, body: { code: code, code_verifier: pending.verifier } })
    .then(function (answer) {
      var idle = AUTH.idle_seconds;
      var override = parseInt(readStore(localStorage, IDLE_OVERRIDE_KEY), 10);
      if (AUTH.local && override > 0) idle = override;
      beginSession(answer, idle);
      return nextOfState(state);
    });
}

// The hosted login's own logout (its session would otherwise sign the next person straight in).
export function hostedLogout() {
  var params = new URLSearchParams({ client_id: AUTH.client_id, logout_uri: AUTH.logout_uri });
  location.replace(AUTH.logout_url + "?" + params.toString());
}

// ---- the API (with the session's token, above) ----

export function ApiError(status, body) {
  this.status = status;
  this.body = body;
  var err = body && body.error ? body.error : {};
  this.message = err.message || (status ? "エラーが発生しました（" + status + "）" : "通信できませんでした");
  this.fields = err.fields || {};
}

// The clock the screens follow, as the server does (chalicelib/clock.py):
// 1. this tab's pin: when sessionStorage has "miyapo_now" (ISO 8601 with an offset, e.g.
//    2025-07-02T10:00:00+09:00), every API call sends it as X-Miyapo-Now; "real" pins the real time
//    (the tab sends the browser's time, for a look at the real day while the stack runs a demo clock);
// 2. else the local stack's demo clock, which the page states in <meta name="miyapo-clock"> (local stage
//    only: chalicelib/web/pages.py), moving on from the page's load as the server's does;
// 3. else the real clock.
// Only the local stage honours the header and has the meta; every other stage uses the real time.
// The banner with its control is static/demo-clock.js.
export var NOW_KEY = "miyapo_now";
export var REAL_PIN = "real";
var LOADED_AT = Date.now();
export var STACK_CLOCK = (function () {
  var meta = document.querySelector('meta[name="miyapo-clock"]');
  if (!meta) return null;
  try {
    var c = JSON.parse(meta.getAttribute("content") || "null");
    return c && !isNaN(Date.parse(c.now)) ? c : null;
  } catch (e) { return null; }
})();
export function storedPin() { try { return sessionStorage.getItem(NOW_KEY); } catch (e) { return null; } }
export function setPin(value) {
  try {
    if (value) sessionStorage.setItem(NOW_KEY, value); else sessionStorage.removeItem(NOW_KEY);
  } catch (e) { /* storage disabled: the tab keeps the stack's clock */ }
}
// An ISO 8601 time in JST (+09:00), to the second.
export function isoJst(ms) { return new Date(ms + 9 * 3600 * 1000).toISOString().slice(0, 19) + "+09:00"; }
export function pinnedNow() {
  var pin = storedPin();
  return pin === REAL_PIN ? isoJst(Date.now()) : pin;
}
// The stack's clock without this tab's pin: the demo clock when the page states one, else the real time.
export function stackNowMs() {
  if (STACK_CLOCK && STACK_CLOCK.source === "demo") return Date.parse(STACK_CLOCK.now) + (Date.now() - LOADED_AT);
  return Date.now();
}
export function clockNowMs() {
  var pinned = pinnedNow(), t = pinned ? Date.parse(pinned) : NaN;
  return isNaN(t) ? stackNowMs() : t;
}

export function requestHeaders(options, accept) {
  var headers = { "Accept": accept };
  var t = options.token || token();
  if (t && !options.anonymous) headers.Authorization = "Bearer " + t;
  var pinned = pinnedNow();
  if (pinned) headers["X-Miyapo-Now"] = pinned;
  return headers;
}

// `options`: method, body (JSON) or raw + contentType (bytes), anonymous, token, accept, blob (answer a Blob).
export function api(path, options) {
  options = options || {};
  var headers = requestHeaders(options, options.accept || "application/json");
  var body;
  if (options.raw !== undefined) {
    // Raw bytes (an uploaded file): sent untouched, with the content type given.
    headers["Content-Type"] = options.contentType || "application/octet-stream";
    body = options.raw;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return fetch(BASE + path, {
    method: options.method || "GET", headers: headers, body: body
  }).then(function (res) {
    if (options.blob && res.ok) return res.blob();
    return res.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      if (!res.ok) throw new ApiError(res.status, body);
      return body;
    });
  }, function () { throw new ApiError(0, null); });
}

// A file from the API (transfer file, statements): fetched with the token, saved through an <a download>.
export function download(path, fallbackName) {
  return fetch(BASE + path, { headers: requestHeaders({}, "*/*") }).then(function (res) {
    if (!res.ok) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        throw new ApiError(res.status, body);
      });
    }
    var m = /filename="?([^";]+)"?/.exec(res.headers.get("Content-Disposition") || "");
    var name = m ? m[1] : fallbackName;
    return res.blob().then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = h("a", { href: url, download: name, hidden: true });
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
      return name;
    });
  }, function () { throw new ApiError(0, null); });
}
