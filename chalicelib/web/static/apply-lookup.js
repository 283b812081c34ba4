// The form's helpers that ask the server: kana checked as the server checks it (POST lookup/kana, the
// server's own rule and message) and banks and branches found by name (GET lookup/banks?q=…).
import { BASE, bankInput, branchInput, el, getJSON, idOf, lookupBank, lookupBranch, lookupErrors, touched, validate } from "./apply-fields.js";

export var KANA_FIELDS = ["store_name_kana", "bank.holder_kana"];
var PREVIEW = { "store_name_kana": "登録されるフリガナ: ", "bank.holder_kana": "振込データでの口座名義: " };
var kanaTimers = {};
// What the server said it will store for a kana field's value: { value, normalized } (the review shows it).
export var normalizedKana = {};
var kanaSeq = {};

// Ask the server about one kana field; resolves once its answer (if any) is shown.
export function checkKana(name) {
  clearTimeout(kanaTimers[name]);
  var input = el(name);
  var value = input.value;
  var preview = document.getElementById(idOf(name) + "-preview");
  var my = (kanaSeq[name] = (kanaSeq[name] || 0) + 1);
  if (!value.trim()) {
    delete lookupErrors[name];
    preview.textContent = "";
    return Promise.resolve();
  }
  return fetch(BASE + "lookup/kana", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify({ field: name, value: value })
  }).then(function (res) { return res.ok ? res.json() : null; }).then(function (answer) {
    if (!answer || my !== kanaSeq[name] || input.value !== value) return;
    if (answer.ok) {
      normalizedKana[name] = { value: value.trim(), normalized: answer.normalized };
      delete lookupErrors[name];
      preview.textContent = PREVIEW[name] + answer.normalized;
    } else {
      lookupErrors[name] = answer.message;
      preview.textContent = "";
      touched[name] = true;
    }
    if (touched[name]) validate(name);
  }, function () { /* offline: the server checks it again on submit */ });
}

export function checkAllKana() {
  return Promise.all(KANA_FIELDS.map(checkKana));
}

KANA_FIELDS.forEach(function (name) {
  var input = el(name);
  input.addEventListener("input", function (e) {
    // A stale answer must not stay on screen while the applicant corrects the text.
    delete lookupErrors[name];
    document.getElementById(idOf(name) + "-preview").textContent = "";
    if (e.isComposing) return;
    clearTimeout(kanaTimers[name]);
    kanaTimers[name] = setTimeout(function () { checkKana(name); }, 350);
  });
  input.addEventListener("compositionend", function () {
    clearTimeout(kanaTimers[name]);
    kanaTimers[name] = setTimeout(function () { checkKana(name); }, 350);
  });
  input.addEventListener("blur", function () { checkKana(name); });
});

// Type-ahead: a search box, a list of buttons, a status line read out by screen readers.
function finder(prefix, url, describe, pick) {
  var input = document.getElementById(prefix + "-search");
  var list = document.getElementById(prefix + "-results");
  var status = document.getElementById(prefix + "-search-status");
  var timer = null;
  var seq = 0;

  function close() { list.hidden = true; list.textContent = ""; }

  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = describe(item);
      b.addEventListener("click", function () { close(); input.value = ""; status.textContent = ""; pick(item); });
      b.addEventListener("keydown", function (e) { move(e, li); });
      li.appendChild(b);
      list.appendChild(li);
    });
    list.hidden = !items.length;
  }

  function move(e, li) {
    var target = null;
    if (e.key === "ArrowDown") target = li.nextElementSibling;
    else if (e.key === "ArrowUp") target = li.previousElementSibling;
    else if (e.key === "Escape") { close(); input.focus(); e.preventDefault(); return; }
    else return;
    e.preventDefault();
    if (target) target.querySelector("button").focus();
    else if (e.key === "ArrowUp") input.focus();
  }

  function search() {
    var q = input.value.trim();
    var my = ++seq;
    if (!q) { close(); status.textContent = ""; return; }
    var path = url(q);
    if (!path) { close(); return; }
    getJSON(path).then(function (result) {
      if (my !== seq) return;
      if (!result.ok || !result.body) {
        close();
        status.textContent = result.body && result.body.error ? result.body.error.message : "検索できませんでした";
        return;
      }
      var items = result.body.items || [];
      show(items);
      status.textContent = items.length
        ? items.length + "件の候補があります" + (items.length >= result.body.limit ? "（上位" + result.body.limit + "件）" : "") + "。選ぶとコードが入ります。"
        : "見つかりませんでした。別の言葉（ひらがな・カタカナでも可）でお試しください。";
    }, function () { if (my === seq) status.textContent = "通信できませんでした。コードを直接入力してください。"; });
  }

  input.addEventListener("input", function (e) {
    if (e.isComposing) return;
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("compositionend", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); search(); }
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); list.querySelector("button").focus(); }
    if (e.key === "Escape") close();
  });
  return { input: input, status: status, close: close };
}

var bankFinder = finder("bank", function (q) { return "lookup/banks?q=" + encodeURIComponent(q); },
  function (b) { return b.name + "（" + b.bank_code + "）"; },
  function (b) {
    bankInput.value = b.bank_code;
    touched["bank.bank_code"] = true;
    lookupBank();
    validate("bank.bank_code");
    branchFinder.input.focus();
  });

var branchFinder = finder("branch", function (q) {
  var bank = bankInput.value.trim();
  if (!/^\d{4}$/.test(bank)) {
    branchFinder.status.textContent = "先に金融機関を選ぶか、金融機関コードを入力してください。";
    return null;
  }
  return "lookup/banks/" + bank + "/branches?q=" + encodeURIComponent(q);
}, function (b) { return b.name + "（" + b.branch_code + "）"; },
  function (b) {
    branchInput.value = b.branch_code;
    touched["bank.branch_code"] = true;
    lookupBranch();
    validate("bank.branch_code");
    el("bank.account_type").focus();
  });

export function closeFinders() { bankFinder.close(); branchFinder.close(); }
