// The login screen (also the hosted login's redirect and logout URI).
import { AUTH, CONSOLE, LOGOUT_KEY, PENDING_KEY, SESSION_KEY, api, append, completeSignIn, h, hostedLogout, logout, nextOfState, readJson, safeNext, startSignIn, token, writeStore } from "./client.js";
import { PAGES, ROLE_LABELS, q, render } from "./console-kit.js";

// The login page (also the hosted login's redirect and logout URI): see startSignIn/completeSignIn in client.js.
PAGES.login = function () {
  document.title = "ログイン | 事務局コンソール";
  var next = safeNext(q("next")) || CONSOLE;
  var status = h("p", { "class": "err", id: "login-error", role: "alert" });
  var ENDED = {
    logout: "ログアウトしました。",
    idle: "操作がない状態が続いたため、ログアウトしました。",
    expired: "ログインの有効期限が切れました。もう一度ログインしてください。",
    invalid: "ログインが無効になりました。もう一度ログインしてください。"
  };
  var NOTICE_KEY = "miyapo.console.notice";   // sessionStorage: why this tab went through the hosted logout

  function signInButton(label) {
    return h("button", { type: "button", "class": "primary", id: "sign-in", onclick: function () {
      status.textContent = "";
      startSignIn(next).catch(function () { status.textContent = "ログインを始められませんでした。ページを再読み込みしてください。"; });
    }, text: label || "ログイン" });
  }
  function card(heading, body) {
    return h("section", { "class": "card", "aria-labelledby": "sign-in-h" },
      h("h2", { id: "sign-in-h", text: heading }), body,
      h("p", { "class": "hint", id: "sign-in-hint", style: "margin-top:10px", text: AUTH && AUTH.local
        ? "ローカル環境では、Cognito の代わりにデモ利用者を選ぶ画面が開きます。"
        : "職員用アカウント（ID・パスワード・確認コード）でログインします。ログインはこのブラウザのすべてのタブで有効です。" }),
      h("div", { "class": "actions" }, signInButton()));
  }

  if (!AUTH) {
    render(h("h1", { text: "ログイン" }), h("div", { "class": "problem", role: "alert" },
      h("p", { text: "ログインの設定がされていません（AUTH_HOSTED_UI_URL / AUTH_CLIENT_ID）。管理者にお知らせください。" })));
    return;
  }

  // 1. Back from the hosted login, with a code or an error.
  var code = q("code"), state = q("state") || "", error = q("error");
  if (code || error) {
    window.history.replaceState(null, "", CONSOLE + "/login");   // the one-time code leaves the address bar
    if (state) next = nextOfState(state);
    if (error) {
      writeStore(sessionStorage, PENDING_KEY, null);
      status.textContent = error === "access_denied" ? "ログインを取り消しました。"
        : "ログインできませんでした（" + error + "）。もう一度お試しください。";
      render(h("h1", { text: "ログイン" }), status, card("ログイン", null));
      return;
    }
    render(h("h1", { text: "ログイン" }), h("p", { "class": "muted", id: "signing-in", text: "ログインしています…" }));
    completeSignIn(code, state).then(function (target) { location.replace(target); }, function (err) {
      status.textContent = err.message || "ログインできませんでした。";
      render(h("h1", { text: "ログイン" }), status, card("もう一度ログイン", null));
    });
    return;
  }
  // 2. A logout this tab started (the button, or idle time): end the hosted login's session as well.
  if (q("logout")) {
    var out = readJson(sessionStorage, LOGOUT_KEY);
    writeStore(sessionStorage, LOGOUT_KEY, null);
    if (out) {
      writeStore(sessionStorage, NOTICE_KEY, JSON.stringify(out));
      hostedLogout();
      return;
    }
  }
  // 3. ?as=<user> (local stage only): the same flow, with the demo user picked on the authorize page.
  if (AUTH.local && q("as")) {
    render(h("h1", { text: "ログイン" }), h("p", { "class": "muted", text: "ログイン画面へ移動しています…" }));
    startSignIn(next, q("as"));
    return;
  }
  // 4. Sent here by a page that needs a session: on to the hosted login, and back to that page.
  var ended = ENDED[q("ended")] ? q("ended") : null;
  if (q("next") && !ended && !q("logout")) {
    render(h("h1", { text: "ログイン" }), h("p", { "class": "muted", text: "ログイン画面へ移動しています…" }));
    startSignIn(next);
    return;
  }
  // 5. The page itself: why the last session ended, the button, and locally the demo users.
  var notice = readJson(sessionStorage, NOTICE_KEY);
  writeStore(sessionStorage, NOTICE_KEY, null);
  if (notice && ENDED[notice.reason]) {
    ended = notice.reason;
    next = safeNext(notice.next) || next;
  }
  var demo = h("section", { "class": "card", id: "demo", hidden: true, "aria-labelledby": "demo-h" });
  render(
    h("h1", { text: "ログイン" }),
    ended ? h("p", { "class": "flash info", id: "ended", role: "status", text: ENDED[ended] }) : null,
    status, card("事務局コンソールにログイン", null), demo);

  // Signed in in another tab meanwhile: carry on to where this tab was going.
  window.addEventListener("storage", function (e) {
    if (e.key === SESSION_KEY && token()) location.replace(next);
  });

  if (!AUTH.local) return;
  api("dev/demo-logins", { anonymous: true }).then(function (answer) {
    var users = answer && Array.isArray(answer.users) ? answer.users : [];
    if (!users.length) return;
    var list = h("ul", { "class": "login-users" });
    users.forEach(function (u) {
      list.appendChild(h("li", null, h("button", { type: "button", "data-user": u.user, onclick: function () {
        status.textContent = "";
        startSignIn(next, u.user);
      } }, u.user, h("small", { text: ROLE_LABELS[u.role] || u.role }))));
    });
    append(demo, [h("h2", { id: "demo-h", text: "デモ利用者でログイン（ローカル環境のみ）" }),
                  h("p", { "class": "hint", text: "ボタンを押すと、ローカルのログイン画面をその利用者で通ってログインします（/console/login?as=利用者名 と同じ）。" }), list]);
    demo.hidden = false;
  }, function () { /* not the local stack: nothing to offer */ });
};
