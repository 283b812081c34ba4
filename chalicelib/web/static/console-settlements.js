// Settlement rounds (精算): the month's page, totals and fee, the draft and its four-eyes approval, downloads, adjustments.
// Holds, per-store lines (with store names), returns and who may approve: console-settlements-lines.js.
import { CONSOLE, api, append, clear, download, h } from "./client.js";
import { PAGES, fieldList, fmt, hasRole, link, q, refLink, render, setFlash, statusBadge } from "./console-kit.js";
import { ADJUSTMENT_STATES, DOCUMENTS, ROUND_STATUSES, act, appendAll, clockToday, dateLabel, field, fieldErrors, fold, headRow, monthLabel, numCell, number, shiftMonth, yen } from "./console-forms.js";
import { approvalBlock, heldSection, linesPage, linesSection, reloadRound, returnForm, storeNames } from "./console-settlements-lines.js";
import { FEE_ROUNDINGS } from "./labels.js";

export { reloadRound };

// ---- 精算 ----
PAGES.settlements = function () {
  var month = q("month") || shiftMonth(clockToday().slice(0, 7), -1);
  document.title = "精算 | 事務局コンソール";
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    render(h("h1", { text: "精算" }), monthPicker(clockToday().slice(0, 7)),
      h("div", { "class": "problem", role: "alert" }, h("h2", { text: "月の指定が正しくありません" }), h("p", { text: "YYYY-MM の形式で指定してください（例: 2025-06）。" })));
    return Promise.resolve();
  }
  document.title = "精算 " + monthLabel(month) + " | 事務局コンソール";
  return Promise.all([
    api("settlements/" + month).catch(function (err) { if (err.status === 404) return null; throw err; }),
    api("settlements/adjustments")
  ]).then(function (res) {
    var round = res[0];
    // The lines a page at a time (a round has one per store: 1,500 at full scale); the totals come from the
    // round itself. Names beside the ids of the page and of the held stores only.
    var first = round ? linesPage(month, null) : Promise.resolve({ items: [], next_cursor: null });
    return first.then(function (page) {
      var held = round ? (round.held || []).map(function (x) { return x.store_id; }) : [];
      return storeNames(month, held.concat(page.items.map(function (l) { return l.store_id; }))).then(function (names) {
        var adjustments = res[1].items || [];
        render(h("h1", null, "精算 " + monthLabel(month) + " ",
            round ? statusBadge(round.status, ROUND_STATUSES[round.status] || round.status) : statusBadge("none", "未作成")),
          monthPicker(month),
          round ? roundView(round, page, names) : noRound(month),
          adjustmentsSection(adjustments));
      });
    });
  });
};

export function monthPicker(month) {
  var input = h("input", { type: "month", id: "month", name: "month", value: month, required: true });
  return h("form", { "class": "filters", method: "get", action: CONSOLE + "/settlements", role: "search", id: "month-form" },
    h("div", null, h("label", { "for": "month", text: "利用月" }), input),
    h("button", { type: "submit", text: "表示" }),
    h("a", { "class": "btn", href: link("/settlements", { month: shiftMonth(month, -1) }), text: "← 前月" }),
    h("a", { "class": "btn", href: link("/settlements", { month: shiftMonth(month, 1) }), text: "翌月 →" }));
}

export function draftButton(month, text, id) {
  var errors = h("div", { id: "draft-errors" });
  var button = h("button", { type: "button", id: id, "class": id === "create-draft" ? "primary" : null, text: text });
  button.addEventListener("click", function () {
    clear(errors);
    act(button, function () {
      return api("settlements/" + month + "/draft", { method: "POST", body: {} }).then(function (r) {
        return reloadRound("ok", monthLabel(month) + "の下書きを作成しました（第" + r.version + "版・支払 " + yen(r.total_amount) + "）。内容を確認し、別の経理担当者に承認を依頼してください。");
      });
    }, function (err) {
      var problem = h("div", { "class": "problem", role: "alert", tabindex: "-1" }, h("h2", { text: "下書きを作成できません" }), h("p", { style: "margin:0", text: err.message }));
      append(errors, problem);
      problem.focus();
    });
  });
  return [button, errors];
}

export function noRound(month) {
  var section = h("section", { "class": "card", id: "no-round", "aria-labelledby": "no-round-h" },
    h("h2", { id: "no-round-h", text: "未作成" }),
    h("p", { text: monthLabel(month) + "の精算はまだ作成されていません。月が終わり、利用実績を取り込んでから下書きを作成します。" }));
  if (hasRole(["accountant"])) {
    var parts = draftButton(month, "下書きを作成", "create-draft");
    appendAll(section, h("div", { "class": "actions" }, parts[0]), parts[1]);
  }
  return section;
}

// `page`: the first page of the round's lines ({items, next_cursor}); the lines section reads the rest on demand.
export function roundView(r, page, names) {
  var month = r.month;
  var today = clockToday();
  var overdue = r.status !== "approved" && r.approval_deadline && today > r.approval_deadline;
  var approvedLate = r.approved_at && r.approval_deadline && String(r.approved_at).slice(0, 10) > r.approval_deadline;
  var isAccountant = hasRole(["accountant"]);

  var notice = overdue ? h("div", { "class": "notice", id: "overdue", role: "alert" },
    h("h2", { text: "承認期限（" + dateLabel(r.approval_deadline) + "）を過ぎています" }),
    h("p", { style: "margin:0", text: "支払予定日 " + dateLabel(r.payment_date) + " に間に合わない可能性があります。承認すると、振込指定日は支払予定日または翌営業日以降になります。" })) : null;

  var schedule = h("section", { "class": "card", "aria-labelledby": "schedule-h" }, h("h2", { id: "schedule-h", text: "日程と担当" }),
    fieldList([
      ["状態", statusBadge(r.status, ROUND_STATUSES[r.status] || r.status)],
      ["支払予定日", h("span", { id: "payment-date", text: dateLabel(r.payment_date) })],
      ["承認期限", h("span", { id: "approval-deadline", "class": overdue || approvedLate ? "late" : null },
        dateLabel(r.approval_deadline), overdue ? "　期限を過ぎています" : approvedLate ? "　期限後に承認されました" : "")],
      ["振込指定日", r.transfer_date ? dateLabel(r.transfer_date) : "承認時に決まります"],
      ["下書き", (r.drafted_by || "—") + "（" + fmt(r.drafted_at) + "・第" + r.version + "版）"],
      ["関わった担当者", h("span", { id: "shaped-by", text: (r.shaped_by || []).length ? r.shaped_by.join("、") : "なし（システムのみ）" })],
      ["承認", r.approved_by ? r.approved_by + "（" + fmt(r.approved_at) + "）" : "未承認"],
      ["取り込み", (r.imports || []).length ? r.imports.map(function (id, i) {
        return [i ? "、" : "", h("a", { href: link("/usage", { "import": id }), "class": "mono", text: id })];
      }) : "なし"]
    ]));

  var row = function (label, value, id, cls) {
    return h("tr", { "class": cls }, h("th", { scope: "row", text: label }), h("td", { "class": "num", id: id, text: value }));
  };
  var totals = h("section", { "class": "card", "aria-labelledby": "totals-h" }, h("h2", { id: "totals-h", text: "合計" }),
    h("table", { "class": "totals", id: "totals" }, h("tbody", null,
      row("当月の利用実績", yen(r.usage_total), "usage-total"),
      row("＋ 調整", yen(r.adjustments_total), "adjustments-total"),
      row("＋ 前回からの繰越", yen(r.carried_in_total), "carried-in-total"),
      row("− 保留（次回へ繰越）", yen(r.held_total), "held-total"),
      row("＝ 支払額の合計", yen(r.total_amount), "total-amount", "grand"),
      row("支払う店舗数", number(r.stores_paid) + "店舗", "stores-paid"))),
    h("p", { "class": "hint", text: "支払額の合計 ＋ 保留 ＝ 利用実績 ＋ 調整 ＋ 繰越（1円単位で一致します）。" }));

  var sections = [notice, h("div", { "class": "grid2" }, h("div", null, totals, feeSection(r)), h("div", null, schedule)), heldSection(r, names)];
  if (isAccountant) sections.push(roundActions(r));
  if (r.status === "approved") sections.push(downloads(r));
  // The return form offers the paid stores of the pages read so far (more as the member reads more pages).
  var form = r.status === "approved" && isAccountant ? returnForm(r, names) : null;
  sections.push(linesSection(r, page, names, function (lines) { if (form) form.offer(lines); }));
  if (form) sections.push(form.section);
  return sections;
}

// The fee and the operator's own cost: what the fee is charged on (the month's usage plus usage imported
// after its round was approved, each yen once), its rate and rounding; the bank's transfer fees, borne by the
// operator and never deducted from a store.
export function feeSection(r) {
  var row = function (label, value, id, note) {
    return h("tr", null, h("th", { scope: "row" }, label, note ? h("div", { "class": "hint", text: note }) : null),
      h("td", { "class": "num", id: id, text: value }));
  };
  var late = Number(r.late_usage_total || 0);
  var percent = (Number(r.fee_rate) * 100).toLocaleString("ja-JP", { maximumFractionDigits: 4 }) + "%";
  var hasCost = r.transfer_cost !== null && r.transfer_cost !== undefined;
  return h("section", { "class": "card", id: "fee-card", "aria-labelledby": "fee-h" }, h("h2", { id: "fee-h", text: "システム利用料と振込手数料" }),
    h("table", { "class": "totals", id: "fee-table" }, h("tbody", null,
      row("手数料の対象額", yen(r.fee_base !== undefined ? r.fee_base : r.usage_total), "fee-base",
        late ? "当月の利用実績 " + yen(r.usage_total) + " ＋ 承認後に取り込んだ利用分 " + yen(late) : "当月の利用実績"),
      row("手数料率", percent, "fee-rate"),
      row("端数処理", FEE_ROUNDINGS[r.fee_rounding] || r.fee_rounding || "—", "fee-rounding"),
      row("システム利用料（手数料の対象額 × " + percent + "）", yen(r.fee), "fee"),
      row("振込手数料（事務局負担）", hasCost ? yen(r.transfer_cost) : "—", "transfer-cost",
        hasCost ? null : "この回の作成時には計算していません")),
    h("p", { "class": "hint", text: "利用実績は、最初に計上した精算回で一度だけ手数料の対象になります。振込手数料は事務局が負担し、店舗への支払額からは差し引きません。" })));
}

export function reopenButton(r) {
  var button = h("button", { type: "button", "class": "secondary", id: "reopen", text: "下書きに戻す" });
  button.addEventListener("click", function () {
    var reason = window.prompt("承認処理を中止して下書きに戻します（振込データは確定していません）。理由を入力してください。");
    if (!reason || !reason.trim()) return;
    act(button, function () {
      return api("settlements/" + r.month + "/reopen", { method: "POST", body: { reason: reason.trim() } })
        .then(function () { return reloadRound("ok", monthLabel(r.month) + "の精算を下書きに戻しました。内容を確認し、下書きを再作成してください。"); });
    }, function (err) { setFlash("error", err.message); });
  });
  return button;
}

export function roundActions(r) {
  var month = r.month;
  var section = h("section", { "class": "card", id: "round-actions", "aria-labelledby": "actions-h" }, h("h2", { id: "actions-h", text: "下書きと承認" }));
  if (r.status === "approved") {
    append(section, h("p", { style: "margin:0", text: "承認済みです。この精算は変更できません。修正が必要な場合は、下の「調整」に登録すると次回の精算で支払い（または差し引き）ます。" }));
    return section;
  }
  var errors = h("div", { id: "approve-errors" });
  // The drafter and everyone who shaped the round see why they cannot approve, not a button that is refused.
  var blocked = approvalBlock(r);
  var approve = h("button", { type: "button", "class": "approve", id: "approve", text: r.status === "approving" ? "承認処理を再開" : "承認",
    disabled: !!blocked, "aria-describedby": blocked ? blocked.id : null });
  approve.addEventListener("click", function () {
    clear(errors);
    if (r.status === "draft" && !window.confirm(monthLabel(month) + "の精算（支払 " + yen(r.total_amount) + "・" + number(r.stores_paid) +
        "店舗）を承認します。振込データと帳票を作成し、各店舗に支払通知メールを送ります。承認後は変更できません。よろしいですか？")) return;
    act(approve, function () {
      return api("settlements/" + month + "/approve", { method: "POST", body: {} }).then(function (res) {
        return reloadRound("ok", monthLabel(month) + "の精算を承認しました。" + ((res.files || {}).transfer_file
          ? "振込指定日 " + dateLabel(res.transfer_date) + "。振込データをダウンロードできます。" : "この回は振込対象がありません。帳票をダウンロードできます。"));
      });
    }, function (err) {
      var title = err.status === 403 ? "承認できません（二人目の経理担当者による承認が必要です）" : "承認できません";
      var detail = Object.keys(err.fields || {}).map(function (k) { return err.fields[k]; });
      var problem = h("div", { "class": "problem", id: "approve-problem", role: "alert", tabindex: "-1" }, h("h2", { text: title }),
        h("p", { style: "margin:0", text: err.message + (detail.length ? "。" + detail.join("。") : "") }));
      append(errors, problem);
      problem.focus();
    });
  });
  var redraft = r.status === "draft" ? draftButton(month, "下書きを再作成", "redraft") : [null, null];
  appendAll(section,
    h("p", { id: "four-eyes", text: "承認は二人で行います。下書きを作成した担当者（" + (r.drafted_by || "—") + "）や、この回の利用実績の取込・調整・返却・口座変更に関わった担当者（" +
      ((r.shaped_by || []).join("、") || "なし") + "）とは別の経理担当者が、内容を確認して承認してください。" +
      "承認すると振込データ・帳票を作成し、各店舗に支払通知を送ります。承認後は変更できません。" }),
    blocked ? h("p", { "class": "notice", id: blocked.id, role: "status", text: blocked.reason }) : null,
    r.status === "draft" ? h("p", { "class": "hint", text: "下書きの作成後に利用実績や調整を登録した場合は、「下書きを再作成」で最新の内容にしてから承認します。" }) : null,
    r.status === "approving" ? h("p", { "class": "hint", text: "承認処理が途中で止まっています。「承認処理を再開」を押すと続きから完了します（二重には振り込みません）。" +
      (r.can_reopen ? "原因を確認する必要がある場合は「下書きに戻す」を使えます。" : "") }) : null,
    r.release_error ? h("p", { "class": "problem", id: "release-error", role: "alert", text: r.release_error }) : null,
    h("div", { "class": "actions" }, redraft[0], approve, r.can_reopen ? reopenButton(r) : null), redraft[1], errors);
  return section;
}

export function downloads(r) {
  var files = r.files || {};
  var note = h("p", { "class": "hint", id: "download-note", role: "status" });
  var buttons = DOCUMENTS.filter(function (d) {
    return files[d[0]] && (d[0] !== "transfer_file" || hasRole(["accountant"]));
  }).map(function (d) {
    var button = h("button", { type: "button", id: "download-" + d[0], "data-doc": d[0], text: d[1] });
    button.addEventListener("click", function () {
      note.textContent = "";
      act(button, function () {
        return download("settlements/" + r.month + "/" + d[2], d[0]).then(function (name) {
          button.disabled = false;
          note.textContent = name + " を保存しました。";
        });
      }, function (err) { note.textContent = "ダウンロードできませんでした: " + err.message; });
    });
    return button;
  });
  return h("section", { "class": "card", id: "downloads", "aria-labelledby": "downloads-h" }, h("h2", { id: "downloads-h", text: "振込データと帳票" }),
    buttons.length ? h("div", { "class": "actions", style: "margin-top:0" }, buttons) : h("p", { "class": "muted", text: "ダウンロードできるファイルはありません。" }),
    files.transfer_file ? null : h("p", { "class": "hint", text: "この回は振込対象がないため、振込データはありません。" }),
    h("p", { "class": "hint", text: "振込データ・帳票のダウンロードは監査ログに記録されます。" }), note);
}

export function adjustmentsSection(items) {
  var section = h("section", { "class": "card", id: "adjustments-card", "aria-labelledby": "adjustments-h" },
    h("h2", { id: "adjustments-h", text: "調整" }),
    h("p", { "class": "hint", text: "承認済みの精算の過不足は、調整として次に作成する下書きに含めます（増額はプラス、減額はマイナス）。振込の返却や承認後に取り込んだ利用分も、ここに自動で登録されます。" }));
  if (items.length) {
    var tbody = h("tbody");
    items.slice().sort(function (a, b) { return String(b.created_at).localeCompare(String(a.created_at)); }).forEach(function (a) {
      tbody.appendChild(h("tr", { "data-adjustment": a.adjustment_id },
        h("td", { "class": "mono", text: a.adjustment_id }), h("td", null, refLink("store", a.store_id)), numCell(a.amount),
        h("td", { style: "white-space:pre-wrap", text: a.reason }), h("td", { text: (a.created_by || "—") + "（" + fmt(a.created_at) + "）" }),
        h("td", null, a.state === "settled"
          ? statusBadge("approved", "精算済み" + (a.settled_in ? "（" + monthLabel(a.settled_in) + "）" : ""))
          : statusBadge("draft", ADJUSTMENT_STATES[a.state] || a.state))));
    });
    append(section, h("div", { "class": "table-wrap" }, h("table", { id: "adjustments" },
      headRow(["調整番号", "店舗ID", ["金額（円）", "num"], "理由", "登録", "状態"]), tbody)));
  } else {
    append(section, h("p", { "class": "muted", text: "調整はありません。" }));
  }
  if (!hasRole(["accountant"])) return section;
  var storeInput = h("input", { type: "text", name: "store_id", "class": "mono", size: "12", autocomplete: "off", placeholder: "MP000001" });
  var amount = h("input", { type: "text", name: "amount", inputmode: "numeric", size: "14", autocomplete: "off", placeholder: "-1500" });
  var reason = h("textarea", { name: "reason", rows: "2", maxlength: "500" });
  var inputs = { store_id: storeInput, amount: amount, reason: reason };
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "primary", id: "add-adjustment", text: "調整を登録" });
  append(section, h("form", { id: "adjustment-form", onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    var text = fold(amount.value).replace(/[,\s]/g, "").replace(/^[−–ー]/, "-");
    if (!/^[+-]?\d+$/.test(text)) {
      // Every problem at once: the amount's, and the other fields' the API would answer next.
      var fields = { amount: "調整額は整数（円）で入力してください（減額はマイナス、例: -1500）" };
      if (!fold(storeInput.value)) fields.store_id = "店舗IDを入力してください";
      if (!reason.value.trim()) fields.reason = "理由を入力してください";
      fieldErrors({ message: "入力内容に誤りがあります", fields: fields }, inputs, errors);
      return;
    }
    var body = { store_id: fold(storeInput.value).toUpperCase(), amount: parseInt(text, 10), reason: reason.value.trim() };
    act(button, function () {
      return api("settlements/adjustments", { method: "POST", body: body }).then(function (res) {
        return reloadRound("ok", "調整 " + res.adjustment_id + "（" + res.store_id + "・" + yen(res.amount) + "）を登録しました。次に作成する下書きに含まれます。");
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } },
    h("h3", { text: "調整を登録" }),
    h("div", { "class": "form-row" }, field("adj-store", "店舗ID", storeInput), field("adj-amount", "金額（円）", amount, "減額はマイナス（例: -1500）")),
    field("adj-reason", "理由", reason, "店舗への説明にもなるように具体的に（500文字以内）"),
    errors, h("div", { "class": "actions" }, button)));
  return section;
}
