// Settlement rounds (精算): who may approve, the stores of a round (names beside ids), holds, lines, returns.
import { api, append, h } from "./client.js";
import { PAGES, hasRole, me, refLink, setFlash, statusBadge } from "./console-kit.js";
import { act, appendAll, field, fieldErrors, fold, headRow, numCell, yen } from "./console-forms.js";
import { FOUR_EYES_NOT_PEOPLE, HOLD_REASONS } from "./labels.js";

export function reloadRound(kind, message) {
  return PAGES.settlements().then(function () { setFlash(kind, message); });
}

// Why the signed-in member may not approve this round, or null. The same rule as the server's
// (chalicelib/settlement/four_eyes.py check_approver), from the round's drafted_by and shaped_by:
// the approver is none of the people who shaped it, and a system draft nobody touched waits for a
// person to draft it again. The server still decides; this only spares the member a refused click.
export var SELF_INVOLVED = "この精算回の作成・修正に関わったため承認できません。別の経理担当者が承認します";
export var SYSTEM_ONLY = "システムが作成した下書きのため、まだ承認できません。経理担当者が「下書きを再作成」した後、別の経理担当者が承認します";
export function approvalBlock(r) {
  if (!me || r.status === "approved") return null;
  var involved = (r.shaped_by || []).concat([r.drafted_by || ""]).filter(function (who) {
    return FOUR_EYES_NOT_PEOPLE.indexOf(who) < 0;
  });
  if (r.drafted_by === me.user || involved.indexOf(me.user) >= 0) return { id: "self-drafted", reason: SELF_INVOLVED };
  if (!involved.length) return { id: "system-drafted", reason: SYSTEM_ONLY };
  return null;
}

// The label of a hold reason, from Python (chalicelib/settlement/rounds.py HOLD_REASONS).
export function holdReason(code, fallback) {
  return code ? HOLD_REASONS[code] || fallback || code : "";
}

// A store's name (and municipality) beside its id; a store the master does not know says so.
export function storeName(names, id) {
  var s = names[id];
  if (!s) return h("td", { "class": "store-name muted", text: "（店舗マスタにありません）" });
  return h("td", { "class": "store-name" }, s.store_name, s.municipality_name ? h("div", { "class": "hint", text: s.municipality_name }) : null);
}
function nameOf(names, id) { return names[id] ? id + "（" + names[id].store_name + "）" : id; }

export function heldSection(r, names) {
  var held = r.held || [];
  var section = h("section", { "class": "card", "aria-labelledby": "held-h" }, h("h2", { id: "held-h", text: "保留（" + held.length + "店舗）" }));
  if (!held.length) {
    append(section, h("p", { "class": "muted", style: "margin:0", text: "保留はありません。" }));
    return section;
  }
  var canConfirm = hasRole(["accountant"]) && r.status === "draft";
  var body = h("tbody");
  held.forEach(function (x) {
    var cell = h("td", null, holdReason(x.reason, x.reason_label), x.note ? h("div", { "class": "hint", text: x.note }) : null);
    if (x.reason === "over_ceiling" && canConfirm) append(cell, ceilingButton(r, x, names));
    if (CLEARABLE_HOLDS.indexOf(x.reason) >= 0 && canConfirm) append(cell, clearHoldButton(r, x, names));
    body.appendChild(h("tr", { "data-store": x.store_id }, h("td", null, refLink("store", x.store_id)), storeName(names, x.store_id),
      numCell(x.amount), cell));
  });
  appendAll(section, h("p", { "class": "hint", text: "保留した金額は次回の精算に繰り越し、理由が解消されたときに支払います。" }),
    h("div", { "class": "table-wrap" }, h("table", { id: "held" }, headRow(["店舗ID", "店舗名", ["保留額（円）", "num"], "理由"]), body)));
  return section;
}

// Above the per-store ceiling a second person (one who entered none of that store's inputs) confirms
// the exact amount; the next draft then pays it.
export function ceilingButton(r, x, names) {
  var button = h("button", { type: "button", "class": "secondary", "data-ceiling": x.store_id, text: "上限超過を確認" });
  button.addEventListener("click", function () {
    var reason = window.prompt(nameOf(names, x.store_id) + " への支払 " + yen(x.amount) + " は上限額を超えています。確認の根拠（請求書・調整の理由など）を入力してください。");
    if (!reason || !reason.trim()) return;
    act(button, function () {
      return api("settlements/" + r.month + "/ceiling-confirmations", { method: "POST", body: { store_id: x.store_id, amount: x.amount, reason: reason.trim() } })
        .then(function () { return reloadRound("ok", x.store_id + " の上限超過を確認しました。「下書きを再作成」で支払対象になります。"); });
    }, function (err) { setFlash("error", err.message + Object.keys(err.fields || {}).map(function (k) { return "。" + err.fields[k]; }).join("")); });
  });
  return h("div", null, button);
}

// Holds a person clears after looking (chalicelib/settlement/rounds.py CLEARABLE_HOLDS): usage dated before the
// store became active. Someone who entered none of the store's inputs clears it with a reason; the next draft pays.
export var CLEARABLE_HOLDS = ["usage_before_active"];
export function clearHoldButton(r, x, names) {
  var button = h("button", { type: "button", "class": "secondary", "data-clear": x.store_id, text: "確認して保留を解除" });
  button.addEventListener("click", function () {
    var reason = window.prompt(nameOf(names, x.store_id) + " の " + yen(x.amount) + " は参加承認日より前の利用を含むため保留しています。支払ってよいことを確認した内容を入力してください。");
    if (!reason || !reason.trim()) return;
    act(button, function () {
      return api("settlements/" + r.month + "/holds/" + encodeURIComponent(x.store_id) + "/clear", { method: "POST", body: { reason: reason.trim() } })
        .then(function (res) { return reloadRound("ok", x.store_id + " の保留（" + yen(res.amount) + "）を解除しました。「下書きを再作成」で支払対象になります。"); });
    }, function (err) { setFlash("error", err.message + Object.keys(err.fields || {}).map(function (k) { return "。" + err.fields[k]; }).join("")); });
  });
  return h("div", null, button);
}

// A paid line of a draft is put off to the next round, with a reason (holding moves no money: any accountant
// may, even one who shaped it). The way out when everyone who could approve shaped a line the round pays
// (chalicelib/settlement/four_eyes.py); the next draft holds it and the next round pays it.
export function deferButton(r, l, names) {
  var button = h("button", { type: "button", "class": "secondary", "data-defer": l.store_id, text: "次回に回す" });
  button.addEventListener("click", function () {
    var reason = window.prompt(nameOf(names, l.store_id) + " への支払 " + yen(l.paid) + " をこの回では保留し、次回の精算に回します。理由を入力してください。");
    if (!reason || !reason.trim()) return;
    act(button, function () {
      return api("settlements/" + r.month + "/holds/" + encodeURIComponent(l.store_id) + "/defer", { method: "POST", body: { reason: reason.trim() } })
        .then(function (res) { return reloadRound("ok", l.store_id + " の支払（" + yen(res.amount) + "）を次回に回します。「下書きを再作成」で保留になります。"); });
    }, function (err) { setFlash("error", err.message + Object.keys(err.fields || {}).map(function (k) { return "。" + err.fields[k]; }).join("")); });
  });
  return h("div", null, button);
}

// The lines are read a page at a time (`GET /settlements/{month}/lines?limit=&cursor=`, store order).
export var LINES_PAGE = 50;
export function linesPage(month, cursor) {
  return api("settlements/" + month + "/lines?limit=" + LINES_PAGE + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
}

// Names beside the ids (`GET /settlements/{month}/stores?ids=`, 100 ids a call); without them (an older API,
// a failure) the ids still say which store.
var NAME_BATCH = 100;
export function storeNames(month, ids) {
  var wanted = ids.filter(function (id, i) { return ids.indexOf(id) === i && /^[A-Za-z0-9]{1,20}$/.test(id); });
  var calls = [];
  for (var i = 0; i < wanted.length; i += NAME_BATCH) {
    calls.push(api("settlements/" + month + "/stores?ids=" + wanted.slice(i, i + NAME_BATCH).join(","))
      .catch(function () { return {}; }));
  }
  return Promise.all(calls).then(function (found) {
    var names = {};
    found.forEach(function (part) { Object.keys(part || {}).forEach(function (id) { names[id] = part[id]; }); });
    return names;
  });
}

function lineRow(l, names, r) {
  var canDefer = r && r.status === "draft" && l.status === "pay" && hasRole(["accountant"]);
  return h("tr", { "data-store": l.store_id },
    h("td", null, refLink("store", l.store_id)), storeName(names, l.store_id), numCell(l.usage), numCell(l.adjustments),
    numCell(l.carried_in), numCell(l.paid), numCell(l.carried_out),
    h("td", null, l.status === "pay" ? statusBadge("approved", "支払") : statusBadge("suspended", "保留")),
    h("td", { "class": "hold-reason" }, holdReason(l.reason), l.note ? h("div", { "class": "hint", text: l.note }) : null,
      canDefer ? deferButton(r, l, names) : null));
}

// The round's lines, the first page shown and the next ones read on「もっと見る」. The totals row is the
// round's own totals (the sums of every line, kept on the round item by the draft), not the rows shown.
// `onLines(lines)` hears every page read (the return form offers the paid stores among them).
export function linesSection(r, page, names, onLines) {
  var count = Number(r.stores_paid || 0) + (r.held || []).length;
  var section = h("section", { "class": "card", "aria-labelledby": "lines-h" }, h("h2", { id: "lines-h", text: "店舗ごとの明細（" + count + "店舗）" }));
  if (!page.items.length) { append(section, h("p", { "class": "muted", style: "margin:0", text: "明細はありません。" })); return section; }
  var tbody = h("tbody");
  var shown = 0;
  var status = h("p", { "class": "hint", id: "lines-shown", role: "status" });
  var more = h("button", { type: "button", "class": "secondary", id: "more-lines", text: "もっと見る（次の" + LINES_PAGE + "店舗）" });
  var cursor = null;
  var add = function (p, known) {
    p.items.forEach(function (l) { tbody.appendChild(lineRow(l, known, r)); });
    shown += p.items.length;
    cursor = p.next_cursor || null;
    status.textContent = count + "店舗中 " + shown + "店舗を表示しています（店舗ID順）。";
    more.hidden = !cursor;
    if (onLines) onLines(p.items);
  };
  more.addEventListener("click", function () {
    act(more, function () {
      return linesPage(r.month, cursor).then(function (next) {
        return storeNames(r.month, next.items.map(function (l) { return l.store_id; })).then(function (found) {
          Object.keys(found).forEach(function (id) { names[id] = found[id]; });
          add(next, names);
          more.disabled = false;
        });
      });
    }, function (err) { setFlash("error", err.message); });
  });
  var foot = h("tfoot", null, h("tr", null, h("th", { scope: "row", colspan: "2", text: "合計（全店舗）" }), numCell(r.usage_total),
    numCell(r.adjustments_total), numCell(r.carried_in_total), numCell(r.total_amount), numCell(r.held_total), h("td"), h("td")));
  appendAll(section, h("div", { "class": "table-wrap" }, h("table", { id: "lines" },
    headRow(["店舗ID", "店舗名", ["利用実績", "num"], ["調整", "num"], ["繰越", "num"], ["支払額", "num"], ["保留額", "num"], "区分", "保留の理由"]),
    tbody, foot)), status, h("div", { "class": "actions" }, more));
  add(page, names);
  return section;
}

// The return form: any store the round paid; the stores of the pages read so far are offered in the list
// (`offer(lines)`), and the amount is shown before recording when its line has been read. The server decides
// whether the store was paid in this round.
export function returnForm(r, names) {
  var paid = {};
  var options = h("datalist", { id: "paid-stores" });
  var section = h("section", { "class": "card", id: "returns", "aria-labelledby": "returns-h" },
    h("h2", { id: "returns-h", text: "振込の返却（振込不能・組戻し）を記録" }));
  var offer = function (lines) {
    lines.forEach(function (l) {
      if (l.status !== "pay" || paid[l.store_id]) return;
      paid[l.store_id] = l;
      options.appendChild(h("option", { value: l.store_id, label: (names[l.store_id] ? names[l.store_id].store_name + "・" : "") + yen(l.paid) }));
    });
  };
  if (!Number(r.stores_paid || 0)) {
    append(section, h("p", { "class": "muted", style: "margin:0", text: "この回に振り込んだ店舗はありません。" }));
    return { section: section, offer: offer };
  }
  var storeInput = h("input", { type: "text", name: "store_id", "class": "mono", size: "12", autocomplete: "off", list: "paid-stores", placeholder: "MP000001" });
  var reason = h("textarea", { name: "reason", rows: "2", maxlength: "500" });
  var inputs = { store_id: storeInput, reason: reason };
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "return", id: "record-return", text: "返却を記録" });
  var form = h("form", { onsubmit: function (e) {
    e.preventDefault();
    var storeId = fold(storeInput.value).toUpperCase();
    var line = paid[storeId];
    if (storeId && !window.confirm(nameOf(names, storeId) + " への振込" + (line ? " " + yen(line.paid) : "") +
        " を返却として記録し、店舗に口座の確認を依頼するメールを送ります。よろしいですか？")) return;
    fieldErrors(null, inputs, errors);
    act(button, function () {
      return api("settlements/" + r.month + "/returns", { method: "POST", body: { store_id: storeId, reason: reason.value.trim() } }).then(function (res) {
        return reloadRound("ok", res.store_id + " の返却（" + yen(res.amount) + "）を記録しました。口座が修正されるまで保留し、修正後の精算で支払います。");
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } },
    h("p", { "class": "hint", text: "銀行から振込が戻ってきた店舗を記録します。その金額は保留になり、店舗の振込口座を修正した後の精算で改めて支払います。店舗には口座の確認を依頼するメールを送ります。" }),
    options,
    h("div", { "class": "form-row" }, field("return-store", "店舗ID", storeInput, "この回に支払った店舗（候補は表示した明細の店舗）")),
    field("return-reason", "返却の理由", reason, "例: 口座なし、名義相違（500文字以内）"),
    errors, h("div", { "class": "actions" }, button));
  append(section, form);
  return { section: section, offer: offer };
}
