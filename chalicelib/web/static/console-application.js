// One application: its details, the checklist and the decision.
import { CONSOLE, api, append, clear, h } from "./client.js";
import { DECISIONS, DECLARATIONS, ENTITY, ITEM, PAGES, ROLE_LABELS, bankBlock, fieldList, fmt, hasRole, refLink, render, setFlash, showProblem, statusBadge } from "./console-kit.js";

PAGES.application = function () {
  var id = ITEM;
  document.title = id + " | 事務局コンソール";
  return api("applications/" + encodeURIComponent(id)).then(function (a) {
    document.title = id + " " + a.store_name + " | 事務局コンソール";
    var flags = null;
    if ((a.duplicates || []).length || (a.warning_labels || []).length) {
      var list = h("ul");
      a.duplicates.forEach(function (d) {
        list.appendChild(h("li", null, h("span", { "class": "badge dup", text: "重複疑い" }),
          d.label + "が " + (d.ref_type === "store" ? "店舗 " : "申込 "), refLink(d.ref_type, d.ref), " と同じです"));
      });
      a.warning_labels.forEach(function (w) {
        list.appendChild(h("li", null, h("span", { "class": "badge warn", text: "警告" }), w));
      });
      flags = h("section", { "class": "card flags", "aria-labelledby": "flags-h" },
        h("h2", { id: "flags-h", text: "確認が必要な点" }), list,
        h("p", { "class": "hint", text: "重複疑いは自動では不承認にしません。内容を確認して判断してください。" }));
    }
    var declarations = h("ul", { style: "margin:0;padding-left:1.2em" });
    Object.keys(DECLARATIONS).forEach(function (k) {
      declarations.appendChild(h("li", null, ((a.declarations || {})[k] ? "✔ " : "✘ ") + DECLARATIONS[k]));
    });
    var summary = h("section", { "class": "card", "aria-labelledby": "summary-h" },
      h("h2", { id: "summary-h", text: "申込の概要" }),
      fieldList([
        ["申込番号", h("span", { "class": "mono", text: a.application_id })],
        ["状態", statusBadge(a.status, a.status_label)],
        ["受付日時", fmt(a.submitted_at)],
        ["版", "第" + a.revision + "版" + (a.return_round ? "（差し戻し " + a.return_round + " 回）" : "")],
        a.store_id ? ["店舗ID", refLink("store", a.store_id)] : null,
        ["昨年度の店舗ID", a.previous_store_id || ""]
      ]));
    var store = h("section", { "class": "card", "aria-labelledby": "store-h" },
      h("h2", { id: "store-h", text: "店舗・事業者" }),
      fieldList([
        ["店舗名", a.store_name], ["フリガナ", a.store_name_kana], ["区分", ENTITY[a.entity_type] || a.entity_type],
        ["代表者名", a.representative], ["業種", a.business_category], ["取扱商品・サービス", a.goods]
      ]));
    var place = h("section", { "class": "card", "aria-labelledby": "place-h" },
      h("h2", { id: "place-h", text: "所在地・連絡先" }),
      fieldList([
        ["郵便番号", a.postal_code], ["市区町村", a.municipality_name + "（" + a.region + "地域）"], ["住所", a.address],
        ["電話番号", a.phone], ["メールアドレス", a.email]
      ]));
    var decl = h("section", { "class": "card", "aria-labelledby": "decl-h" },
      h("h2", { id: "decl-h", text: "申請者の誓約" }), declarations);

    render(
      h("p", { "class": "crumbs" }, h("a", { href: CONSOLE + "?status=" + encodeURIComponent(a.status), text: "審査キュー" }), " ＞ " + a.application_id),
      h("h1", null, a.store_name + " ", statusBadge(a.status, a.status_label)),
      flags,
      h("div", { "class": "grid2" },
        h("div", null, summary, store, decl),
        h("div", null, place, bankBlock(a.bank, "applications/" + encodeURIComponent(id) + "/bank-account"))),
      decisionForm(a),
      history(a.decisions || [], (a.checklist || []).length));
  });
};

export function decisionForm(a) {
  var section = h("section", { "class": "card", "aria-labelledby": "decide-h", id: "decide" },
    h("h2", { id: "decide-h", text: "審査・判定" }));
  var canDecide = hasRole(["screener"]) && (a.status === "submitted" || a.status === "returned");
  var checks = {};
  var checklist = h("ul", { "class": "checklist" });
  a.checklist.forEach(function (item) {
    var box = h("input", { type: "checkbox", id: "check-" + item.key, "data-check": item.key, checked: item.value === true,
                           disabled: !canDecide, "aria-describedby": "check-" + item.key + "-err" });
    checks[item.key] = box;
    box.addEventListener("change", function () {
      box.removeAttribute("aria-invalid");
      document.getElementById("check-" + item.key + "-err").textContent = "";
    });
    checklist.appendChild(h("li", null, h("label", { "for": "check-" + item.key }, box, h("span", { text: item.label })),
      h("p", { "class": "err", id: "check-" + item.key + "-err" })));
  });
  append(section, h("fieldset", { style: "border:0;padding:0;margin:0" },
    h("legend", { style: "font-weight:700;margin-bottom:4px", text: "適格性チェックリスト" }),
    h("p", { "class": "hint", text: "確認できた項目にチェックを入れてください。承認にはすべての項目の確認が必要です。チェックのない項目は「未確認」として記録されます。" }),
    checklist));
  if (!canDecide) {
    append(section, h("p", { "class": "muted", text: a.status === "approved" || a.status === "rejected"
      ? "この申込は判定済みです。" : "判定は審査担当者のみ行えます。" }));
    return section;
  }
  var reason = h("textarea", { id: "reason", rows: "4", "aria-describedby": "reason-hint reason-err" });
  var errors = h("div", { id: "decide-errors", role: "alert" });
  var busy = false;
  var buttons = [];

  function decide(decision) {
    if (busy) return;
    if (decision === "reject" && !window.confirm("不承認にすると元に戻せません。不承認として申請者に通知しますか？")) return;
    busy = true;
    buttons.forEach(function (b) { b.disabled = true; });
    setFlash("", "");
    clear(errors);
    reason.removeAttribute("aria-invalid");
    document.getElementById("reason-err").textContent = "";
    Object.keys(checks).forEach(function (k) { document.getElementById("check-" + k + "-err").textContent = ""; });
    var body = { decision: decision, checks: {}, reason: reason.value.trim() };
    Object.keys(checks).forEach(function (k) { body.checks[k] = checks[k].checked ? true : null; });
    api("applications/" + encodeURIComponent(a.application_id) + "/decision", { method: "POST", body: body }).then(function (res) {
      var message = decision === "approve" ? "承認しました。店舗ID: " + res.store_id + "（申請者に承認メールを送りました）"
        : decision === "return" ? "差し戻しました。申請者に修正用リンクをメールで送りました。"
        : "不承認にしました。申請者に通知メールを送りました。";
      return PAGES.application().then(function () { setFlash("ok", message); });
    }).catch(function (err) {
      busy = false;
      buttons.forEach(function (b) { b.disabled = false; });
      if (err.status === 401 || err.status === 403) { showProblem(err); return; }
      var list = h("ul");
      Object.keys(err.fields || {}).forEach(function (key) {
        var text = err.fields[key];
        var target = null;
        if (key === "reason") { target = reason; document.getElementById("reason-err").textContent = text; }
        else if (key.indexOf("checks.") === 0 && checks[key.slice(7)]) {
          target = checks[key.slice(7)];
          document.getElementById("check-" + key.slice(7) + "-err").textContent = text;
        }
        if (target) target.setAttribute("aria-invalid", "true");
        list.appendChild(h("li", null, target ? h("a", { href: "#" + target.id, onclick: function (e) { e.preventDefault(); target.focus(); }, text: text }) : text));
      });
      append(errors, h("div", { "class": "problem", tabindex: "-1", id: "decide-problem" },
        h("h2", { text: err.message }), list.childNodes.length ? list : null));
      document.getElementById("decide-problem").focus();
    });
  }

  var allowed = a.status === "submitted" ? ["approve", "return", "reject"] : ["reject"];
  allowed.forEach(function (d) {
    buttons.push(h("button", { type: "button", "class": d, "data-decision": d, text: DECISIONS[d], onclick: function () { decide(d); } }));
  });
  append(section, [
    h("label", { "for": "reason", style: "font-weight:700;display:block;margin-top:8px", text: "理由・申請者への連絡事項" }),
    h("p", { "class": "hint", id: "reason-hint", text: "差し戻し・不承認の場合は必須です。入力した内容は申請者へのメールにそのまま記載されます。" }),
    reason, h("p", { "class": "err", id: "reason-err" }),
    a.status === "returned" ? h("p", { "class": "muted", text: "申請者の修正待ちです。連絡がない場合などは不承認にできます。" }) : null,
    errors,
    h("div", { "class": "actions" }, buttons)
  ]);
  return section;
}

export function history(decisions, total) {
  var section = h("section", { "class": "card", "aria-labelledby": "history-h" }, h("h2", { id: "history-h", text: "判定の履歴" }));
  if (!decisions.length) { append(section, h("p", { "class": "muted", text: "まだ判定はありません。" })); return section; }
  var tbody = h("tbody");
  decisions.slice().reverse().forEach(function (d) {
    var checked = Object.keys(d.checks || {}).filter(function (k) { return d.checks[k] === true; }).length;
    tbody.appendChild(h("tr", null,
      h("td", { text: fmt(d.at) }), h("td", { text: DECISIONS[d.action] || d.action }),
      h("td", { text: d.user + (d.role ? "（" + (ROLE_LABELS[d.role] || d.role) + "）" : "") }),
      h("td", { text: checked + " / " + (total || Object.keys(d.checks || {}).length) + " 項目確認" }),
      h("td", { style: "white-space:pre-wrap", text: d.reason || "—" })));
  });
  append(section, h("div", { "class": "table-wrap" }, h("table", { id: "history" },
    h("thead", null, h("tr", null, ["日時", "判定", "担当者", "チェックリスト", "理由"].map(function (t) { return h("th", { scope: "col", text: t }); }))),
    tbody)));
  return section;
}
