// The local stage's clock banner (issue 15, point 1): which day the screens and the server take as "now",
// and a control to change it for this tab. Shown only where the page states the stack's clock
// (<meta name="miyapo-clock">, the local stage: chalicelib/web/pages.py); imported by the console's entry
// modules and the tour. The control sets the same pin the X-Miyapo-Now header does (sessionStorage
// "miyapo_now", client.js), then reloads so every screen reads the new day.
import { REAL_PIN, STACK_CLOCK, clockNowMs, h, isoJst, setPin, storedPin } from "./client.js";

"use strict";

var WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];
var HOW = "DEMO_NOW=2025-10-15T10:00+09:00 make run（DEMO_NOW=off で実時間）";

// 2025年11月14日(金) 10:00, in JST.
export function dayLabel(ms) {
  var d = new Date(ms + 9 * 3600 * 1000);
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  return d.getUTCFullYear() + "年" + (d.getUTCMonth() + 1) + "月" + d.getUTCDate() + "日(" + WEEKDAYS[d.getUTCDay()] +
    ") " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
}

// What the banner says: [heading, note] for this tab's clock.
function describe() {
  var pin = storedPin(), demo = STACK_CLOCK.source === "demo";
  var pinned = pin && pin !== REAL_PIN && !isNaN(Date.parse(pin));
  if (pinned) return ["この画面の日時（固定）: ", "このタブだけ固定しています。"];
  if (pin === REAL_PIN && demo) return ["実時間: ", "このタブだけ実時間です（ローカル環境はデモの時計で動いています）。"];
  if (demo) {
    var start = STACK_CLOCK.start ? dayLabel(Date.parse(STACK_CLOCK.start)) : "";
    return ["デモの日時: ", start ? "（" + start + " から実時間で進みます）" : ""];
  }
  return ["実時間: ", "（ローカル環境を DEMO_NOW=off で起動しています）"];
}

function choose(value) {
  setPin(value);
  location.reload();
}

function render() {
  var pin = storedPin(), demo = STACK_CLOCK.source === "demo";
  var text = describe();
  var day = h("strong", { id: "demo-clock-day", text: dayLabel(clockNowMs()) });
  var input = h("input", { type: "datetime-local", id: "demo-clock-input", step: "60", required: true,
                           value: isoJst(clockNowMs()).slice(0, 16) });
  var problem = h("span", { "class": "demo-clock-problem", id: "demo-clock-problem", role: "alert" });
  var form = h("form", { id: "demo-clock-form", "class": "demo-clock-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(input.value)) {
      problem.textContent = "日付と時刻を入力してください";
      input.focus();
      return;
    }
    choose(input.value + ":00+09:00");
  } },
    h("label", { "for": "demo-clock-input", text: "日時を変更" }), " ", input, " ",
    h("button", { type: "submit", id: "demo-clock-set", text: "設定" }),
    // Back to the stack's demo clock: when this tab has a pin of its own and the stack runs one.
    demo && pin ? h("button", { type: "button", id: "demo-clock-stack", text: "デモの時計に戻す",
                                onclick: function () { choose(null); } }) : null,
    // The real time: in a demo stack a pin of "real"; in a real-clock stack simply no pin.
    pin !== REAL_PIN && (demo || pin) ? h("button", { type: "button", id: "demo-clock-real", text: "実時間に戻す",
      onclick: function () { choose(demo ? REAL_PIN : null); } }) : null,
    problem);
  // The stack's day outside the program year (everything 時間外, no daily report): say so, unless this tab
  // has a day of its own.
  var outside = !pin && STACK_CLOCK.note ? h("p", { "class": "demo-clock-outside", id: "demo-clock-outside", role: "note",
                                                    text: "注意: " + STACK_CLOCK.note }) : null;
  var banner = h("section", { "class": "demo-clock", id: "demo-clock", "aria-label": "デモの日時" },
    h("p", { "class": "demo-clock-now" }, text[0], day, " ", h("span", { "class": "demo-clock-note", text: text[1] })),
    outside,
    h("p", { "class": "demo-clock-how" }, "変更: 下の欄（このタブだけ）、または起動時に ",
      h("code", { text: HOW })),
    form);
  var skip = document.querySelector("body > a.skip");
  document.body.insertBefore(banner, skip ? skip.nextSibling : document.body.firstChild);
  // A moving clock: keep the shown time current (the input keeps what the user is typing).
  setInterval(function () { day.textContent = dayLabel(clockNowMs()); }, 20000);
}

if (STACK_CLOCK) render();
