  // ---- sign-in through the hosted login: authorization code + PKCE (S256) ----
  // The same code in every stage; only AUTH differs (rendered by chalicelib/routes/console.py from
  // chalicelib/auth/oauth.py): Cognito's hosted login in the cloud, the local stack's /dev stand-in
  // locally. Needs _session.js, BASE, CONSOLE and api() from the page.
  var AUTH = (function () {
    try { return JSON.parse(document.body.getAttribute("data-auth") || "null"); } catch (e) { return null; }
  })();
  var PENDING_KEY = "miyapo.console.pending";    // sessionStorage: this tab's authorize request {state, verifier, at}
  var IDLE_OVERRIDE_KEY = "miyapo_idle_seconds"; // localStorage, local stage only: a shorter idle limit (demos, tests)
  var PENDING_MAX_MS = 15 * 60 * 1000;

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }
  function randomText(n) {
    var a = new Uint8Array(n);
    window.crypto.getRandomValues(a);
    return b64url(a);
  }
  // `state` = a one-time random part (checked against this tab's pending request) + the page to return to.
  function makeState(next) {
    return randomText(24) + "." + b64url(new TextEncoder().encode(safeNext(next) || CONSOLE));
  }
  function nextOfState(state) {
    var dot = state.indexOf(".");
    try { return safeNext(unb64url(state.slice(dot + 1))) || CONSOLE; } catch (e) { return CONSOLE; }
  }

  // Off to the hosted login; it comes back to AUTH.redirect_uri (the login page) with ?code&state.
  function startSignIn(next, hint) {
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

  function SignInProblem(message) { this.message = message; }

  // Back from the hosted login: the state must be this tab's pending one; the code and verifier are
  // redeemed by this API (POST /auth/token). Resolves to the page to open.
  function completeSignIn(code, state) {
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
  function hostedLogout() {
    var params = new URLSearchParams({ client_id: AUTH.client_id, logout_uri: AUTH.logout_uri });
    location.replace(AUTH.logout_url + "?" + params.toString());
  }
