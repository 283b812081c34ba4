// The application form's fields: what each is, how it is normalised and checked, the bank and
// branch lookups and the grouped municipalities. The form itself (sending, corrections): apply.js.

// API root: the directory of this page (works at /apply, /apply/correct and under /api/ in the cloud).
export var BASE = location.pathname.replace(/apply\/correct\/?$/, "").replace(/[^/]*$/, "");
export var form = document.getElementById("apply-form");
export var touched = {};
export var lookupErrors = {};

export var REGION_ORDER = ["仙台", "仙南", "大崎", "栗原", "登米", "石巻", "気仙沼・本吉"];

// Every field: dotted server name, label and what to check.
export var FIELDS = [
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
export var BY_NAME = {};
FIELDS.forEach(function (f) { BY_NAME[f.name] = f; });
export var DECLARATIONS = ["no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms"];
export var CODE_FIELDS = ["postal_code", "phone", "bank.bank_code", "bank.branch_code", "bank.account_number",
                   "previous_store_id"];

export function idOf(name) { return "f-" + name.replace(/\./g, "-"); }
export function el(name) { return document.getElementById(idOf(name)); }
export function errEl(name) { return document.getElementById(idOf(name) + "-err"); }

export function makeClientToken() {
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
export function toHalfWidth(value) {
  var s = value.normalize ? value.normalize("NFKC") : value;
  return s.replace(/[ー－―‐−‑–—]/g, "-").replace(/\u3000/g, " ");
}

export function normalise(name) {
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

export function valueOf(name) {
  if (name === "entity_type") {
    var checked = form.querySelector("input[name=entity_type]:checked");
    return checked ? checked.value : "";
  }
  var input = el(name);
  return input && typeof input.value === "string" ? input.value.trim() : "";
}

// The first problem with a field, or "" when it is fine.
export function check(name) {
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

export function controlsOf(name) {
  if (name === "entity_type") return Array.prototype.slice.call(form.querySelectorAll("input[name=entity_type]"));
  if (name === "declarations") return DECLARATIONS.map(function (d) { return el("declarations." + d); });
  return [el(name)];
}

export function showError(name, message) {
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

export function validate(name) {
  var message = check(name);
  showError(name, message);
  if (name === "postal_code") postalNote();
  return message;
}

export function postalNote() {
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
export var bankCache = {};
export var branchCache = {};
export var bankInput = el("bank.bank_code");
export var branchInput = el("bank.branch_code");
export var bankName = document.getElementById("f-bank-bank_code-name");
export var branchName = document.getElementById("f-bank-branch_code-name");
export var bankFound = false;

export function getJSON(path, extraHeaders) {
  var headers = { "Accept": "application/json" };
  Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
  return fetch(BASE + path, { headers: headers }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (body) {
      return { status: res.status, ok: res.ok, body: body };
    });
  });
}

export function lookupBank() {
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

export function lookupBranch() {
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
export function groupAreas() {
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
