// The call center's inquiry screen (/console/inquiries): the new-inquiry form, the log, one inquiry, the month.
import { CONSOLE, REAL_PIN, api, clear, clockNowMs, currentPath, endSession, endedUrl, h, logout, pinnedNow, requireSession, signInUrl, storedPin } from "./client.js";
import { ROLE_LABELS } from "./labels.js";
import { logInquiryFor, storeHelp } from "./console-store-help.js";
import "./demo-clock.js";

"use strict";

var me = null, opts = null, cursor = null, listQuery = null, current = null, timerStart = Date.now(), clientToken = null;

function $(id) { return document.getElementById(id); }
function flash(kind, message) {
  var f = $("flash");
  f.className = "flash " + kind;
  f.textContent = message || "";
}
function hasRole(roles) { return !!me && me.roles.some(function (r) { return roles.indexOf(r) >= 0; }); }
function pad(n) { return (n < 10 ? "0" : "") + n; }
// The console's clock (client.js clockNowMs): a tab's pin (sessionStorage "miyapo_now", sent as X-Miyapo-Now),
// else the local stack's demo clock, else the real one; the form's "now" (受付日時, today's list, this month)
// follows it. Only the local stage honours the pin and runs a demo clock.
function nowMs() { return clockNowMs(); }
function nowJst() { return new Date(nowMs() + 9 * 3600 * 1000).toISOString(); }
function todayJst() { return nowJst().slice(0, 10); }
function fmt(iso) {
  if (!iso) return "—";
  var m = String(iso).match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/);
  return m ? m[2] + "/" + m[3] + " " + m[4] + ":" + m[5] : String(iso);
}
function newToken() {
  var a = new Uint8Array(12);
  (window.crypto || window.msCrypto).getRandomValues(a);
  return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
}

function loginHref() { return signInUrl(currentPath()); }
function gate(title, message) {
  var g = $("gate");
  clear(g);
  g.appendChild(h("div", { "class": "problem", role: "alert" }, h("h2", { text: title }),
    h("p", null, message + " ", h("a", { href: loginHref(), text: "ログイン画面へ" }))));
  $("layout").hidden = true;
}

// ---- the new-inquiry form ----
function radios(containerId, name, items, checked) {
  var box = $(containerId);
  clear(box);
  items.forEach(function (it, i) {
    box.appendChild(h("label", null,
      h("input", { type: "radio", name: name, value: it.code, checked: it.code === checked || (!checked && i === 0) }),
      " " + it.label));
  });
}
function value(name) {
  var el = document.querySelector("#new-form [name=" + name + "]:checked") || document.querySelector("#new-form [name=" + name + "]");
  return el ? el.value : "";
}
function clearErrors() {
  document.querySelectorAll("#new-form .err").forEach(function (e) { e.textContent = ""; });
  document.querySelectorAll("#new-form [aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
}
function showErrors(fields) {
  var first = null;
  Object.keys(fields || {}).forEach(function (k) {
    var slot = $("e-" + k);
    if (!slot) return;
    slot.textContent = fields[k];
    var input = document.querySelector("#new-form [name=" + k + "]");
    if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
  });
  if (first) first.focus();
}
function localNow() { return nowJst().slice(0, 16); }
function resetForm() {
  $("new-form").reset();
  clearErrors();
  $("f-received").value = localNow();
  $("f-minutes").value = "";
  $("store-name").textContent = "";
  $("reason-field").hidden = true;
  $("private").open = false;
  timerStart = null;
  clientToken = newToken();
  var first = document.querySelector("#f-channel input:checked");
  if (first) first.focus();
}
// The call timer starts with the first keystroke in an empty form, so an idle form does not count.
function tick() {
  if (timerStart === null) { $("timer").textContent = "入力を始めると通話時間を計ります"; return; }
  var s = Math.floor((Date.now() - timerStart) / 1000);
  $("timer").textContent = "通話時間 " + Math.floor(s / 60) + ":" + pad(s % 60) + "（空欄なら自動で記録）";
}
function elapsedMinutes() {
  return timerStart === null ? null : Math.min(600, Math.max(1, Math.ceil((Date.now() - timerStart) / 60000)));
}

function submitNew(ev) {
  if (ev) ev.preventDefault();
  clearErrors();
  flash("", "");   // a new attempt: the last success message goes
  var mode = value("status");
  var reason = $("f-reason").value.trim();
  if (mode === "escalate" && !reason) {
    // Not sent (the escalation needs its reason): every problem the form can see, at once.
    var local = { reason: "エスカレーションの理由を入力してください" };
    if (!$("f-summary").value.trim()) local.summary = "問合せ内容を入力してください";
    showErrors(local);
    return;
  }
  var minutes = $("f-minutes").value.trim();
  var body = {
    received_at: $("f-received").value + ":00+09:00",
    channel: value("channel"), caller_type: value("caller_type"), category: $("f-category").value,
    summary: $("f-summary").value, answer: $("f-answer").value,
    status: mode === "escalate" ? "pending" : mode,
    store_id: $("f-store").value, caller_name: $("f-caller-name").value, caller_phone: $("f-caller-phone").value,
    handling_minutes: minutes === "" ? elapsedMinutes() : (/^\d+$/.test(minutes) ? Number(minutes) : minutes),
    client_token: clientToken
  };
  if (!$("f-received").value) delete body.received_at;
  var button = $("save");
  button.disabled = true;
  api("inquiries", { method: "POST", body: body }).then(function (res) {
    var id = res.inquiry_id;
    if (mode !== "escalate") return { id: id };
    return api("inquiries/" + id + "/escalate", { method: "POST", body: { reason: reason } })
      .then(function (esc) { return { id: id, escalation: esc }; },
            function (err) { return { id: id, escalationError: err }; });
  }).then(function (done) {
    var message = done.id + " を登録しました。";
    if (done.escalation) {
      message += done.escalation.notice.immediate ? "県へ通知しました。" : "県へは " + fmt(done.escalation.notice.due) + " に通知します（県の業務時間外）。";
    }
    if (done.escalationError) {
      flash("error", done.id + " は登録しましたが、エスカレーションできませんでした: " + done.escalationError.message);
    } else {
      flash("ok", message);
    }
    resetForm();
    loadList(true);
  }, function (err) {
    if (err.status === 401) { gate("ログインが必要です", "ログインの有効期限が切れました。"); return; }
    flash("error", err.message);
    showErrors(err.fields);
  }).then(function () { button.disabled = false; });
}

function lookupStore() {
  var el = $("f-store"), out = $("store-name");
  var v = el.value.trim().toUpperCase();
  out.textContent = "";
  if (!v) return;
  if (!/^MP\d{6}$/.test(v)) { out.textContent = "店舗IDは MP で始まる8文字です"; return; }
  el.value = v;
  api("stores/" + v).then(function (s) {
    out.textContent = "店舗名: " + s.store_name + "（" + (s.municipality_name || "") + "）";
  }, function (err) {
    out.textContent = err.status === 404 ? "この店舗IDは登録されていません" : "";
  });
}

// ---- the list ----
function listParams() {
  var p = new URLSearchParams();
  var d = $("q-date").value, c = $("q-category").value, s = $("q-status").value, st = $("q-store").value.trim().toUpperCase();
  if (d) p.set("date", d);
  if (c) p.set("category", c);
  if (s) p.set("status", s);
  if (st) p.set("store_id", st);
  return p;
}
function badge(row) {
  var out = [h("span", { "class": "badge " + row.status, text: row.status_label })];
  if (row.outside_hours) out.push(h("span", { "class": "badge off", text: "時間外" }));
  if (row.notice_waiting) out.push(h("span", { "class": "badge", text: "県へ通知待ち" }));
  if (row.escalated_at && !row.prefecture_answered_at) out.push(h("span", { "class": "badge", text: "県の回答待ち" }));
  return out;
}
function loadList(fresh) {
  if (fresh) { cursor = null; listQuery = listParams(); }
  var p = new URLSearchParams(listQuery);
  if (cursor) p.set("cursor", cursor);
  return api("inquiries?" + p.toString()).then(function (data) {
    var body = $("rows");
    if (fresh) clear(body);
    data.items.forEach(function (row) {
      var tr = h("tr", { tabindex: "0", "data-id": row.inquiry_id,
        onclick: function () { openDetail(row.inquiry_id); },
        onkeydown: function (e) { if (e.key === "Enter") openDetail(row.inquiry_id); } },
        h("td", null, h("a", { href: "?id=" + row.inquiry_id, text: row.inquiry_id,
          onclick: function (e) { e.preventDefault(); } })),
        h("td", { text: fmt(row.received_at) }), h("td", { text: row.channel_label }),
        h("td", { text: row.caller_type_label }), h("td", { text: row.category_label }),
        h("td", { text: row.store_id || "" }), h("td", { "class": "summary", title: row.summary }, h("span", { text: row.summary })),
        h("td", null, badge(row)));
      body.appendChild(tr);
    });
    cursor = data.next_cursor;
    $("more").hidden = !cursor;
    var what = data.date ? data.date + " の受付" : (listQuery.get("status") ? "状態で絞り込み" : "店舗の履歴");
    $("list-caption").textContent = what + "：" + body.childNodes.length + "件" + (cursor ? "（続きあり）" : "");
  }, function (err) { flash("error", err.message); showFilterErrors(err.fields); });
}
function showFilterErrors(fields) {
  var k = Object.keys(fields || {})[0];
  if (k) flash("error", fields[k]);
}

// ---- the detail and its actions ----
function fieldList(rows) {
  var dl = h("dl", { "class": "fields" });
  rows.forEach(function (r) {
    if (!r) return;
    dl.appendChild(h("dt", { text: r[0] }));
    dl.appendChild(h("dd", { text: r[1] === null || r[1] === undefined || r[1] === "" ? "—" : String(r[1]) }));
  });
  return dl;
}
// A small form under the detail: one text (answer or reason) posted to /inquiries/{id}/{path}.
function actionForm(id, label, fieldLabel, key, path, optional, primary) {
  var areaId = "a-" + path.replace(/\W/g, "");
  var area = h("textarea", { id: areaId, maxlength: "4000" });
  var err = h("p", { "class": "err", role: "alert" });
  var form = h("form", { "class": "card", onsubmit: function (e) {
    e.preventDefault();
    var body = {};
    if (area.value.trim() || !optional) body[key] = area.value;
    api("inquiries/" + id + "/" + path, { method: "POST", body: body }).then(function (res) {
      flash("ok", id + ": " + label + "しました。" + (res.notice ? (res.notice.immediate ? "県へ通知しました。" : "県へは " + fmt(res.notice.due) + " に通知します。") : ""));
      openDetail(id);
      loadList(true);
    }, function (e2) {
      var f = e2.fields || {};
      err.textContent = f[key] || e2.message;
      area.focus();
    });
  } }, h("label", { "for": areaId, style: "font-weight:700;display:block", text: fieldLabel }), area, err,
    h("div", { "class": "actions" }, h("button", { type: "submit", "class": primary ? "primary" : "", text: label })));
  return form;
}
function openDetail(id) {
  return api("inquiries/" + encodeURIComponent(id)).then(function (d) {
    current = d;
    var box = $("detail-body");
    clear(box);
    document.querySelectorAll("#rows tr").forEach(function (tr) { tr.setAttribute("aria-selected", tr.getAttribute("data-id") === id ? "true" : "false"); });
    box.appendChild(h("p", null, h("strong", { text: d.inquiry_id + " " }), badge(d)));
    box.appendChild(fieldList([
      ["受付日時", fmt(d.received_at) + (d.outside_hours ? "（受付時間外）" : "")],
      ["受付方法", d.channel_label], ["問合せ者", d.caller_type_label], ["分類", d.category_label],
      ["店舗ID", d.store_id], ["問い合わせ内容", d.summary], ["回答・対応", d.answer],
      ["対応時間", d.handling_minutes === null || d.handling_minutes === undefined ? "" : d.handling_minutes + "分"],
      ["氏名", d.caller_name ? d.caller_name + (d.caller_masked ? "（一部非表示）" : "") : ""],
      ["電話番号", d.caller_phone ? d.caller_phone + (d.caller_masked ? "（一部非表示）" : "") : ""],
      ["登録", fmt(d.created_at) + " " + d.created_by], ["更新", fmt(d.updated_at) + " " + d.updated_by],
      d.closed_at ? ["解決", fmt(d.closed_at) + " " + d.closed_by] : null
    ]));
    if (d.escalation) {
      var e = d.escalation;
      var notice = e.notice_skipped ? "通知前に県の回答を記録（通知なし）"
        : e.notice_queued_at ? "県へ通知済み（" + fmt(e.notice_queued_at) + "）" : "県の業務開始（" + fmt(e.notice_due) + "）に通知予定";
      box.appendChild(h("h3", { text: "県へのエスカレーション" }));
      box.appendChild(fieldList([["日時", fmt(e.at) + " " + e.by], ["理由", e.reason], ["通知", notice]]));
    }
    if (d.prefecture_answer) {
      box.appendChild(h("h3", { text: "県の回答" }));
      box.appendChild(fieldList([["回答", d.prefecture_answer.answer],
        ["記録", fmt(d.prefecture_answer.at) + " " + d.prefecture_answer.by]]));
    }
    var agent = hasRole(["agent"]);
    if (agent && d.status === "pending") {
      box.appendChild(actionForm(d.inquiry_id, "解決に", "利用者への回答（空欄なら登録済みの回答）", "answer", "close", true, true));
      box.appendChild(actionForm(d.inquiry_id, "県へエスカレーション", "エスカレーションの理由", "reason", "escalate", false, false));
    }
    if (d.status === "escalated" && !d.prefecture_answer && hasRole(["agent", "prefecture"])) {
      box.appendChild(actionForm(d.inquiry_id, "県の回答を記録", hasRole(["prefecture"]) ? "県としての回答" : "県から受けた回答（電話・メール等）",
        "answer", "prefecture-answer", false, true));
    }
    if (agent && d.status === "escalated" && d.prefecture_answer) {
      box.appendChild(actionForm(d.inquiry_id, "解決に", "利用者への回答（空欄なら県の回答）", "answer", "close", true, true));
    }
    $("detail").hidden = false;
    $("detail").focus();
  }, function (err) { flash("error", err.message); });
}

// ---- monthly summary ----
function month() { return $("m-month").value || todayJst().slice(0, 7); }
function showMonth() {
  var box = $("m-body");
  api("inquiries/monthly/" + month()).then(function (s) {
    clear(box);
    box.appendChild(h("div", { "class": "stats" },
      h("span", { text: "受付 " + s.total + "件（見込み " + s.forecast + "件の " + (s.forecast_percent === null ? "—" : s.forecast_percent) + "%）" }),
      h("span", { text: "エスカレーション " + s.escalated + "件（" + (s.escalation_rate_percent === null ? "—" : s.escalation_rate_percent + "%") + "）" }),
      h("span", { text: "平均対応時間 " + (s.average_handling_minutes === null ? "—" : s.average_handling_minutes + "分") }),
      h("span", { text: "受付時間外 " + s.outside_hours + "件" })));
    var table = h("table", null, h("thead", null, h("tr", null, h("th", { text: "分類" }), h("th", { text: "件数" }), h("th", { text: "割合" }))));
    var tb = h("tbody");
    s.by_category.forEach(function (c) {
      tb.appendChild(h("tr", null, h("td", { text: c.label }), h("td", { text: c.count }), h("td", { text: c.percent === null ? "—" : c.percent + "%" })));
    });
    table.appendChild(tb);
    box.appendChild(table);
  }, function (err) { flash("error", err.message); });
}
function download(fmtName) {
  api("inquiries/monthly/" + month() + "/file?format=" + fmtName, { blob: true, accept: "application/octet-stream" }).then(function (blob) {
    var a = h("a", { href: URL.createObjectURL(blob), download: "inquiries-" + month() + "." + fmtName });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }, function (err) { flash("error", err.message); });
}

// ---- keyboard ----
document.addEventListener("keydown", function (e) {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && document.activeElement && document.activeElement.closest("#new-form")) {
    submitNew(e);
  } else if (e.altKey && (e.key === "n" || e.key === "N")) {
    e.preventDefault(); flash("", ""); resetForm();
  } else if (e.altKey && (e.key === "l" || e.key === "L")) {
    e.preventDefault(); $("q-date").focus();
  } else if (e.key === "Escape" && !$("detail").hidden) {
    $("detail").hidden = true; current = null;
    var first = document.querySelector("#f-channel input:checked"); if (first) first.focus();
  }
});

// ---- start ----
function start() {
  $("console-link").href = CONSOLE;
  if (!requireSession()) return;   // off to sign in, and back to this very link afterwards
  var whoAmI = api("me").catch(function (err) { err.fromMe = true; throw err; });
  Promise.all([whoAmI, api("inquiries/options")]).then(function (r) {
    me = r[0]; opts = r[1];
    var who = $("who");
    clear(who);
    if (me.stage === "local") who.appendChild(h("span", { "class": "stage", text: "ローカル環境" }));
    if (me.stage === "local" && pinnedNow()) who.appendChild(h("span", { "class": "stage", id: "pinned-clock",
      title: "このタブの日時を固定しています（画面上部の欄で変更・解除）",
      text: storedPin() === REAL_PIN ? "実時間" : "時刻固定 " + fmt(pinnedNow()) }));
    who.appendChild(h("span", { text: me.user + "（" + me.roles.map(function (x) { return ROLE_LABELS[x] || x; }).join("・") + "）" }));
    who.appendChild(h("button", { type: "button", id: "logout", text: "ログアウト", onclick: function () { logout("logout"); } }));
    radios("f-channel", "channel", opts.channels, "phone");
    radios("f-caller_type", "caller_type", opts.caller_types, "resident");
    var cat = $("f-category"), qcat = $("q-category"), qst = $("q-status");
    cat.appendChild(h("option", { value: "", text: "選んでください" }));
    opts.categories.forEach(function (c) {
      cat.appendChild(h("option", { value: c.code, text: c.label }));
      qcat.appendChild(h("option", { value: c.code, text: c.label }));
    });
    opts.statuses.forEach(function (s) { qst.appendChild(h("option", { value: s.code, text: s.label })); });
    $("reason-hint").textContent = "県の業務時間（平日 " + opts.office_hours.start + "〜" + opts.office_hours.end +
      "）内はすぐに、時間外は次の業務日の " + opts.office_hours.start + " に県へ通知されます。";
    if (!hasRole(["agent"])) {
      $("new-card").hidden = true;
      $("layout").style.gridTemplateColumns = "minmax(0, 1fr)";
    }
    $("store-help-slot").appendChild(storeHelp({ canLog: hasRole(["agent"]), canChange: hasRole(["agent", "screener"]),
      flash: flash, onLogInquiry: function (s) { logInquiryFor(s, flash); } }));
    $("layout").hidden = false;
    $("q-date").value = todayJst();
    $("m-month").value = todayJst().slice(0, 7);
    resetForm();
    setInterval(tick, 1000);
    loadList(true);
    var wanted = new URLSearchParams(location.search).get("id");
    if (wanted) openDetail(wanted);
  }, function (err) {
    if (err.status === 401 || (err.status === 403 && err.fromMe)) {
      // /me is open to every role: a refused token (revoked key, another pool) ends the session.
      endSession("invalid");
      location.replace(endedUrl("invalid", currentPath()));
    }
    else if (err.status === 403) gate("この画面を表示する権限がありません", err.message + "。");
    else gate("読み込めませんでした", err.message + "。");
  });
  $("new-form").addEventListener("submit", submitNew);
  $("new-form").addEventListener("input", function () { if (timerStart === null) timerStart = Date.now(); });
  $("clear-form").addEventListener("click", function () { flash("", ""); resetForm(); });
  $("f-store").addEventListener("change", lookupStore);
  $("f-status").addEventListener("change", function () {
    var esc = value("status") === "escalate";
    $("reason-field").hidden = !esc;
    if (esc) $("f-reason").focus();
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); loadList(true); });
  $("q-open").addEventListener("click", function () {
    $("q-date").value = ""; $("q-store").value = ""; $("q-status").value = "pending"; loadList(true);
  });
  $("more").addEventListener("click", function () { loadList(false); });
  $("m-show").addEventListener("click", showMonth);
  $("m-csv").addEventListener("click", function () { download("csv"); });
  $("m-xlsx").addEventListener("click", function () { download("xlsx"); });
}
start();
