// The store master: the list, one store, its bank account and status changes.
import { CONSOLE, api, append, h } from "./client.js";
import { ACCOUNT_TYPES, ENTITY, ITEM, PAGES, READ_APPLICATIONS, STORE_STATUSES, bankBlock, fieldList, fmt, hasRole, link, me, pager, q, refLink, render, setFlash, statusBadge } from "./console-kit.js";
import { act, appendAll, field, fieldErrors, fold } from "./console-forms.js";
import { changeRequestsCard } from "./console-store-help.js";

PAGES.stores = function () {
  document.title = "店舗 | 事務局コンソール";
  var status = q("status") || "active";
  var apiParams = new URLSearchParams({ status: status });
  if (q("cursor")) apiParams.set("cursor", q("cursor"));
  if (q("q")) apiParams.set("q", q("q"));   // a search: by name, kana, phone or store id (every status)
  return api("stores?" + apiParams.toString()).then(function (data) {
    var tabs = h("ul", { "class": "tabs", "aria-label": "店舗の状態" });
    STORE_STATUSES.forEach(function (s) {
      tabs.appendChild(h("li", null, h("a", { href: link("/stores", { status: s[0] }), "aria-current": s[0] === status ? "page" : null, text: s[1] })));
    });
    var idInput = h("input", { type: "text", id: "store-id", name: "store_id", placeholder: "MP000001・店舗名・電話番号", autocomplete: "off",
                               "class": "mono", size: "28", "aria-describedby": "store-id-err" });
    var idErr = h("p", { "class": "err", id: "store-id-err" });
    var jump = h("form", { "class": "filters", role: "search", onsubmit: function (e) {
      e.preventDefault();
      var v = idInput.value.trim().toUpperCase();
      if (!v) { idErr.textContent = "店舗名・フリガナ・電話番号・店舗IDのいずれかを入力してください"; idInput.setAttribute("aria-invalid", "true"); idInput.focus(); return; }
      location.href = /^MP\d{6}$/.test(v) ? CONSOLE + "/stores/" + v : link("/stores", { q: idInput.value.trim() });
    } }, h("div", null, h("label", { "for": "store-id", text: "店舗を探す（店舗名・フリガナ・電話番号・店舗ID）" }), idInput, idErr), h("button", { type: "submit", text: "開く" }));
    var body;
    if (!data.items.length) body = h("p", { "class": "muted", text: "該当する店舗はありません。" });
    else {
      var tbody = h("tbody");
      data.items.forEach(function (s) {
        tbody.appendChild(h("tr", null,
          h("td", null, refLink("store", s.store_id)), h("td", { text: s.store_name }), h("td", { text: s.municipality_name }),
          h("td", { text: s.business_category }),
          h("td", null, statusBadge(s.status, storeStatusLabel(s.status)))));
      });
      body = h("div", { "class": "table-wrap" }, h("table", { id: "stores" },
        h("thead", null, h("tr", null, ["店舗ID", "店舗名", "市区町村", "業種", "状態"].map(function (t) { return h("th", { scope: "col", text: t }); }))),
        tbody));
    }
    render(h("h1", { text: "店舗" }), jump,
      hasRole(["screener", "admin"]) ? changeRequestsCard({ flash: setFlash }) : null, tabs,
      h("section", { "class": "card" }, h("p", { "class": "muted", style: "margin-top:0", text: "このページに " + data.items.length + " 件" }),
        body, pager(data.next_cursor, { status: status }, "/stores")));
  });
};

PAGES.store = function () {
  var id = ITEM;
  document.title = id + " | 事務局コンソール";
  return api("stores/" + encodeURIComponent(id)).then(function (s) {
    var label = storeStatusLabel(s.status);
    render(
      h("p", { "class": "crumbs" }, h("a", { href: CONSOLE + "/stores", text: "店舗" }), " ＞ " + s.store_id),
      h("h1", null, s.store_name + " ", statusBadge(s.status, label)),
      h("div", { "class": "grid2" },
        h("div", null,
          h("section", { "class": "card", "aria-labelledby": "s-h" }, h("h2", { id: "s-h", text: "店舗" }),
            fieldList([
              ["店舗ID", h("span", { "class": "mono", id: "store-id-value", text: s.store_id })],
              ["状態", label], ["店舗名", s.store_name], ["フリガナ", s.store_name_kana],
              ["区分", ENTITY[s.entity_type] || s.entity_type], ["代表者名", s.representative],
              ["業種", s.business_category], ["取扱商品・サービス", s.goods],
              ["承認日時", fmt(s.approved_at)],
              ["申込番号", s.application_id && hasRole(READ_APPLICATIONS) ? refLink("application", s.application_id) : (s.application_id || "")]
            ]))),
        h("div", null,
          h("section", { "class": "card", "aria-labelledby": "p-h" }, h("h2", { id: "p-h", text: "所在地・連絡先" }),
            fieldList([
              ["郵便番号", s.postal_code], ["市区町村", s.municipality_name + (s.region ? "（" + s.region + "地域）" : "")],
              ["住所", s.address], ["電話番号", s.phone], ["メールアドレス", s.email]
            ])),
          bankBlock(s.bank, "stores/" + encodeURIComponent(id) + "/bank-account"),
          h("p", { "class": "hint", text: s.bank_verified ? "口座は確認済みです。" : "口座は未確認です（確認されるまで支払いは保留されます）。" }),
          bankChangeStatus(s))),
      hasRole(["accountant", "screener"]) ? bankChangeForm(s) : null,
      hasRole(["screener", "admin"]) ? statusChangeForm(s) : null);
  });
};

// A staff change of the bank account pays nothing until a second person (not the one who changed it)
// or the store itself (the link mailed to its registered address) confirms it.
export function bankChangeStatus(s) {
  var c = s.bank_change;
  if (!c) return null;
  var box = h("section", { "class": "card", id: "bank-change-status", "aria-labelledby": "bcs-h" },
    h("h2", { id: "bcs-h", text: "口座変更の確認" }),
    fieldList([
      ["変更番号", h("span", { "class": "mono", text: c.change_id })],
      ["変更した担当者", (c.changed_by || "—") + "（" + fmt(c.changed_at) + "）"],
      ["確認", c.confirmed_by ? (c.confirmed_by === "store" ? "店舗がメールのリンクで確認" : c.confirmed_by) : "未確認"]
    ]));
  if (c.disputed_at) {
    append(box, h("p", { "class": "problem", role: "alert", text: "店舗から「心当たりがない」と回答がありました（" + fmt(c.disputed_at) + "）。店舗に連絡して確認してください。" }));
  }
  if (!s.bank_verified && hasRole(["accountant", "screener", "admin"])) {
    var errors = h("div");
    var mine = me && me.user === c.changed_by;
    var button = h("button", { type: "button", "class": "approve", id: "confirm-bank", text: "口座変更を確認", disabled: mine });
    button.addEventListener("click", function () {
      if (!window.confirm("店舗に電話などで確認した口座であることを確かめましたか？ 確認すると、次回の精算からこの口座に振り込みます。")) return;
      act(button, function () {
        return api("stores/" + encodeURIComponent(s.store_id) + "/bank-account/confirm", { method: "POST", body: { change_id: c.change_id } })
          .then(function () { return PAGES.store().then(function () { setFlash("ok", "口座変更を確認しました。次回の精算から支払います。"); }); });
      }, function (err) { fieldErrors(err, {}, errors); });
    });
    appendAll(box, mine ? h("p", { "class": "hint", id: "self-changed", text: "あなたが変更したため、あなたは確認できません。別の担当者に確認を依頼するか、店舗からのメールでの確認を待ってください。" }) : null,
      h("div", { "class": "actions" }, button), errors);
  }
  return box;
}

// ---- store: bank account and status changes ----
export function bankChangeForm(s) {
  var bank = s.bank || {};
  var inputs = {
    bank_code: h("input", { type: "text", name: "bank_code", inputmode: "numeric", maxlength: "4", size: "6", "class": "mono", autocomplete: "off", value: bank.bank_code || "" }),
    branch_code: h("input", { type: "text", name: "branch_code", inputmode: "numeric", maxlength: "3", size: "5", "class": "mono", autocomplete: "off", value: bank.branch_code || "" }),
    account_type: h("select", { name: "account_type" }, Object.keys(ACCOUNT_TYPES).map(function (k) {
      return h("option", { value: k, text: ACCOUNT_TYPES[k], selected: k === bank.account_type });
    })),
    account_number: h("input", { type: "text", name: "account_number", inputmode: "numeric", maxlength: "7", size: "9", "class": "mono", autocomplete: "off" }),
    holder_kana: h("input", { type: "text", name: "holder_kana", size: "30", autocomplete: "off" })
  };
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "primary", id: "change-bank", text: "振込口座を変更" });
  return h("section", { "class": "card", id: "bank-change", "aria-labelledby": "bank-change-h" },
    h("h2", { id: "bank-change-h", text: "振込口座の変更" }),
    h("p", { "class": "hint", text: "店舗からの届出や振込の返却で口座を直すときに使います。変更した口座は、別の担当者か店舗（登録メールに届く確認リンク）が確認するまで支払いを保留します。変更は監査ログに記録されます。" }),
    h("form", { onsubmit: function (e) {
      e.preventDefault();
      fieldErrors(null, inputs, errors);
      var body = {
        bank_code: fold(inputs.bank_code.value), branch_code: fold(inputs.branch_code.value), account_type: inputs.account_type.value,
        account_number: fold(inputs.account_number.value), holder_kana: inputs.holder_kana.value.trim()
      };
      act(button, function () {
        return api("stores/" + encodeURIComponent(s.store_id) + "/bank-account", { method: "PUT", body: body }).then(function (res) {
          return PAGES.store().then(function () {
            setFlash("ok", "振込口座を変更しました（口座番号 " + res.account_number_masked + "、変更番号 " + res.change_id + "）。" +
              "店舗の登録メールアドレスに確認メールを送りました。別の担当者か店舗が確認するまで、支払いは保留されます。");
          });
        });
      }, function (err) { fieldErrors(err, inputs, errors); });
    } },
      h("div", { "class": "form-row" },
        field("bc-bank_code", "金融機関コード", inputs.bank_code, "4桁"),
        field("bc-branch_code", "支店コード", inputs.branch_code, "3桁"),
        field("bc-account_type", "預金種目", inputs.account_type, "通帳のとおり"),
        field("bc-account_number", "口座番号", inputs.account_number, "7桁")),
      field("bc-holder_kana", "口座名義（カナ）", inputs.holder_kana, "通帳のとおりにカタカナで（例: ミヤギ タロウ、カ）ミヤギショウテン）"),
      errors, h("div", { "class": "actions" }, button)));
}

export function statusChangeForm(s) {
  var select = h("select", { name: "status" }, STORE_STATUSES.map(function (x) {
    return h("option", { value: x[0], text: x[1], selected: x[0] === s.status });
  }));
  var reason = h("textarea", { name: "reason", rows: "2", maxlength: "500" });
  var inputs = { status: select, reason: reason };
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "reject", id: "change-status", text: "状態を変更" });
  return h("section", { "class": "card", id: "status-change", "aria-labelledby": "status-change-h" },
    h("h2", { id: "status-change-h", text: "店舗の状態の変更" }),
    h("p", { "class": "hint", text: storeStatusLabel("suspended") + "・" + storeStatusLabel("withdrawn") + "の店舗への支払いは保留になり、" +
      storeStatusLabel("active") + "に戻すと次回の精算で支払います。変更は監査ログに記録されます。" }),
    h("form", { onsubmit: function (e) {
      e.preventDefault();
      fieldErrors(null, inputs, errors);
      var label = storeStatusLabel(select.value);
      if (select.value === "withdrawn" && !window.confirm(s.store_id + " を「退会」にします。よろしいですか？")) return;
      act(button, function () {
        return api("stores/" + encodeURIComponent(s.store_id) + "/status", { method: "POST", body: { status: select.value, reason: reason.value.trim() } }).then(function () {
          return PAGES.store().then(function () { setFlash("ok", "店舗の状態を「" + label + "」に変更しました。"); });
        });
      }, function (err) { fieldErrors(err, inputs, errors); });
    } },
      h("div", { "class": "form-row" }, field("sc-status", "新しい状態", select, "現在: " + (storeStatusLabel(s.status)))),
      field("sc-reason", "理由", reason, "500文字以内。監査ログに記録されます。"),
      errors, h("div", { "class": "actions" }, button)));
}

// A store status's label (from labels.js, i.e. chalicelib/stores/service.STATUSES).
export function storeStatusLabel(status) {
  return (STORE_STATUSES.filter(function (x) { return x[0] === status; })[0] || [0, status])[1];
}
