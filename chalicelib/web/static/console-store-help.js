// Help when a store calls (issue 11 point 5) and its change requests (point 2).
// - storeHelp(options): the call center's store lookup (name, kana, phone or store id) and the store panel:
//   the store as the agent may see it (bank masked), payments per round, returns, open change requests and
//   the latest inquiries; from the panel the agent logs an inquiry against the store, enters a change
//   request or mails the store its change link.
// - changeRequestsCard(options): the open change requests for a screener, with approve / reject (a
//   request the screener entered is decided by someone else).
// All data goes in as text (client.js h()); nothing here keeps personal data beyond the page.
import { api, clear, h } from "./client.js";
import { ACCOUNT_TYPES, STORE_STATUSES } from "./labels.js";

var FIELDS = [
  ["store_name", "店舗名"], ["store_name_kana", "店舗名（フリガナ）"], ["representative", "代表者名"],
  ["postal_code", "郵便番号"], ["address", "住所"], ["phone", "電話番号"], ["email", "メールアドレス"],
  ["bank", "振込口座"]
];
var STORE_STATUS = {};
STORE_STATUSES.forEach(function (s) { STORE_STATUS[s[0]] = s[1]; });

function fmt(iso) {
  if (!iso) return "—";
  var m = String(iso).match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/);
  if (!m) return String(iso);
  return m[1] + "/" + m[2] + "/" + m[3] + (m[4] ? " " + m[4] + ":" + m[5] : "");
}
function yen(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("ja-JP") + "円"; }
function monthLabel(m) { return m ? m.slice(0, 4) + "年" + Number(m.slice(5, 7)) + "月分" : "—"; }
function table(id, heads, rows) {
  return h("div", { "class": "table-wrap" }, h("table", { id: id },
    h("thead", null, h("tr", null, heads.map(function (t) { return h("th", { scope: "col", text: t }); }))),
    h("tbody", null, rows)));
}
function dl(rows) {
  var list = h("dl", { "class": "fields" });
  rows.forEach(function (r) { list.appendChild(h("dt", { text: r[0] })); list.appendChild(h("dd", null, r[1] === null || r[1] === undefined || r[1] === "" ? "—" : r[1])); });
  return list;
}
function problem(box, err) {
  clear(box);
  var items = Object.keys(err.fields || {}).map(function (k) { return h("li", { text: err.fields[k] }); });
  box.appendChild(h("div", { "class": "problem", role: "alert", tabindex: "-1" },
    h("p", { text: err.message }), items.length ? h("ul", null, items) : null));
}
function bankText(b) {
  if (!b) return "—";
  return (b.bank_name || "") + "（" + (b.bank_code || "") + "） " + (b.branch_name || "") + "（" + (b.branch_code || "") + "） " +
    (b.account_number_masked || "") + " " + (b.holder_kana || "");
}

// ---- the change-request form (entered by staff) ----
function changeForm(store, done) {
  var errors = h("div");
  var which = h("select", { id: "cr-field", name: "field" }, FIELDS.map(function (f) { return h("option", { value: f[0], text: f[1] }); }));
  var plain = h("input", { type: "text", id: "cr-value", name: "value", autocomplete: "off" });
  var plainBox = h("div", { "class": "field" }, h("label", { "for": "cr-value", text: "新しい内容" }), plain);
  var bank = {
    bank_code: h("input", { type: "text", id: "cr-bank_code", inputmode: "numeric", maxlength: "4", size: "6", autocomplete: "off" }),
    branch_code: h("input", { type: "text", id: "cr-branch_code", inputmode: "numeric", maxlength: "3", size: "5", autocomplete: "off" }),
    account_type: h("select", { id: "cr-account_type" }, Object.keys(ACCOUNT_TYPES).map(function (k) { return h("option", { value: k, text: ACCOUNT_TYPES[k] }); })),
    account_number: h("input", { type: "text", id: "cr-account_number", inputmode: "numeric", maxlength: "7", size: "9", autocomplete: "off" }),
    holder_kana: h("input", { type: "text", id: "cr-holder_kana", autocomplete: "off" })
  };
  var bankBox = h("div", { hidden: true },
    [["bank_code", "金融機関コード"], ["branch_code", "支店コード"], ["account_type", "預金種目"], ["account_number", "口座番号"], ["holder_kana", "口座名義（カナ）"]]
      .map(function (f) { return h("div", { "class": "field" }, h("label", { "for": "cr-" + f[0], text: f[1] }), bank[f[0]]); }));
  which.addEventListener("change", function () {
    var isBank = which.value === "bank";
    bankBox.hidden = !isBank; plainBox.hidden = isBank;
  });
  var reason = h("textarea", { id: "cr-reason", name: "reason", maxlength: "500" });
  var send = h("button", { type: "submit", "class": "primary", id: "cr-send", text: "変更申請を登録" });
  var form = h("form", { "class": "card", id: "change-request-form", novalidate: true, "aria-labelledby": "cr-h" },
    h("h3", { id: "cr-h", text: "変更申請（" + store.store_id + "）" }),
    h("p", { "class": "hint", text: "電話で伺った変更を入力します。別の担当者（審査担当）が確認して反映します。" }),
    h("div", { "class": "field" }, h("label", { "for": "cr-field", text: "変更する項目" }), which),
    plainBox, bankBox,
    h("div", { "class": "field" }, h("label", { "for": "cr-reason", text: "変更の理由" }), reason),
    h("div", { "class": "actions" }, send), errors);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var changes = {};
    if (which.value === "bank") {
      changes.bank = {};
      Object.keys(bank).forEach(function (k) { changes.bank[k] = bank[k].value; });
    } else changes[which.value] = plain.value;
    send.disabled = true;
    clear(errors);
    api("stores/" + encodeURIComponent(store.store_id) + "/change-requests", { method: "POST", body: { changes: changes, reason: reason.value } })
      .then(function (res) { form.remove(); done(res); }, function (err) { send.disabled = false; problem(errors, err); });
  });
  return form;
}

// ---- the store panel ----
function panel(o, store_id, box) {
  clear(box);
  box.appendChild(h("p", { "class": "muted", text: "読み込み中…" }));
  return api("stores/" + encodeURIComponent(store_id) + "/overview").then(function (v) {
    var s = v.store;
    clear(box);
    var actionsBox = h("div");
    var logButton = h("button", { type: "button", id: "help-log", text: "この店舗の問い合わせとして記録" });
    logButton.addEventListener("click", function () { if (o.onLogInquiry) o.onLogInquiry(s); });
    var changeButton = h("button", { type: "button", id: "help-change", text: "変更申請を入力" });
    changeButton.addEventListener("click", function () {
      clear(actionsBox);
      actionsBox.appendChild(changeForm(s, function (res) {
        o.flash("ok", "変更申請 " + res.request_id + " を登録しました。審査担当が確認します。");
        panel(o, store_id, box);
      }));
      document.getElementById("cr-field").focus();
    });
    var linkButton = h("button", { type: "button", id: "help-link", text: "変更用リンクをメールで送る" });
    linkButton.addEventListener("click", function () {
      linkButton.disabled = true;
      api("stores/" + encodeURIComponent(store_id) + "/change-link", { method: "POST" }).then(function (res) {
        o.flash("ok", "変更用リンクを " + res.sent_to + " に送りました。");
      }, function (err) { linkButton.disabled = false; o.flash("error", err.message); });
    });
    var payRows = v.payments.map(function (p) {
      return h("tr", { "data-status": p.status },
        h("td", { text: monthLabel(p.month) }), h("td", { "class": "num", text: yen(p.amount) }),
        h("td", { text: p.status_label || p.status }), h("td", { text: p.reason || "" }),
        h("td", { text: p.transfer_date ? fmt(p.transfer_date) : (p.payment_date ? "予定 " + fmt(p.payment_date) : "—") }),
        h("td", { text: p.status === "paid" ? (p.notice_sent ? "送信済み" : "未送信") : "—" }));
    });
    var requests = v.change_requests.map(function (r) {
      return h("li", null, h("span", { "class": "mono", text: r.request_id }), " ",
        r.changes.map(function (c) { return c.label; }).join("・") + "（" + r.status_label + "、" + fmt(r.created_at) + "）");
    });
    var inquiries = v.inquiries.map(function (i) {
      return h("li", null, fmt(i.received_at) + " " + (i.category_label || "") + "：" + (i.summary || "") + "（" + (i.status_label || "") + "）");
    });
    box.appendChild(h("section", { "class": "card", id: "store-panel", "aria-labelledby": "sp-h", tabindex: "-1" },
      h("h2", { id: "sp-h", text: s.store_name + "（" + s.store_id + "）" }),
      dl([["状態", STORE_STATUS[s.status] || s.status], ["フリガナ", s.store_name_kana],
          ["所在地", (s.postal_code || "") + " " + (s.municipality_name || "") + " " + (s.address || "")],
          ["電話番号", s.phone], ["メールアドレス", s.email], ["代表者名", s.representative],
          ["振込口座", bankText(s.bank)], ["口座の確認", s.bank_verified ? "確認済み" : "未確認（支払いは保留されます）"]]),
      h("h3", { text: "お支払い" }),
      v.payments.length ? table("help-payments", ["対象月", "金額", "状態", "理由", "振込日", "支払通知"], payRows)
        : h("p", { "class": "muted", id: "help-payments-none", text: "お支払いの記録はまだありません。" }),
      h("h3", { text: "振込の返却（組戻し・振込不能）" }),
      v.returns.length ? h("ul", { id: "help-returns" }, v.returns.map(function (r) { return h("li", { text: monthLabel(r.month) + " " + yen(r.amount) + "：" + (r.reason || "") }); }))
        : h("p", { "class": "muted", text: "返却はありません。" }),
      h("h3", { text: "確認待ちの変更申請" }),
      requests.length ? h("ul", { id: "help-requests" }, requests) : h("p", { "class": "muted", text: "ありません。" }),
      h("h3", { text: "最近の問い合わせ" }),
      inquiries.length ? h("ul", { id: "help-inquiries" }, inquiries) : h("p", { "class": "muted", text: "ありません。" }),
      h("div", { "class": "actions" }, o.canLog ? logButton : null, o.canChange ? changeButton : null, o.canChange ? linkButton : null),
      actionsBox));
    document.getElementById("store-panel").focus();
  }, function (err) { clear(box); problem(box, err); });
}

// The call-center form (console_inquiries.html), prefilled for a call from `store`: caller "store", its id
// (the form's change handler shows the store's name), the cursor in the summary.
export function logInquiryFor(store, flash) {
  var caller = document.querySelector('#f-caller_type input[value="store"]');
  if (caller) caller.checked = true;
  var id = document.getElementById("f-store");
  id.value = store.store_id;
  id.dispatchEvent(new Event("change"));
  document.getElementById("f-summary").focus();
  flash("info", store.store_id + " の問い合わせとして記録します。内容を入力して登録してください。");
}

export function storeHelp(o) {
  var input = h("input", { type: "search", id: "help-q", name: "q", autocomplete: "off", placeholder: "店舗名・フリガナ・電話番号・店舗ID" });
  var results = h("div", { id: "help-results", "aria-live": "polite" });
  var panelBox = h("div", { id: "help-panel" });
  var form = h("form", { "class": "filters", role: "search", id: "help-search" },
    h("div", null, h("label", { "for": "help-q", text: "店舗を探す" }), input),
    h("div", null, h("button", { type: "submit", text: "検索" })));
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clear(results);
    var q = input.value.trim();
    if (!q) { results.appendChild(h("p", { "class": "err", text: "店舗名・フリガナ・電話番号・店舗IDのいずれかを入力してください" })); return; }
    api("stores?q=" + encodeURIComponent(q)).then(function (data) {
      clear(results);
      if (!data.items.length) { results.appendChild(h("p", { "class": "muted", text: "該当する店舗はありません。" })); return; }
      results.appendChild(h("ul", { "class": "help-hits" }, data.items.map(function (s) {
        var open = h("button", { type: "button", "class": "link", "data-store": s.store_id, text: s.store_id + " " + s.store_name + "（" + (s.municipality_name || "") + "・" + (STORE_STATUS[s.status] || s.status) + "）" });
        open.addEventListener("click", function () { panel(o, s.store_id, panelBox); });
        return h("li", null, open);
      })));
      if (data.items.length === 1) panel(o, data.items[0].store_id, panelBox);
    }, function (err) { problem(results, err); });
  });
  return h("section", { "class": "card", id: "store-help", "aria-labelledby": "sh-h" },
    h("h2", { id: "sh-h", text: "店舗の照会" }), form, results, panelBox);
}

// ---- open change requests, for a screener ----
export function changeRequestsCard(o) {
  var box = h("section", { "class": "card", id: "change-requests", "aria-labelledby": "crq-h" },
    h("h2", { id: "crq-h", text: "確認待ちの変更申請" }));
  var body = h("div");
  box.appendChild(body);
  function load() {
    return api("change-requests?status=open").then(function (data) {
      clear(body);
      if (!data.items.length) { body.appendChild(h("p", { "class": "muted", id: "no-change-requests", text: "確認待ちの変更申請はありません。" })); return; }
      data.items.forEach(function (r) { body.appendChild(requestCard(r)); });
    }, function (err) { problem(body, err); });
  }
  function requestCard(r) {
    var errors = h("div");
    var reason = h("textarea", { id: "reason-" + r.request_id, maxlength: "500" });
    var approve = h("button", { type: "button", "class": "approve", "data-action": "approve", text: "承認して反映", disabled: !r.can_decide });
    var reject = h("button", { type: "button", "data-action": "reject", text: "却下", disabled: !r.can_decide });
    function decide(decision, button) {
      if (decision === "approve" && !window.confirm(r.store_id + " の登録内容を変更します。よろしいですか？")) return;
      button.disabled = true;
      clear(errors);
      var body = { decision: decision };
      if (reason.value.trim()) body.reason = reason.value;
      api("change-requests/" + encodeURIComponent(r.request_id) + "/decision", { method: "POST", body: body }).then(function () {
        o.flash("ok", "変更申請 " + r.request_id + " を" + (decision === "approve" ? "承認し、店舗に反映しました。" : "却下しました。"));
        load();
      }, function (err) { button.disabled = false; problem(errors, err); });
    }
    approve.addEventListener("click", function () { decide("approve", approve); });
    reject.addEventListener("click", function () { decide("reject", reject); });
    var rows = r.changes.map(function (c) {
      var show = function (v) { return c.field === "bank" ? bankText(v) : (v === null || v === undefined ? "—" : String(v)); };
      return h("tr", null, h("th", { scope: "row", text: c.label }), h("td", { text: show(c.before) }), h("td", { text: show(c.after) }));
    });
    return h("article", { "class": "card change-request", "data-request": r.request_id },
      h("h3", null, h("span", { "class": "mono", text: r.request_id }), " " + (r.store_name || "") + "（" + r.store_id + "）"),
      h("p", { "class": "muted", text: "受付 " + fmt(r.created_at) + "・" + (r.source_label || "") + "・入力 " + (r.entered_by || "") }),
      table("changes-" + r.request_id, ["項目", "現在", "変更後"], rows),
      h("p", null, "理由：" + (r.reason || "")),
      r.can_decide ? null : h("p", { "class": "hint", text: "あなたが入力した申請です。別の担当者が判断します。" }),
      h("div", { "class": "field" }, h("label", { "for": "reason-" + r.request_id, text: "判断の理由（却下の場合は必須・店舗に伝えます）" }), reason),
      h("div", { "class": "actions" }, approve, reject), errors);
  }
  load();
  return box;
}
