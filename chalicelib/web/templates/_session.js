  // ---- the signed-in session, shared by every console tab (inserted by chalicelib.web.pages.render) ----
  // Needs CONSOLE (the console's path) from the page. The access token from the hosted login
  // (templates/_oauth.js) lives in localStorage, so one sign-in serves every tab and a link opened
  // from an e-mail; it never goes into a URL. Signing out (or an expired token, or idle time) removes
  // it, and every other tab hears that through the `storage` event and shows the login page.
  var SESSION_KEY = "miyapo.console.token";      // {token, exp (ms), idle (s), user, sid}
  var ACTIVE_KEY = "miyapo.console.active";      // last user activity in any tab (ms)
  var ENDED_KEY = "miyapo.console.ended";        // why the last session ended: logout | idle | expired | invalid
  var LOGOUT_KEY = "miyapo.console.logout";      // sessionStorage: a logout this tab started {reason, next}
  var ENDED_REASONS = ["logout", "idle", "expired", "invalid"];

  function readStore(store, key) {
    try { return store.getItem(key); } catch (e) { return null; }
  }
  function writeStore(store, key, value) {
    try { if (value === null) store.removeItem(key); else store.setItem(key, value); } catch (e) { /* private mode */ }
  }
  function readJson(store, key) {
    try { var v = JSON.parse(readStore(store, key) || "null"); return v && typeof v === "object" ? v : null; } catch (e) { return null; }
  }
  function session() {
    var s = readJson(localStorage, SESSION_KEY);
    return s && typeof s.token === "string" && typeof s.exp === "number" && typeof s.idle === "number" ? s : null;
  }
  function lastActive() {
    var v = parseInt(readStore(localStorage, ACTIVE_KEY), 10);
    return isNaN(v) ? 0 : v;
  }
  // Why a session can no longer be used, or null: the token's expiry first, then idle time.
  function sessionProblem(s) {
    var now = Date.now();
    if (now >= s.exp) return "expired";
    if (s.idle > 0 && now - lastActive() >= s.idle * 1000) return "idle";
    return null;
  }
  function token() {
    var s = session();
    return s && !sessionProblem(s) ? s.token : null;
  }
  function currentPath() { return location.pathname + location.search + location.hash; }

  // A path the console may return to after sign-in: same origin, inside the console, not the login
  // page itself. Anything else (another site, //host, a backslash, a script URL, ../ out of the console) is null.
  function safeNext(path) {
    if (typeof path !== "string" || path.length > 2000 || path.charAt(0) !== "/" || path.charAt(1) === "/" ||
        path.indexOf("\\") >= 0 || /[\u0000-\u001f\u007f]/.test(path)) return null;
    var url;
    try { url = new URL(path, location.origin); } catch (e) { return null; }
    if (url.origin !== location.origin) return null;
    if (url.pathname !== CONSOLE && url.pathname.indexOf(CONSOLE + "/") !== 0) return null;
    if (url.pathname === CONSOLE + "/login" || url.pathname.indexOf(CONSOLE + "/login/") === 0) return null;
    return url.pathname + url.search + url.hash;
  }
  function signInUrl(next) {
    return CONSOLE + "/login?next=" + encodeURIComponent(safeNext(next) || CONSOLE);
  }
  function endedUrl(reason, next) {
    return CONSOLE + "/login?ended=" + encodeURIComponent(reason) + "&next=" + encodeURIComponent(safeNext(next) || CONSOLE);
  }

  function beginSession(answer, idleSeconds) {
    var now = Date.now();
    var sid = String(now) + Math.random().toString(36).slice(2);
    writeStore(localStorage, ACTIVE_KEY, String(now));
    writeStore(localStorage, ENDED_KEY, null);
    writeStore(localStorage, SESSION_KEY, JSON.stringify({
      token: answer.access_token, exp: now + Math.max(0, answer.expires_in - 30) * 1000, idle: idleSeconds,
      user: answer.user, sid: sid }));
  }
  // Ends the session in every tab (they hear the removal); `reason` tells them why.
  function endSession(reason) {
    writeStore(localStorage, ENDED_KEY, JSON.stringify({ reason: reason, at: Date.now() }));
    writeStore(localStorage, SESSION_KEY, null);
  }
  function endedReason() {
    var e = readJson(localStorage, ENDED_KEY);
    return e && ENDED_REASONS.indexOf(e.reason) >= 0 ? e.reason : "logout";
  }
  // Logout (the button, or idle time): ends the session everywhere, then the login page sends the
  // browser to the hosted login's /logout, which ends its own session too (templates/_oauth.js).
  function logout(reason) {
    var next = currentPath();
    endSession(reason);
    writeStore(sessionStorage, LOGOUT_KEY, JSON.stringify({ reason: reason, next: safeNext(next) }));
    location.assign(CONSOLE + "/login?logout=1");
  }

  // Activity (in any tab) keeps the session alive; polling in the background does not.
  var lastTouch = 0;
  function touch() {
    var s = session();
    if (!s || sessionProblem(s)) return;   // too late: the watcher ends it
    var now = Date.now();
    if (now - lastTouch < Math.min(10000, s.idle * 200)) return;
    lastTouch = now;
    writeStore(localStorage, ACTIVE_KEY, String(now));
  }
  var watching = false;
  function checkSession() {
    var s = session();
    if (!s) { location.replace(endedUrl(endedReason(), currentPath())); return false; }
    var problem = sessionProblem(s);
    if (problem === "idle") { logout("idle"); return false; }
    if (problem) { endSession(problem); location.replace(endedUrl(problem, currentPath())); return false; }
    return true;
  }
  function watchSession() {
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
  function requireSession() {
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
