// Settlement labels and form helpers shared by the usage, settlement and store screens.
import { ApiError, append, clear, clockNowMs, h } from "./client.js";
import { setFlash, showProblem } from "./console-kit.js";

// ---- settlement: usage imports, rounds, returns, adjustments; store bank/status changes ----
export var ROUND_STATUSES = { draft: "下書き", approving: "承認処理中", approved: "承認済み" };
export var IMPORT_STATUSES = { awaiting_upload: "アップロード待ち", uploaded: "処理待ち", staged: "処理途中", committed: "取り込み済み",
                        rejected: "取り込めないファイル" };
export var ADJUSTMENT_STATES = { open: "未精算", settled: "精算済み" };
export var WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];
export var DOCUMENTS = [
  ["transfer_file", "振込データ（全銀形式）", "transfer-file"],
  ["statement_csv", "精算明細（CSV）", "documents/statement_csv"],
  ["statement_xlsx", "精算明細（Excel）", "documents/statement_xlsx"],
  ["summary", "集計（JSON）", "documents/summary"]
];

export function number(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("ja-JP"); }
export function yen(n) { return n === null || n === undefined ? "—" : number(n) + "円"; }
// Today in JST by the console's clock (client.js clockNowMs: the tab's pin, the stack's demo clock, or the
// real one), so the screens agree with the server.
export function clockToday() {
  return new Date(clockNowMs() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}
export function shiftMonth(month, delta) {
  var y = Number(month.slice(0, 4)), m = Number(month.slice(5, 7)) - 1 + delta;
  y += Math.floor(m / 12);
  m = ((m % 12) + 12) % 12 + 1;
  return y + "-" + (m < 10 ? "0" : "") + m;
}
export function monthLabel(month) { return month.slice(0, 4) + "年" + Number(month.slice(5, 7)) + "月分"; }
export function dateLabel(iso) {
  if (!iso) return "—";
  var d = new Date(String(iso).slice(0, 10) + "T00:00:00Z");
  return isNaN(d.getTime()) ? String(iso) : String(iso).slice(0, 10).replace(/-/g, "/") + "（" + WEEKDAYS[d.getUTCDay()] + "）";
}
export function fold(v) { return String(v || "").normalize("NFKC").trim(); }
export function headRow(cols) {
  return h("thead", null, h("tr", null, cols.map(function (c) {
    return Array.isArray(c) ? h("th", { scope: "col", "class": c[1], text: c[0] }) : h("th", { scope: "col", text: c });
  })));
}
export function appendAll(node) { append(node, Array.prototype.slice.call(arguments, 1)); }
export function numCell(n, attrs) { return h("td", Object.assign({ "class": "num", text: number(n) }, attrs || {})); }

// One labelled input with its hint and its error line (ids: <id>, <id>-hint, <id>-err).
export function field(id, label, input, hint) {
  input.id = id;
  input.setAttribute("aria-describedby", (hint ? id + "-hint " : "") + id + "-err");
  return h("div", { "class": "field" }, h("label", { "for": id, text: label }),
    hint ? h("p", { "class": "hint", id: id + "-hint", text: hint }) : null,
    input, h("p", { "class": "err", id: id + "-err" }));
}
// Field errors from the API next to their inputs, every one at once, and a summary (linking to them)
// in `box`. Called with null when a form is sent: the old errors and the old success message go.
export function fieldErrors(err, inputs, box) {
  clear(box);
  setFlash("", "");
  Object.keys(inputs).forEach(function (k) {
    inputs[k].removeAttribute("aria-invalid");
    var line = document.getElementById(inputs[k].id + "-err");
    if (line) line.textContent = "";
  });
  if (!err) return;
  var list = h("ul");
  Object.keys(err.fields || {}).forEach(function (key) {
    var target = inputs[key.replace(/^bank\./, "")] || null;
    var text = err.fields[key];
    if (target) {
      target.setAttribute("aria-invalid", "true");
      var line = document.getElementById(target.id + "-err");
      if (line) line.textContent = text;
    }
    list.appendChild(h("li", null, target ? h("a", { href: "#" + target.id, onclick: function (e) { e.preventDefault(); target.focus(); }, text: text }) : text));
  });
  var problem = h("div", { "class": "problem", tabindex: "-1", role: "alert" }, h("h2", { text: err.message }),
    list.childNodes.length ? list : null);
  append(box, problem);
  problem.focus();
}
// Run an action from a button: disabled while it runs; 401 replaces the page, other errors go to onError.
export function act(button, run, onError) {
  if (button.disabled) return;
  button.disabled = true;
  run().catch(function (err) {
    button.disabled = false;
    if (!(err instanceof ApiError)) {
      if (window.console) window.console.error(err);
      err = new ApiError(0, null);
      err.message = "画面の処理でエラーが発生しました。再読み込みしてやり直してください";
    }
    if (err.status === 401) { showProblem(err); return; }
    onError(err);
  });
}
