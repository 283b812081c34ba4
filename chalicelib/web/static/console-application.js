// One application: its details, what changed in a resubmitted version, the exchange with the prefecture,
// the checklist and the decision (or, for the prefecture, its judgement on a referral).
import { CONSOLE, api, append, clear, h } from "./client.js";
import { DECISIONS, DECLARATIONS, ENTITY, ITEM, PAGES, ROLE_LABELS, bankBlock, fieldList, fmt, hasRole, refLink, render, setFlash, showProblem, statusBadge } from "./console-kit.js";

var ACTION_LABELS = Object.assign({}, DECISIONS, { refer: "県に照会", prefecture_judgement: "県の判断" });

// A changed field: the previous version's value struck through, the new one marked.
function diffValue(change) {
  var old = h("del", { "class": "diff-old", title: "変更前", style: "color:#8a1c1c;background:#fde8e8;text-decoration:line-through" },
    change.before || "（空欄）");
  var now = h("ins", { "class": "diff-new", title: "変更後", style: "color:#0b4f2c;background:#dff3e6;text-decoration:none;font-weight:700" },
    change.after || "（空欄）");
  return h("span", { "class": "diff", "data-changed": change.field },
    h("span", { "class": "visually-hidden", text: "変更前: " }), old, " → ",
    h("span", { "class": "visually-hidden", text: "変更後: " }), now);
}

function changesCard(a) {
  if (!a.changes_from_revision) return null;
  var section = h("section", { "class": "card", id: "changes", "aria-labelledby": "changes-h" },
    h("h2", { id: "changes-h", text: "第" + a.revision + "版の変更点（第" + a.changes_from_revision + "版との比較）" }));
  if (a.changes === null) {
    append(section, h("p", { "class": "muted", text: "前の版の内容が記録されていないため、変更点を表示できません。" }));
    return section;
  }
  if (!a.changes.length) {
    append(section, h("p", { "class": "muted", id: "changes-none", text: "第" + a.changes_from_revision + "版から変更された項目はありません。" }));
    return section;
  }
  var tbody = h("tbody");
  a.changes.forEach(function (c) {
    tbody.appendChild(h("tr", { "data-field": c.field },
      h("th", { scope: "row", text: c.label }),
      h("td", null, h("del", { style: "color:#8a1c1c;background:#fde8e8", text: c.before || "（空欄）" })),
      h("td", null, h("ins", { style: "color:#0b4f2c;background:#dff3e6;text-decoration:none;font-weight:700", text: c.after || "（空欄）" }),
        c.masked ? h("span", { "class": "hint", text: "（一部を伏せて表示）" }) : null)));
  });
  append(section, [
    h("p", { "class": "hint", text: "申請者が修正した項目です。変更前を取り消し線、変更後を強調で示します（口座番号などは伏せて表示）。" }),
    h("div", { "class": "table-wrap" }, h("table", { id: "changes-table" },
      h("thead", null, h("tr", null, ["項目", "第" + a.changes_from_revision + "版（変更前）", "第" + a.revision + "版（変更後）"].map(function (t) {
        return h("th", { scope: "col", text: t });
      }))), tbody))
  ]);
  return section;
}

// The account block is shared with the store screen; a resubmission's bank changes are marked beneath it.
function bankChanges(changes) {
  var bank = changes.filter(function (c) { return c.field.indexOf("bank.") === 0; });
  if (!bank.length) return null;
  return h("section", { "class": "card", id: "bank-changes", "aria-labelledby": "bank-changes-h" },
    h("h2", { id: "bank-changes-h", text: "振込口座の変更点" }),
    fieldList(bank.map(function (c) {
      return [c.label, h("span", null, diffValue(c), c.masked ? h("span", { "class": "hint", text: "（一部を伏せて表示）" }) : null)];
    })));
}

function referralsCard(a) {
  var list = a.referrals || [];
  if (!list.length) return null;
  var section = h("section", { "class": "card", id: "referrals", "aria-labelledby": "referrals-h" },
    h("h2", { id: "referrals-h", text: "県への照会" }));
  list.forEach(function (r, i) {
    var j = r.judgement;
    append(section, h("div", { "class": "referral", "data-referral": String(i + 1),
                               style: "border-top:1px solid #d5dde5;padding-top:8px;margin-top:8px" },
      fieldList([
        ["照会事項", h("span", { "class": "referral-question", style: "white-space:pre-wrap", text: r.question })],
        ["照会", r.asked_by + "（" + fmt(r.asked_at) + "）"],
        ["県の判断", j ? h("strong", { "class": "referral-judgement", text: j.label }) : h("span", { "class": "muted", text: "回答待ち" })],
        j ? ["理由", h("span", { "class": "referral-reason", style: "white-space:pre-wrap", text: j.reason || "—" })] : null,
        j ? ["判断", j.user + "（" + fmt(j.at) + "）"] : null
      ])));
  });
  return section;
}

PAGES.application = function () {
  var id = ITEM;
  document.title = id + " | 事務局コンソール";
  return api("applications/" + encodeURIComponent(id)).then(function (a) {
    document.title = id + " " + a.store_name + " | 事務局コンソール";
    var changed = {};
    (a.changes || []).forEach(function (c) { changed[c.field] = c; });
    function v(field, current) { return changed[field] ? diffValue(changed[field]) : current; }
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
        ["昨年度の店舗ID", v("previous_store_id", a.previous_store_id || "")],
        a.previous_store ? ["継続店舗の照合", previousStore(a.previous_store)] : null
      ]));
    var store = h("section", { "class": "card", "aria-labelledby": "store-h" },
      h("h2", { id: "store-h", text: "店舗・事業者" }),
      fieldList([
        ["店舗名", v("store_name", a.store_name)], ["フリガナ", v("store_name_kana", a.store_name_kana)],
        ["区分", v("entity_type", ENTITY[a.entity_type] || a.entity_type)],
        ["代表者名", v("representative", a.representative)], ["業種", v("business_category", a.business_category)],
        ["取扱商品・サービス", v("goods", a.goods)]
      ]));
    var place = h("section", { "class": "card", "aria-labelledby": "place-h" },
      h("h2", { id: "place-h", text: "所在地・連絡先" }),
      fieldList([
        ["郵便番号", v("postal_code", a.postal_code)],
        ["市区町村", v("municipality_code", a.municipality_name + "（" + a.region + "地域）")], ["住所", v("address", a.address)],
        ["電話番号", v("phone", a.phone)], ["メールアドレス", v("email", a.email)]
      ]));
    var decl = h("section", { "class": "card", "aria-labelledby": "decl-h" },
      h("h2", { id: "decl-h", text: "申請者の誓約" }), declarations);

    render(
      h("p", { "class": "crumbs" }, h("a", { href: CONSOLE + "?status=" + encodeURIComponent(a.status), text: "審査キュー" }), " ＞ " + a.application_id),
      h("h1", null, a.store_name + " ", statusBadge(a.status, a.status_label)),
      flags,
      changesCard(a),
      referralsCard(a),
      h("div", { "class": "grid2" },
        h("div", null, summary, store, decl),
        h("div", null, place, bankBlock(a.bank, "applications/" + encodeURIComponent(id) + "/bank-account"),
          bankChanges(a.changes || []))),
      a.status === "referred" && hasRole(["prefecture"]) ? judgementForm(a) : null,
      decisionForm(a),
      history(a.decisions || [], (a.checklist || []).length));
  });
};

export function decisionForm(a) {
  var section = h("section", { "class": "card", "aria-labelledby": "decide-h", id: "decide" },
    h("h2", { id: "decide-h", text: "審査・判定" }));
  var canDecide = hasRole(["screener"]) && (a.status === "submitted" || a.status === "returned" || a.status === "judged");
  var canRefer = a.status === "submitted" || a.status === "judged";
  var judged = a.prefecture_judgement_detail;
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
    append(section, h("p", { "class": "muted", id: "decide-note", text: a.status === "approved" || a.status === "rejected"
      ? "この申込は判定済みです。"
      : a.status === "referred" ? (hasRole(["prefecture"]) ? "県の判断を記録すると、事務局の審査担当者が判定を完了します。"
        : "県に照会中です。県の判断が記録されると、審査キューの「県の判断あり」に戻ります。")
      : a.status === "judged" ? "県の判断が記録されています。事務局の審査担当者が判定を完了します。"
      : "判定は審査担当者のみ行えます。" }));
    return section;
  }
  if (judged) {
    append(section, h("div", { "class": "flags", id: "judgement-banner", role: "note",
                               style: "border:1px solid #b9c8d6;background:#eef4fa;padding:8px 12px;margin:8px 0;border-radius:4px" },
      h("p", { style: "margin:0" }, "県の判断: ", h("strong", { text: judged.label }),
        "（" + judged.user + "、" + fmt(judged.at) + "）"),
      judged.reason ? h("p", { style: "margin:4px 0 0;white-space:pre-wrap", text: "理由: " + judged.reason }) : null,
      h("p", { "class": "hint", style: "margin:4px 0 0", text: "この判断を踏まえて判定を完了してください。県の判断と異なる判定をする場合は、理由の記入が必要です。" })));
  }
  var reason = h("textarea", { id: "reason", rows: "4", "aria-describedby": "reason-hint reason-err" });
  var question = canRefer ? h("textarea", { id: "question", rows: "3", maxlength: "2000", "aria-describedby": "question-hint question-err" }) : null;
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
    if (question) {
      question.removeAttribute("aria-invalid");
      document.getElementById("question-err").textContent = "";
    }
    var body = { decision: decision, checks: {}, reason: reason.value.trim() };
    if (decision === "refer") body = { decision: "refer", checks: {}, question: question.value.trim() };
    Object.keys(checks).forEach(function (k) { body.checks[k] = checks[k].checked ? true : null; });
    api("applications/" + encodeURIComponent(a.application_id) + "/decision", { method: "POST", body: body }).then(function (res) {
      var message = decision === "approve" ? "承認しました。店舗ID: " + res.store_id + "（申請者に承認メールを送りました）"
        : decision === "return" ? "差し戻しました。申請者に修正用リンクをメールで送りました。"
        : decision === "refer" ? "県に照会しました。県の担当者にメールで通知しました。"
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
        else if (key === "question" && question) { target = question; document.getElementById("question-err").textContent = text; }
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

  var allowed = a.status === "submitted" || a.status === "judged" ? ["approve", "return", "reject"] : ["reject"];
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
  if (canRefer) {
    var referButton = h("button", { type: "button", "class": "refer", "data-decision": "refer", text: "県に照会する",
                                    onclick: function () { decide("refer"); } });
    buttons.push(referButton);
    append(section, h("fieldset", { id: "refer-box", style: "border:1px solid #d5dde5;border-radius:4px;padding:8px 12px;margin-top:16px" },
      h("legend", { style: "font-weight:700", text: "県に照会する（県が判断する事項）" }),
      h("p", { "class": "hint", id: "question-hint", text: "「その他、県が本事業の趣旨から適当でないと認める事情」など、県が判断する事項を照会します（仕様書 7(1)ニ①②）。照会事項はメールで県に送られます。氏名・電話番号・口座番号などの個人情報は書かないでください。" }),
      h("label", { "for": "question", style: "font-weight:700;display:block", text: "照会事項（2000文字以内）" }),
      question, h("p", { "class": "err", id: "question-err" }),
      h("div", { "class": "actions" }, referButton)));
  }
  return section;
}

// The prefecture's judgement on a referral: recorded, not final (the screener completes).
export function judgementForm(a) {
  var section = h("section", { "class": "card", id: "judge", "aria-labelledby": "judge-h" },
    h("h2", { id: "judge-h", text: "県の判断を記録する" }),
    h("p", { "class": "hint", text: "事務局からの照会に対する県の判断を記録してください。記録すると事務局に通知され、審査担当者が判定を完了します。" }));
  var radios = {};
  var group = h("fieldset", { id: "judge-decision", style: "border:0;padding:0;margin:0", "aria-describedby": "judge-decision-err" },
    h("legend", { style: "font-weight:700;margin-bottom:4px", text: "県の判断" }));
  (a.judgement_choices || []).forEach(function (c) {
    radios[c.value] = h("input", { type: "radio", name: "judgement", id: "judge-" + c.value, value: c.value });
    append(group, h("label", { "class": "check", "for": "judge-" + c.value, style: "display:block" }, radios[c.value], c.label));
  });
  var reason = h("textarea", { id: "judge-reason", rows: "4", maxlength: "2000", "aria-describedby": "judge-reason-hint judge-reason-err" });
  var errors = h("div", { id: "judge-errors", role: "alert" });
  var busy = false;
  var submit = h("button", { type: "button", id: "judge-submit", "class": "approve", text: "判断を記録する", onclick: function () {
    if (busy) return;
    busy = true;
    submit.disabled = true;
    clear(errors);
    document.getElementById("judge-reason-err").textContent = "";
    document.getElementById("judge-decision-err").textContent = "";
    reason.removeAttribute("aria-invalid");
    var picked = Object.keys(radios).filter(function (k) { return radios[k].checked; })[0] || null;
    var body = { decision: picked, reason: reason.value.trim() };
    api("applications/" + encodeURIComponent(a.application_id) + "/prefecture-judgement", { method: "POST", body: body }).then(function () {
      return PAGES.application().then(function () { setFlash("ok", "県の判断を記録しました。事務局に通知しました。"); });
    }).catch(function (err) {
      busy = false;
      submit.disabled = false;
      if (err.status === 401 || err.status === 403) { showProblem(err); return; }
      var list = h("ul");
      Object.keys(err.fields || {}).forEach(function (key) {
        var text = err.fields[key];
        if (key === "reason") { reason.setAttribute("aria-invalid", "true"); document.getElementById("judge-reason-err").textContent = text; }
        if (key === "decision") document.getElementById("judge-decision-err").textContent = "県の判断をどちらか選んでください";
        list.appendChild(h("li", { text: key === "decision" ? "県の判断を選んでください" : text }));
      });
      append(errors, h("div", { "class": "problem", tabindex: "-1", id: "judge-problem" },
        h("h2", { text: err.message }), list.childNodes.length ? list : null));
      document.getElementById("judge-problem").focus();
    });
  } });
  append(section, [
    group, h("p", { "class": "err", id: "judge-decision-err" }),
    h("label", { "for": "judge-reason", style: "font-weight:700;display:block;margin-top:8px", text: "理由" }),
    h("p", { "class": "hint", id: "judge-reason-hint", text: "「不承認とすべき」の場合は必須です。事務局の審査担当者が読みます。" }),
    reason, h("p", { "class": "err", id: "judge-reason-err" }),
    errors,
    h("div", { "class": "actions" }, submit)
  ]);
  return section;
}

export function history(decisions, total) {
  var section = h("section", { "class": "card", "aria-labelledby": "history-h" }, h("h2", { id: "history-h", text: "判定の履歴" }));
  if (!decisions.length) { append(section, h("p", { "class": "muted", text: "まだ判定はありません。" })); return section; }
  var tbody = h("tbody");
  decisions.slice().reverse().forEach(function (d) {
    var checked = Object.keys(d.checks || {}).filter(function (k) { return d.checks[k] === true; }).length;
    var action = ACTION_LABELS[d.action] || d.action;
    if (d.action === "prefecture_judgement") action += "（" + (d.decision_label || d.decision) + "）";
    if (d.against_prefecture) action += "（県の判断と異なる）";
    var text = d.action === "refer" ? "照会事項: " + (d.question || "") : (d.reason || "—");
    tbody.appendChild(h("tr", { "data-action": d.action },
      h("td", { text: fmt(d.at) }), h("td", { text: action }),
      h("td", { text: d.user + (d.role ? "（" + (ROLE_LABELS[d.role] || d.role) + "）" : "") }),
      h("td", { text: d.action === "prefecture_judgement" ? "—" : checked + " / " + (total || Object.keys(d.checks || {}).length) + " 項目確認" }),
      h("td", { style: "white-space:pre-wrap", text: text })));
  });
  append(section, h("div", { "class": "table-wrap" }, h("table", { id: "history" },
    h("thead", null, h("tr", null, ["日時", "判定", "担当者", "チェックリスト", "理由"].map(function (t) { return h("th", { scope: "col", text: t }); }))),
    tbody)));
  return section;
}

// The carried-over store(s) the applicant's previous store number matches, and which fields differ.
function previousStore(p) {
  var box = h("div", null, h("span", { "class": p.matched ? "" : "hint", text: p.message }));
  (p.stores || []).forEach(function (s) {
    var diffs = (s.differences || []).map(function (d) { return d.label; });
    box.appendChild(h("div", { "class": "hint",
      text: s.store_id + "（" + s.store_name + "）" + (diffs.length ? " 相違: " + diffs.join("、") : " 相違なし") }));
  });
  return box;
}
