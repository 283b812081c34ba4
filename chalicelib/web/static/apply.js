// The public application form (/apply) and its correction page (/apply/correct): fill in, review, send.
import { form, BASE, BY_NAME, DECLARATIONS, FIELDS, controlsOf, el, getJSON, groupAreas, idOf, lookupBank, makeClientToken, normalise, showError, touched, validate, valueOf } from "./apply-fields.js";
import { checkAllKana, closeFinders } from "./apply-lookup.js";
import { clearDraft, forgetChanges, markSent, restoreDraft, startDrafts } from "./apply-draft.js";
import { fillReview } from "./apply-review.js";
import { DECLARATIONS as DECLARATION_LABELS } from "./labels.js";
"use strict";

// The correction page (/apply/correct#t=<token>, the link e-mailed with a return for correction):
// the token lives in the URL fragment, which the browser never sends, and goes to the API only in
// the X-Correction-Token header — so no request line or access log ever carries it. It is moved
// to this tab's sessionStorage and out of the address bar (and history); a reload still works.
var TOKEN_HEADER = "X-Correction-Token";
var TOKEN_KEY = "miyapo.correction-token";
var correcting = /\/apply\/correct\/?$/.test(location.pathname);
var resubmitToken = correcting ? takeCorrectionToken() : null;
var clientToken = makeClientToken();

var submitBtn = document.getElementById("submit-btn");
var statusEl = document.getElementById("review-status");
var review = document.getElementById("review");
var sendBtn = document.getElementById("review-send");
var summary = document.getElementById("error-summary");
var summaryList = document.getElementById("error-summary-list");
var summaryMsg = document.getElementById("error-summary-message");
var sending = false;

function body() {
  var data = {
    store_name: valueOf("store_name"),
    store_name_kana: valueOf("store_name_kana"),
    entity_type: valueOf("entity_type"),
    representative: valueOf("representative"),
    postal_code: valueOf("postal_code"),
    municipality_code: valueOf("municipality_code"),
    address: valueOf("address"),
    phone: valueOf("phone"),
    email: valueOf("email"),
    business_category: valueOf("business_category"),
    goods: valueOf("goods"),
    declarations: {},
    bank: {
      bank_code: valueOf("bank.bank_code"),
      branch_code: valueOf("bank.branch_code"),
      account_type: valueOf("bank.account_type"),
      account_number: valueOf("bank.account_number"),
      holder_kana: valueOf("bank.holder_kana")
    },
    website: document.getElementById("f-website").value
  };
  DECLARATIONS.forEach(function (d) { data.declarations[d] = el("declarations." + d).checked; });
  var prev = valueOf("previous_store_id");
  if (prev) data.previous_store_id = prev;
  if (!resubmitToken) data.client_token = clientToken;
  return data;
}

// Server field keys (dotted) → the field that shows them.
function fieldFor(key) {
  if (BY_NAME[key]) return key;
  if (key.indexOf("declarations") === 0) return "declarations";
  return null;
}

function focusField(name) {
  var target = controlsOf(name)[0];
  if (name === "entity_type") {
    target = form.querySelector("input[name=entity_type]:checked") || target;
  }
  if (!target) return;
  var box = target.closest(".field, fieldset.group") || target;
  box.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

function showSummary(items, message) {
  summaryList.textContent = "";
  summaryMsg.textContent = message || (items.length ? items.length + "件の項目を修正してください。" : "");
  items.forEach(function (item) {
    var li = document.createElement("li");
    if (item.field) {
      var a = document.createElement("a");
      a.href = "#" + idOf(item.field);
      a.textContent = (BY_NAME[item.field] ? BY_NAME[item.field].label + ": " : "") + item.message;
      a.addEventListener("click", function (e) { e.preventDefault(); focusField(item.field); });
      li.appendChild(a);
    } else {
      li.textContent = item.message;
    }
    summaryList.appendChild(li);
  });
  summary.hidden = false;
  summary.scrollIntoView({ block: "start" });
  summary.focus({ preventScroll: true });
}

function hideSummary() { summary.hidden = true; summaryList.textContent = ""; }

function validateAll() {
  var problems = [];
  FIELDS.forEach(function (f) {
    normalise(f.name);
    touched[f.name] = true;
    var message = validate(f.name);
    if (message) problems.push({ field: f.name, message: message });
  });
  return problems;
}

function sendLabel() { return resubmitToken ? "この内容で再送信する" : "この内容で申し込む"; }

function setSending(on) {
  sending = on;
  [sendBtn, document.getElementById("review-back")].forEach(function (b) {
    b.disabled = on;
    b.setAttribute("aria-disabled", on ? "true" : "false");
  });
  sendBtn.textContent = on ? "送信しています…" : sendLabel();
  review.setAttribute("aria-busy", on ? "true" : "false");
}

// The review step: the form gives way to a read-only summary until the applicant sends or goes back.
function showReview() {
  closeFinders();
  fillReview(body());
  ["apply-form", "lead", "draft-notice"].forEach(function (id) { document.getElementById(id).hidden = true; });
  statusEl.textContent = "";
  sendBtn.textContent = sendLabel();
  review.hidden = false;
  window.scrollTo(0, 0);
  review.focus();
}

function backToForm() {
  review.hidden = true;
  form.hidden = false;
  document.getElementById("lead").hidden = !!resubmitToken;
}

function handleFailure(status, payload) {
  backToForm();
  var err = payload && payload.error ? payload.error : null;
  var fields = err && err.fields ? err.fields : {};
  var items = [];
  var seen = {};
  Object.keys(fields).forEach(function (key) {
    var name = fieldFor(key);
    if (name && !seen[name]) {
      seen[name] = true;
      touched[name] = true;
      showError(name, fields[key]);
      items.push({ field: name, message: fields[key] });
    } else if (!name) {
      items.push({ message: fields[key] });
    }
  });
  var message;
  if (status === 410) {
    linkProblem("修正用リンクの有効期限が切れています",
                (err && err.message) || "修正用リンクの有効期限が切れています。事務局までお問い合わせください。");
    return;
  }
  if (status === 409 && resubmitToken) {
    linkProblem("この修正用リンクは使用済みです",
                (err && err.message) || "この修正用リンクは既に使用済みか、無効になっています。");
    return;
  }
  if (status === 413) message = "送信内容が大きすぎます。入力内容を短くしてください。";
  else if (status === 429) message = "ただいま混み合っています。しばらく待ってからもう一度送信してください。";
  else if (status >= 500 || !err) message = "システムで問題が起きたため送信できませんでした。時間をおいてもう一度送信してください。";
  else message = err.message + (items.length ? "。次の項目を確認してください。" : "");
  showSummary(items, message);
}

function showDone(payload, email) {
  document.getElementById("form-area").hidden = true;
  document.getElementById("resubmit-banner").hidden = true;
  var done = document.getElementById("done");
  document.getElementById("done-id").textContent = payload.application_id || "";
  if (resubmitToken) {
    document.getElementById("done-title").textContent = "修正したお申し込みを受け付けました";
    if (payload.revision) {
      var rev = document.getElementById("done-revision");
      rev.textContent = "修正後の内容（第" + payload.revision + "版）で、もう一度審査します。";
      rev.hidden = false;
    }
  }
  document.getElementById("done-mail").textContent =
    "受付確認のメールを " + email + " にお送りしました。届かない場合は迷惑メールフォルダもご確認ください。";
  document.getElementById("page-title").textContent = resubmitToken ? "修正の受付完了" : "お申し込みの受付完了";
  document.title = "受付完了 | みやぎポイント";
  done.hidden = false;
  window.scrollTo(0, 0);
  document.getElementById("done-title").focus();
}

form.addEventListener("submit", function (e) {
  e.preventDefault();
  if (sending) return;
  // The kana fields are asked about once more (a typed value may not have been checked yet).
  var checking = document.getElementById("form-status");
  checking.textContent = "入力内容を確認しています…";
  checkAllKana().then(function () {
    checking.textContent = "";
    var problems = validateAll();
    if (problems.length) {
      showSummary(problems);
      return;
    }
    hideSummary();
    showReview();
  });
});

document.getElementById("review-back").addEventListener("click", function () {
  backToForm();
  submitBtn.scrollIntoView({ block: "center" });
  submitBtn.focus({ preventScroll: true });
});

sendBtn.addEventListener("click", function () {
  if (sending) return;
  var data = body();
  var url = resubmitToken ? "resubmission" : "applications";
  var headers = { "Content-Type": "application/json", "Accept": "application/json" };
  if (resubmitToken) headers[TOKEN_HEADER] = resubmitToken;
  setSending(true);
  statusEl.textContent = "送信しています。画面を閉じずにお待ちください…";
  fetch(BASE + url, {
    method: "POST",
    headers: headers,
    body: JSON.stringify(data)
  }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (payload) {
      statusEl.textContent = "";
      setSending(false);
      if (res.ok && payload && payload.application_id) {
        markSent();
        if (resubmitToken) forgetCorrectionToken();
        showDone(payload, data.email);
        return;
      }
      handleFailure(res.status, payload);
    });
  }, function () {
    setSending(false);
    statusEl.textContent = "通信できませんでした。インターネットへの接続を確認して、もう一度「" + sendLabel() +
      "」を押してください（入力内容はそのまま残っています）。";
  });
});

document.getElementById("print-btn").addEventListener("click", function () { window.print(); });

// Resubmission: the applicant opens the link from the "please correct" e-mail.
function linkToken() {
  return new URLSearchParams(location.hash.replace(/^#/, "")).get("t");
}

function takeCorrectionToken() {
  var fromLink = linkToken();
  var stored = null;
  try {
    if (fromLink) sessionStorage.setItem(TOKEN_KEY, fromLink);
    stored = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) { stored = null; /* storage disabled: the token stays in the address bar */ }
  if (fromLink && stored === fromLink) history.replaceState(null, "", location.pathname + location.search);
  return fromLink || stored || null;
}

function forgetCorrectionToken() {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing stored */ }
}

function linkProblem(title, message) {
  document.getElementById("form-area").hidden = true;
  document.getElementById("resubmit-banner").hidden = true;
  document.getElementById("loading").hidden = true;
  document.getElementById("link-problem-title").textContent = title;
  document.getElementById("link-problem-message").textContent = message;
  document.getElementById("link-new").href = BASE + "apply";
  var box = document.getElementById("link-problem");
  box.hidden = false;
  box.focus();
}

function setValue(name, value) {
  var input = el(name);
  if (input && value !== undefined && value !== null) input.value = String(value);
}

function prefill(payload) {
  var d = payload.data || {};
  ["store_name", "store_name_kana", "representative", "postal_code", "municipality_code", "address", "phone",
   "email", "business_category", "goods", "previous_store_id"].forEach(function (k) { setValue(k, d[k]); });
  var radio = form.querySelector("input[name=entity_type][value=" + JSON.stringify(d.entity_type || "") + "]");
  if (radio) radio.checked = true;
  var b = d.bank || {};
  setValue("bank.bank_code", b.bank_code);
  setValue("bank.branch_code", b.branch_code);
  setValue("bank.account_type", b.account_type);
  setValue("bank.account_number", "");
  setValue("bank.holder_kana", b.holder_kana);
  DECLARATIONS.forEach(function (k) { el("declarations." + k).checked = !!(d.declarations || {})[k]; });
  document.getElementById("resubmit-id").textContent = payload.application_id || "";
  document.getElementById("resubmit-reason").textContent = payload.reason || "（記載なし）";
  document.getElementById("resubmit-masked").textContent = b.account_number_masked || "—";
  var hint = document.getElementById("f-bank-account_number-hint");
  hint.textContent = "安全のため、口座番号をもう一度入力してください（前回: " + (b.account_number_masked || "—") +
    "）。7桁に満たない場合は先頭に 0 を付けてください。";
  lookupBank();
}

function openResubmission() {
  document.getElementById("page-title").textContent = "お申し込み内容の修正";
  document.title = "お申し込み内容の修正 | みやぎポイント";
  document.getElementById("lead").hidden = true;
  document.getElementById("form-area").hidden = true;
  document.getElementById("loading").hidden = false;
  submitBtn.textContent = "修正内容を確認する";
  var tokenHeader = {};
  tokenHeader[TOKEN_HEADER] = resubmitToken;
  getJSON("resubmission", tokenHeader).then(function (result) {
    document.getElementById("loading").hidden = true;
    if (result.ok && result.body) {
      prefill(result.body);
      document.getElementById("resubmit-banner").hidden = false;
      document.getElementById("form-area").hidden = false;
      return;
    }
    var message = result.body && result.body.error ? result.body.error.message : "";
    if (result.status === 410) {
      linkProblem("修正用リンクの有効期限が切れています", message || "事務局までお問い合わせください。");
    } else if (result.status === 409) {
      linkProblem("この修正用リンクは使用済みです",
                  (message || "このリンクは既に使用済みか、無効になっています。") +
                  " 修正内容を送信済みの場合は、審査の結果をお待ちください。");
    } else if (result.status === 422 || result.status === 400 || result.status === 404) {
      linkProblem("修正用リンクが正しくありません",
                  "メールに記載されたリンクを、途中で切れないようにそのまま開いてください。");
    } else {
      linkProblem("修正用リンクを開けませんでした", "時間をおいてもう一度開いてください。");
    }
  }, function () {
    linkProblem("修正用リンクを開けませんでした", "インターネットへの接続を確認して、もう一度開いてください。");
  });
}

document.getElementById("draft-clear").addEventListener("click", function () {
  form.reset();
  clearDraft();
  forgetChanges();
  lookupBank();
  document.getElementById("draft-notice").hidden = true;
  el("store_name").focus();
});

DECLARATIONS.forEach(function (key) { document.getElementById("decl-" + key).textContent = DECLARATION_LABELS[key]; });
groupAreas();
// A new application's draft lives in this browser; a correction's data comes from the server by its link.
startDrafts(!correcting);
if (!correcting && restoreDraft()) {
  document.getElementById("draft-notice").hidden = false;
  lookupBank();
}
// The mail link opened again in this tab only changes the fragment: start over with its token.
if (correcting) window.addEventListener("hashchange", function () { if (linkToken()) location.reload(); });
if (resubmitToken) openResubmission();
else if (correcting) {
  linkProblem("修正用リンクが正しくありません",
              "メールに記載されたリンクを、途中で切れないように末尾までそのまま開いてください。");
}
