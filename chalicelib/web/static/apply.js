// The public application form (/apply) and its correction page (/apply/correct).
"use strict";

// API root: the directory of this page (works at /apply, /apply/correct and under /api/ in the cloud).
var BASE = location.pathname.replace(/apply\/correct\/?$/, "").replace(/[^/]*$/, "");
// The correction page (/apply/correct#t=<token>, the link e-mailed with a return for correction):
// the token lives in the URL fragment, which the browser never sends, and goes to the API only in
// the X-Correction-Token header — so no request line or access log ever carries it. It is moved
// to this tab's sessionStorage and out of the address bar (and history); a reload still works.
var TOKEN_HEADER = "X-Correction-Token";
var TOKEN_KEY = "miyapo.correction-token";
var correcting = /\/apply\/correct\/?$/.test(location.pathname);
var resubmitToken = correcting ? takeCorrectionToken() : null;
var clientToken = makeClientToken();

var form = document.getElementById("apply-form");
var submitBtn = document.getElementById("submit-btn");
var statusEl = document.getElementById("form-status");
var summary = document.getElementById("error-summary");
var summaryList = document.getElementById("error-summary-list");
var summaryMsg = document.getElementById("error-summary-message");
var sending = false;
var touched = {};
var lookupErrors = {};

var REGION_ORDER = ["仙台", "仙南", "大崎", "栗原", "登米", "石巻", "気仙沼・本吉"];

// Every field: dotted server name, label and what to check.
var FIELDS = [
  { name: "store_name", label: "店舗名", max: 100 },
  { name: "store_name_kana", label: "店舗名（フリガナ）", max: 100 },
  { name: "entity_type", label: "事業者の区分", kind: "radio",
    msg: "「法人」または「個人事業主」を選んでください" },
  { name: "representative", label: "代表者名", max: 60 },
  { name: "business_category", label: "業種", max: 50 },
  { name: "goods", label: "取扱商品・サービス", max: 500 },
  { name: "postal_code", label: "郵便番号", kind: "postal",
    msg: "郵便番号は7桁の数字で入力してください（例: 980-8570）" },
  { name: "municipality_code", label: "市区町村", kind: "select", msg: "市区町村を一覧から選んでください" },
  { name: "address", label: "住所", max: 200 },
  { name: "phone", label: "電話番号", kind: "phone",
    msg: "電話番号は市外局番から10桁または11桁の数字で入力してください" },
  { name: "email", label: "メールアドレス", kind: "email", max: 254,
    msg: "メールアドレスの形式が正しくありません（例: info@example.jp）" },
  { name: "bank.bank_code", label: "金融機関コード", kind: "digits", len: 4,
    msg: "金融機関コードは4桁の数字で入力してください" },
  { name: "bank.branch_code", label: "支店コード", kind: "digits", len: 3,
    msg: "支店コードは3桁の数字で入力してください" },
  { name: "bank.account_type", label: "預金種目", kind: "select", msg: "預金種目を選んでください" },
  { name: "bank.account_number", label: "口座番号", kind: "digits", len: 7,
    msg: "口座番号は7桁の数字で入力してください（7桁未満の場合は先頭を0で埋めてください）" },
  { name: "bank.holder_kana", label: "口座名義（カナ）", max: 60 },
  { name: "previous_store_id", label: "昨年度の店舗ID", kind: "storeid", optional: true,
    msg: "昨年度の店舗IDは MP で始まる8文字です（例: MP000123）" },
  { name: "declarations", label: "誓約事項", kind: "declarations", msg: "すべての誓約事項に同意してください" }
];
var BY_NAME = {};
FIELDS.forEach(function (f) { BY_NAME[f.name] = f; });
var DECLARATIONS = ["no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms"];
var CODE_FIELDS = ["postal_code", "phone", "bank.bank_code", "bank.branch_code", "bank.account_number",
                   "previous_store_id"];

function idOf(name) { return "f-" + name.replace(/\./g, "-"); }
function el(name) { return document.getElementById(idOf(name)); }
function errEl(name) { return document.getElementById(idOf(name) + "-err"); }

function makeClientToken() {
  var raw = "";
  try {
    if (window.crypto && crypto.randomUUID) raw = crypto.randomUUID();
    else if (window.crypto && crypto.getRandomValues) {
      var a = new Uint8Array(16); crypto.getRandomValues(a);
      raw = Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    }
  } catch (e) { raw = ""; }
  if (!raw) raw = Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  return raw.replace(/[^A-Za-z0-9]/g, "").slice(0, 64);
}

// Full-width digits/letters/hyphens → half-width; only for code-like fields.
function toHalfWidth(value) {
  var s = value.normalize ? value.normalize("NFKC") : value;
  return s.replace(/[ー－―‐−‑–—]/g, "-").replace(/\u3000/g, " ");
}

function normalise(name) {
  var input = el(name);
  if (!input || CODE_FIELDS.indexOf(name) < 0) return;
  var v = toHalfWidth(input.value);
  if (name === "postal_code") v = v.replace(/^〒\s*/, "").replace(/\s+/g, "");
  if (name === "bank.bank_code" || name === "bank.branch_code" || name === "bank.account_number") {
    v = v.replace(/[\s-]/g, "");
  }
  if (name === "previous_store_id") v = v.replace(/\s+/g, "").toUpperCase();
  if (v !== input.value) input.value = v;
}

function valueOf(name) {
  if (name === "entity_type") {
    var checked = form.querySelector("input[name=entity_type]:checked");
    return checked ? checked.value : "";
  }
  var input = el(name);
  return input && typeof input.value === "string" ? input.value.trim() : "";
}

// The first problem with a field, or "" when it is fine.
function check(name) {
  var f = BY_NAME[name];
  var v = valueOf(name);
  if (f.kind === "declarations") {
    var all = DECLARATIONS.every(function (d) { return el("declarations." + d).checked; });
    return all ? "" : f.msg;
  }
  if (!v) {
    if (f.optional) return "";
    if (f.kind === "radio" || f.kind === "select") return f.msg;
    return f.label + "を入力してください";
  }
  if (f.max && v.length > f.max) return f.label + "は" + f.max + "文字以内で入力してください";
  switch (f.kind) {
    case "postal":
      if (!/^\d{3}-?\d{4}$/.test(v)) return f.msg;
      break;
    case "phone": {
      var digits = v.replace(/\D/g, "");
      if (!/^[0-9()\- ]{10,16}$/.test(v) || digits.charAt(0) !== "0" || digits.indexOf("00") === 0 ||
          (digits.length !== 10 && digits.length !== 11)) return f.msg;
      break;
    }
    case "email":
      if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(v) ||
          v.indexOf("..") >= 0) return f.msg;
      break;
    case "digits":
      if (!new RegExp("^\\d{" + f.len + "}$").test(v)) return f.msg;
      break;
    case "storeid":
      if (!/^MP\d{6}$/.test(v)) return f.msg;
      break;
  }
  if (lookupErrors[name]) return lookupErrors[name];
  return "";
}

function controlsOf(name) {
  if (name === "entity_type") return Array.prototype.slice.call(form.querySelectorAll("input[name=entity_type]"));
  if (name === "declarations") return DECLARATIONS.map(function (d) { return el("declarations." + d); });
  return [el(name)];
}

function showError(name, message) {
  var target = errEl(name);
  if (!target) return false;
  target.textContent = message || "";
  controlsOf(name).forEach(function (c) {
    if (!c) return;
    if (message) c.setAttribute("aria-invalid", "true"); else c.removeAttribute("aria-invalid");
  });
  var group = el(name);
  if (group && group.tagName === "FIELDSET") {
    if (message) group.setAttribute("aria-invalid", "true"); else group.removeAttribute("aria-invalid");
  }
  return true;
}

function validate(name) {
  var message = check(name);
  showError(name, message);
  if (name === "postal_code") postalNote();
  return message;
}

function postalNote() {
  var note = document.getElementById("f-postal_code-note");
  var v = valueOf("postal_code").replace("-", "");
  var prefix = /^\d{7}$/.test(v) ? parseInt(v.slice(0, 3), 10) : null;
  note.textContent = prefix !== null && (prefix < 980 || prefix > 989)
    ? "宮城県の郵便番号（980〜989で始まる番号）ではないようです。店舗の所在地の郵便番号かご確認ください。" : "";
}

// Validate as the user types: on leaving a field, and live once it has been left once.
FIELDS.forEach(function (f) {
  controlsOf(f.name).forEach(function (c) {
    if (!c) return;
    var key = f.name;
    c.addEventListener("blur", function () {
      normalise(key);
      if (f.kind === "radio" || f.kind === "declarations") {
        if (touched[key]) validate(key);
        return;
      }
      if (c.value || touched[key]) { touched[key] = true; validate(key); }
    });
    c.addEventListener("input", function (e) {
      if (e.isComposing) return;
      if (key === "bank.bank_code" || key === "bank.branch_code" || key === "bank.account_number") normalise(key);
      if (touched[key]) validate(key);
    });
    c.addEventListener("change", function () {
      if (f.kind === "radio" || f.kind === "select" || f.kind === "declarations") { touched[key] = true; validate(key); }
    });
    c.addEventListener("compositionend", function () { if (touched[key]) validate(key); });
  });
});

// Bank and branch names, live from the bank master.
var bankCache = {};
var branchCache = {};
var bankInput = el("bank.bank_code");
var branchInput = el("bank.branch_code");
var bankName = document.getElementById("f-bank-bank_code-name");
var branchName = document.getElementById("f-bank-branch_code-name");
var bankFound = false;

function getJSON(path, extraHeaders) {
  var headers = { "Accept": "application/json" };
  Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
  return fetch(BASE + path, { headers: headers }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (body) {
      return { status: res.status, ok: res.ok, body: body };
    });
  });
}

function lookupBank() {
  var code = bankInput.value.trim();
  bankFound = false;
  bankName.textContent = "";
  delete lookupErrors["bank.bank_code"];
  if (!/^\d{4}$/.test(code)) { lookupBranch(); return; }
  var done = function (result) {
    if (bankInput.value.trim() !== code) return;
    bankCache[code] = result;
    if (result.ok && result.body) {
      bankFound = true;
      bankName.textContent = "金融機関名: " + result.body.name;
      showError("bank.bank_code", "");
    } else if (result.status === 404) {
      lookupErrors["bank.bank_code"] = "この金融機関コードは見つかりません。通帳などでご確認ください";
      touched["bank.bank_code"] = true;
      showError("bank.bank_code", lookupErrors["bank.bank_code"]);
    }
    lookupBranch();
  };
  if (bankCache[code]) { done(bankCache[code]); return; }
  getJSON("lookup/banks/" + code).then(done, function () { /* offline: the server checks it on submit */ });
}

function lookupBranch() {
  var bank = bankInput.value.trim();
  var code = branchInput.value.trim();
  branchName.textContent = "";
  delete lookupErrors["bank.branch_code"];
  if (!bankFound || !/^\d{3}$/.test(code)) {
    if (touched["bank.branch_code"]) validate("bank.branch_code");
    return;
  }
  var key = bank + "/" + code;
  var done = function (result) {
    if (bankInput.value.trim() !== bank || branchInput.value.trim() !== code) return;
    branchCache[key] = result;
    if (result.ok && result.body) {
      branchName.textContent = "支店名: " + result.body.name;
      showError("bank.branch_code", "");
    } else if (result.status === 404) {
      var bn = bankCache[bank] && bankCache[bank].body ? bankCache[bank].body.name : "この金融機関";
      lookupErrors["bank.branch_code"] = bn + "にこの支店コードは見つかりません。通帳などでご確認ください";
      touched["bank.branch_code"] = true;
      showError("bank.branch_code", lookupErrors["bank.branch_code"]);
    }
  };
  if (branchCache[key]) { done(branchCache[key]); return; }
  getJSON("lookup/banks/" + bank + "/branches/" + code).then(done, function () {});
}

bankInput.addEventListener("input", lookupBank);
bankInput.addEventListener("change", lookupBank);
branchInput.addEventListener("input", lookupBranch);
branchInput.addEventListener("change", lookupBranch);

// Municipalities grouped by region (the plain list stays when scripts or data are missing).
function groupAreas() {
  var holder = document.getElementById("areas-data");
  var areas;
  try { areas = JSON.parse(holder.getAttribute("data-areas") || "[]"); } catch (e) { return; }
  if (!areas.length) return;
  var select = el("municipality_code");
  var current = select.value;
  var regions = REGION_ORDER.slice();
  areas.forEach(function (a) { if (regions.indexOf(a.region) < 0) regions.push(a.region); });
  while (select.options.length > 1) select.remove(1);
  regions.forEach(function (region) {
    var members = areas.filter(function (a) { return a.region === region; });
    if (!members.length) return;
    var group = document.createElement("optgroup");
    group.label = region + "地域";
    members.forEach(function (a) {
      var o = document.createElement("option");
      o.value = a.code; o.textContent = a.name;
      group.appendChild(o);
    });
    select.appendChild(group);
  });
  select.value = current;
}

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

function setSending(on) {
  sending = on;
  submitBtn.disabled = on;
  submitBtn.setAttribute("aria-disabled", on ? "true" : "false");
  submitBtn.textContent = on ? "送信しています…" : (resubmitToken ? "修正して再送信する" : "申し込む");
  form.setAttribute("aria-busy", on ? "true" : "false");
}

function handleFailure(status, payload) {
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
  statusEl.textContent = "";
  var problems = validateAll();
  if (problems.length) {
    showSummary(problems);
    return;
  }
  hideSummary();
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
      if (res.ok && payload && payload.application_id) {
        if (resubmitToken) forgetCorrectionToken();
        showDone(payload, data.email);
        return;
      }
      setSending(false);
      handleFailure(res.status, payload);
    });
  }, function () {
    setSending(false);
    statusEl.textContent = "";
    showSummary([], "通信できませんでした。インターネットへの接続を確認して、もう一度「" + submitBtn.textContent + "」を押してください（入力内容はそのまま残っています）。");
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
  submitBtn.textContent = "修正して再送信する";
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

groupAreas();
// The mail link opened again in this tab only changes the fragment: start over with its token.
if (correcting) window.addEventListener("hashchange", function () { if (linkToken()) location.reload(); });
if (resubmitToken) openResubmission();
else if (correcting) {
  linkProblem("修正用リンクが正しくありません",
              "メールに記載されたリンクを、途中で切れないように末尾までそのまま開いてください。");
}
