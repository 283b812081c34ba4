// The public survey of one session (templates/session_survey.html, reached by the flyer's QR code):
// large choices, answers sent as JSON to POST sessions/{id}/survey, a thank-you, errors per question.
import { AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS } from "./labels.js";

"use strict";

var SESSION = document.body.getAttribute("data-session");
// The API root: everything before "sessions/" (/ locally, /api/ in the cloud).
var ROOT = location.pathname.slice(0, location.pathname.lastIndexOf("/sessions/") + 1);
var SAT_WORDS = { 1: "不満", 2: "やや不満", 3: "ふつう", 4: "やや満足", 5: "満足" };
var FIELDS = ["age_band", "purposes", "could_do", "satisfaction", "needs"];
// One token for this form: a double tap or a retry after a lost answer stores the answer once.
var TOKEN = Array.prototype.map.call(window.crypto.getRandomValues(new Uint8Array(16)), function (b) {
  return ("0" + b.toString(16)).slice(-2);
}).join("");

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text !== undefined) node.appendChild(document.createTextNode(text));
  return node;
}
function choices(name, pairs, type) {
  var box = $("c-" + name);
  pairs.forEach(function (p) {
    var label = el("label");
    label.appendChild(el("input", { type: type, name: name, value: p[0] }));
    var text = el("span", {}, p[1]);
    label.appendChild(text);
    box.appendChild(label);
  });
}
function picked(name) {
  return Array.prototype.map.call(document.querySelectorAll("#survey input[name=" + name + "]:checked"), function (i) { return i.value; });
}
function message(kind, text) {
  var m = $("message");
  m.className = "message " + kind;
  m.textContent = text || "";
  if (text) m.focus();
}
function clearErrors() {
  FIELDS.forEach(function (f) {
    $("e-" + f).textContent = "";
    var q = $("q-" + f) || $(f);
    if (q) q.removeAttribute("aria-invalid");
  });
}
function showErrors(fields) {
  var first = null;
  Object.keys(fields || {}).forEach(function (f) {
    var slot = $("e-" + f);
    if (!slot) return;
    slot.textContent = fields[f];
    var q = $("q-" + f) || $(f);
    if (q) { q.setAttribute("aria-invalid", "true"); first = first || q; }
  });
  if (first) first.scrollIntoView({ block: "center" });
}

function send(e) {
  e.preventDefault();
  clearErrors();
  message("", "");
  var sat = picked("satisfaction");
  var body = {
    age_band: picked("age_band")[0] || "", purposes: picked("purposes"), could_do: picked("could_do"),
    satisfaction: sat.length ? Number(sat[0]) : null, needs: $("needs").value.trim(), website: $("website").value,
    client_token: TOKEN
  };
  var button = $("send");
  button.disabled = true;
  fetch(ROOT + "sessions/" + encodeURIComponent(SESSION) + "/survey", {
    method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(body)
  }).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
      if (res.ok) {
        $("survey").hidden = true;
        $("thanks").hidden = false;
        $("thanks").focus();
        return;
      }
      button.disabled = false;
      var error = data && data.error ? data.error : {};
      if (res.status === 422) {
        showErrors(error.fields);
        message("error", (error.message || "入力内容を確認してください") + "。赤い字のところを直してください。");
      } else if (res.status === 404 || res.status === 409) {
        message("error", (res.status === 409 && error.message ? error.message : "この相談会のアンケートは受け付けていません") + "。");
      } else if (res.status === 429) {
        message("error", "送信が続いています。少し時間をおいてから、もう一度送ってください。");
      } else {
        message("error", "送信できませんでした。時間をおいて、もう一度お試しください。");
      }
    });
  }, function () {
    button.disabled = false;
    message("error", "通信できませんでした。電波のよいところで、もう一度送ってください。");
  });
}

choices("age_band", AGE_BANDS, "radio");
choices("purposes", PURPOSES, "checkbox");
choices("could_do", COULD_DO, "checkbox");
choices("satisfaction", SATISFACTION_LEVELS.map(function (n) { return [String(n), n + " " + (SAT_WORDS[n] || "")]; }), "radio");
$("survey").addEventListener("submit", send);
$("survey").hidden = false;
