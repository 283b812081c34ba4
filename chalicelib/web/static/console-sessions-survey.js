// Fast entry of paper survey forms, keyboard only: each question is a box for its number keys
// (年代 1–7 and 満足度 1–5 move on by themselves; 目的 and できたこと take several digits, e.g. "13"),
// Enter registers the form (Ctrl+Enter in the free text) and the form resets for the next sheet.
import { api, h } from "./client.js";
import { setFlash } from "./console-kit.js";
import { act, fieldErrors } from "./console-forms.js";
import { AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS } from "./console-sessions-kit.js";

var SATISFACTION = SATISFACTION_LEVELS.map(function (n) { return [String(n), String(n)]; });
var QUESTIONS = [
  { key: "age_band", label: "年代", pairs: AGE_BANDS, multi: false },
  { key: "purposes", label: "来られた目的（複数可）", pairs: PURPOSES, multi: true },
  { key: "could_do", label: "できるようになったこと（複数可）", pairs: COULD_DO, multi: true },
  { key: "satisfaction", label: "満足度（1 不満〜5 満足）", pairs: SATISFACTION, multi: false }
];

// The digits typed → the answer codes (each digit the n-th choice, in order, once); null when a digit is out of range.
function parse(q, text) {
  var out = [];
  for (var i = 0; i < text.length; i++) {
    var n = Number(text.charAt(i));
    if (!(n >= 1 && n <= q.pairs.length)) return null;
    var code = q.pairs[n - 1][0];
    if (out.indexOf(code) < 0) out.push(code);
    if (!q.multi) break;
  }
  return out;
}

// One token per paper sheet: a double submit (Enter pressed twice, a retry after a lost answer) stores it once.
function sheetToken() {
  var a = new Uint8Array(16);
  window.crypto.getRandomValues(a);
  return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
}

export function surveyEntry(s) {
  var entered = 0, token = sheetToken();
  var inputs = {}, chips = {};
  var errors = h("div", { id: "survey-errors" });
  var counter = h("p", { "class": "counter", id: "survey-counter", "aria-live": "polite", text: "この画面で入力した枚数：0枚" });
  var button = h("button", { type: "submit", "class": "primary", id: "survey-save", text: "登録（Enter）" });

  function sync(q) {
    var codes = parse(q, inputs[q.key].value) || [];
    chips[q.key].forEach(function (chip) {
      var on = codes.indexOf(chip.getAttribute("data-code")) >= 0;
      chip.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function box(q, i) {
    var input = h("input", { type: "text", name: q.key, id: "sv-" + q.key, inputmode: "numeric", autocomplete: "off",
      maxlength: q.multi ? String(q.pairs.length) : "1", "class": "code", "aria-describedby": "sv-" + q.key + "-keys sv-" + q.key + "-err" });
    inputs[q.key] = input;
    chips[q.key] = q.pairs.map(function (p, n) {
      return h("button", { type: "button", "class": "chip", tabindex: "-1", "data-code": p[0], "aria-pressed": "false",
        onclick: function () {
          var digit = String(n + 1);
          var v = input.value;
          input.value = q.multi ? (v.indexOf(digit) >= 0 ? v.replace(digit, "") : v + digit) : digit;
          sync(q);
          input.focus();
        } }, h("kbd", { text: String(n + 1) }), " " + p[1]);
    });
    input.addEventListener("input", function () {
      input.value = input.value.normalize("NFKC").replace(/[^0-9]/g, "");
      sync(q);
      // Single answers move on to the next box as soon as a valid digit is typed.
      if (!q.multi && parse(q, input.value) && input.value.length === 1) {
        var next = i + 1 < QUESTIONS.length ? inputs[QUESTIONS[i + 1].key] : inputs.needs;
        next.focus();
      }
    });
    return h("div", { "class": "field sv-q" },
      h("label", { "for": input.id, text: q.label }), input,
      h("div", { "class": "chips", id: "sv-" + q.key + "-keys" }, chips[q.key]),
      h("p", { "class": "err", id: input.id + "-err" }));
  }

  var questionBoxes = QUESTIONS.map(box);
  inputs.needs = h("textarea", { name: "needs", id: "sv-needs", maxlength: "1000", "aria-describedby": "sv-needs-hint sv-needs-err" });

  function reset() {
    QUESTIONS.forEach(function (q) { inputs[q.key].value = ""; sync(q); });
    inputs.needs.value = "";
    inputs.age_band.focus();
  }
  function body() {
    var b = {};
    QUESTIONS.forEach(function (q) {
      var codes = parse(q, inputs[q.key].value) || [];
      if (q.multi) b[q.key] = codes;
      else if (q.key === "satisfaction") b[q.key] = codes.length ? Number(codes[0]) : null;
      else b[q.key] = codes.length ? codes[0] : "";
    });
    b.needs = inputs.needs.value.trim();
    b.client_token = token;
    return b;
  }

  var form = h("form", { id: "survey-form", "class": "survey-entry", novalidate: true, autocomplete: "off", onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    act(button, function () {
      return api("sessions/" + encodeURIComponent(s.session_id) + "/surveys", { method: "POST", body: body() }).then(function () {
        button.disabled = false;
        entered += 1;
        token = sheetToken();
        counter.textContent = "この画面で入力した枚数：" + entered + "枚";
        setFlash("ok", entered + "枚目のアンケートを登録しました。次の用紙をどうぞ。");
        reset();
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } },
    h("p", { "class": "keys" }, "数字キーで入力：年代・満足度は1けた（自動で次へ）、目的・できたことは複数けた（例 13）。",
      h("kbd", { text: "Tab" }), " 次へ ・ ", h("kbd", { text: "Enter" }), " 登録して次の用紙 ・ 自由記述では ",
      h("kbd", { text: "Ctrl" }), "+", h("kbd", { text: "Enter" })),
    errors, counter,
    h("div", { "class": "sv-grid" }, questionBoxes),
    h("div", { "class": "field" }, h("label", { "for": "sv-needs", text: "ご意見・困っていること（自由記述）" }),
      h("p", { "class": "hint", id: "sv-needs-hint", text: "用紙に氏名や電話番号が書かれていても、入力しないでください（電話番号・メールアドレスは自動で伏せます）。" }),
      inputs.needs, h("p", { "class": "err", id: "sv-needs-err" })),
    h("div", { "class": "actions" }, button));
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) return;
    if (e.target === inputs.needs && !(e.ctrlKey || e.metaKey)) return;   // a new line in the free text
    if (e.target.tagName === "BUTTON" && e.target !== button) return;
    e.preventDefault();
    form.requestSubmit(button);
  });
  return form;
}
