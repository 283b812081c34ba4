// What every console screen shares: the page, the signed-in member, labels, layout helpers.
import { CONSOLE, REAL_PIN, api, append, clear, clockNowMs, currentPath, h, logout, pinnedNow, signInUrl, storedPin } from "./client.js";
import * as LABELS from "./labels.js";
import { ACCOUNT_TYPES, APP_STATUSES, DECLARATIONS, OPERATOR, READ_APPLICATIONS, READ_INQUIRIES, READ_SESSIONS, READ_SETTLEMENT, ROLE_LABELS, STORE_STATUSES } from "./labels.js";
export { ACCOUNT_TYPES, APP_STATUSES, DECLARATIONS, OPERATOR, READ_APPLICATIONS, READ_INQUIRIES, READ_SESSIONS, READ_SETTLEMENT, ROLE_LABELS, STORE_STATUSES };

export var PAGE = document.body.getAttribute("data-page");
export var ITEM = document.body.getAttribute("data-item");
export var app = document.getElementById("app");
export var flash = document.getElementById("flash");
export var me = null;
export function setMe(who) { me = who; }

export var ENTITY = { corporation: "法人", individual: "個人事業主" };
export var DECISIONS = { approve: "承認", "return": "差し戻し", reject: "不承認" };
export var AUDIT_ACTIONS = {
  "application.submit": "申込受付", "application.resubmit": "再提出", "application.view": "申込の閲覧",
  "application.view_bank_account": "申込の口座番号表示", "application.approve": "承認",
  "application.return": "差し戻し", "application.reject": "不承認", "store.view": "店舗の閲覧",
  "store.view_bank_account": "店舗の口座番号表示", "staff.sign_in": "ログイン"
};

export function render() {
  clear(app);
  for (var i = 0; i < arguments.length; i++) append(app, arguments[i]);
}
export function setFlash(kind, message) {
  flash.className = "flash " + kind;
  flash.textContent = message || "";
  if (message) flash.focus();
}
export function fmt(iso) {
  if (!iso) return "—";
  var m = String(iso).match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/);
  return m ? m[1] + "/" + m[2] + "/" + m[3] + " " + m[4] + ":" + m[5] : String(iso);
}
export function todayJst() {
  var d = new Date(clockNowMs() + 9 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}
export function q(name) { return new URLSearchParams(location.search).get(name); }
export function link(path, params) {
  var qs = new URLSearchParams();
  Object.keys(params || {}).forEach(function (k) { if (params[k]) qs.set(k, params[k]); });
  var s = qs.toString();
  return CONSOLE + path + (s ? "?" + s : "");
}
export function hasRole(roles) {
  return !!me && me.roles.some(function (r) { return roles.indexOf(r) >= 0; });
}
export function statusBadge(status, label) {
  return h("span", { "class": "badge status status-" + status, text: label || status });
}
export function fieldList(rows) {
  var dl = h("dl", { "class": "fields" });
  rows.forEach(function (r) {
    if (!r) return;
    dl.appendChild(h("dt", { text: r[0] }));
    dl.appendChild(h("dd", null, r[1] === null || r[1] === undefined || r[1] === "" ? "—" : r[1]));
  });
  return dl;
}

export function loginLink(text) {
  return h("a", { href: signInUrl(currentPath()), text: text || "ログイン画面へ" });
}

// 401 / 403 / other failures of a page's main request.
export function showProblem(err) {
  if (err.status === 401) {
    render(h("div", { "class": "problem", role: "alert" },
      h("h1", { text: "ログインが必要です" }),
      h("p", null, "ログインの有効期限が切れたか、まだログインしていません。 ", loginLink("ログインする"))));
  } else if (err.status === 403) {
    render(h("div", { "class": "problem", role: "alert" },
      h("h1", { text: "この画面を表示する権限がありません" }),
      h("p", { text: err.message + "。別の担当者として使う場合は、ログアウトしてからログインし直してください。" })));
  } else if (err.status === 404) {
    render(h("div", { "class": "problem", role: "alert" },
      h("h1", { text: "見つかりません" }), h("p", { text: err.message })));
  } else {
    render(h("div", { "class": "problem", role: "alert" },
      h("h1", { text: "読み込めませんでした" }),
      h("p", { text: err.message + "。時間をおいて再読み込みしてください。" })));
  }
}

// ---- header: who is logged in, what they may open ----
export function buildHeader() {
  var nav = document.getElementById("nav");
  var who = document.getElementById("who");
  clear(nav); clear(who);
  if (!me) {
    append(who, h("a", { href: signInUrl(currentPath()), style: "color:#fff", text: "ログイン" }));
    return;
  }
  var items = [];
  // The prefecture's view (console-overview.js): the overview, and the report library it links to.
  if (hasRole(LABELS.READ_OVERVIEW || [])) items.push(["overview", "/overview", "概況"]);
  if (hasRole(READ_APPLICATIONS)) items.push(["queue", "/", "審査キュー"]);
  items.push(["stores", "/stores", "店舗"]);
  if (hasRole(READ_SETTLEMENT)) items.push(["usage", "/usage", "利用実績"], ["settlements", "/settlements", "精算"]);
  // The call center's screen is a page of its own (templates/console_inquiries.html).
  if (hasRole(READ_INQUIRIES)) items.push(["inquiries", "/inquiries", "問い合わせ"]);
  // So are the consultation sessions (templates/console_sessions.html: pages sessions, session, coverage, report).
  if (hasRole(READ_SESSIONS)) items.push(["sessions", "/sessions", "相談会"]);
  // The store kit register (console-kit-register.js): screeners and admins work, the prefecture reads.
  if (hasRole(["screener", "admin", "prefecture"])) items.push(["kit-register", "/kit-register", "店舗キット"]);
  // Carried-over stores (console-carried-over.js): the prefecture's list of last year's stores.
  if (hasRole(["screener", "admin"])) items.push(["carried-over", "/carried-over", "継続店舗"]);
  if (hasRole(["admin"])) items.push(["audit", "/audit", "監査ログ"]);
  // Personal data protection (console-privacy.js, console-staff.js): incidents and access reports; staff and training.
  if (hasRole(["admin", "prefecture"])) items.push(["privacy", "/privacy", "個人情報"]);
  if (hasRole(["admin"])) items.push(["staff", "/staff", "担当者"]);
  if (me.stage === "local" && hasRole(OPERATOR)) items.push(["mail", "/mail", "送信メール"]);
  items.forEach(function (it) {
    var current = PAGE === it[0] || (it[0] === "overview" && (PAGE === "funds" || PAGE === "reports")) || (it[0] === "queue" && PAGE === "application") || (it[0] === "stores" && PAGE === "store") ||
      (it[0] === "sessions" && document.body.hasAttribute("data-sessions"));
    nav.appendChild(h("li", null, h("a", { href: CONSOLE + (it[1] === "/" ? "" : it[1]), text: it[2],
                                           "aria-current": current ? "page" : null })));
  });
  var roles = me.roles.map(function (r) { return ROLE_LABELS[r] || r; }).join("・");
  append(who, [
    me.stage === "local" ? h("span", { "class": "stage", text: "ローカル環境" }) : null,
    me.stage === "local" && pinnedNow() ? h("span", { "class": "stage", id: "pinned-clock",
      title: "このタブの日時を固定しています（画面上部の欄で変更・解除）",
      text: storedPin() === REAL_PIN ? "実時間" : "時刻固定 " + fmt(pinnedNow()) }) : null,
    h("span", null, h("span", { "class": "visually-hidden", text: "ログイン中: " }), me.user + "（" + roles + "）"),
    h("button", { type: "button", id: "logout", onclick: function () { logout("logout"); }, text: "ログアウト" })
  ]);
}

// ---- pages ----
export var PAGES = {};

export function pager(nextCursor, params, path) {
  var cursor = q("cursor");
  var nav = h("nav", { "class": "pager", "aria-label": "ページ送り" });
  if (cursor) nav.appendChild(h("a", { "class": "btn", href: link(path, Object.assign({}, params, { cursor: null })), text: "最初のページ" }));
  if (nextCursor) nav.appendChild(h("a", { "class": "btn", id: "next-page", rel: "next",
    href: link(path, Object.assign({}, params, { cursor: nextCursor })), text: "次のページ" }));
  return nav.childNodes.length ? nav : null;
}

export function areaOptions() {
  return AREAS;
}
export var AREAS = (function () {
  try { return JSON.parse(document.getElementById("areas-data").getAttribute("data-areas") || "[]"); }
  catch (e) { return []; }
})();

export function bankBlock(bank, revealPath) {
  var number = h("span", { "class": "mono", id: "account-number", text: bank.account_number_masked });
  var holder = h("span", { id: "holder-kana", text: bank.holder_kana });
  var note = h("p", { "class": "hint", id: "reveal-note" });
  var button = null;
  if (bank.can_reveal) {
    button = h("button", { type: "button", id: "reveal", "aria-describedby": "reveal-note", onclick: function () {
      button.disabled = true;
      api(revealPath).then(function (data) {
        number.textContent = data.account_number;
        holder.textContent = data.holder_kana;
        button.remove();
        note.textContent = "口座番号を表示しました。この表示は監査ログに記録されています。";
      }, function (err) {
        button.disabled = false;
        note.textContent = "表示できませんでした: " + err.message;
      });
    }, text: "口座番号を表示" });
    note.textContent = "口座番号の表示は、担当者名とともに監査ログに記録されます。必要な場合のみ表示してください。";
  } else {
    note.textContent = "口座番号は、審査担当・経理担当のみ表示できます。";
  }
  return h("section", { "class": "card", "aria-labelledby": "bank-h" },
    h("h2", { id: "bank-h", text: "振込口座" }),
    fieldList([
      ["金融機関", bank.bank_code + " " + (bank.bank_name || "")],
      ["支店", bank.branch_code + " " + (bank.branch_name || "")],
      ["預金種目", ACCOUNT_TYPES[bank.account_type] || bank.account_type],
      ["口座番号", number],
      ["口座名義（カナ）", holder]
    ]),
    h("div", { "class": "actions" }, button), note);
}

export function refLink(type, id) {
  var path = type === "store" ? "/stores/" : "/applications/";
  return h("a", { href: CONSOLE + path + encodeURIComponent(id), "class": "mono", text: id });
}
