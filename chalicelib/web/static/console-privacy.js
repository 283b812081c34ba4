// Personal data protection (issue 13 points 4 and 5): the incident query — which personal data, whose, how
// many, where, encrypted or not, who touched it — with its first-report files, and the monthly access report.
import { ApiError, api, download, h } from "./client.js";
import { PAGES, fmt, render, setFlash } from "./console-kit.js";
import { clockToday, field, fieldErrors, headRow, number, numCell, shiftMonth } from "./console-forms.js";

var KIND_OPTIONS = [["", "すべて"], ["bank_account", "口座情報"], ["contact", "連絡先・氏名"], ["caller", "問い合わせ者の情報"],
  ["change_request", "登録内容の変更依頼"], ["store_list", "継続店舗リスト"], ["payment", "精算・振込データ"]];

function select(options, value) {
  return h("select", null, options.map(function (o) { return h("option", { value: o[0], text: o[1], selected: o[0] === value ? "" : null }); }));
}
function table(id, cols, rows) {
  return h("div", { "class": "table-wrap" }, h("table", { id: id, "class": "compact" }, headRow(cols), h("tbody", null, rows)));
}
function stat(label, value, id) {
  return h("div", null, h("dt", { text: label }), h("dd", { id: id, text: value }));
}

function incidentParams(inputs) {
  var qs = new URLSearchParams();
  qs.set("from", inputs.from.value);
  qs.set("to", inputs.to.value);
  ["actor", "store_id", "action", "file"].forEach(function (k) { if (inputs[k].value.trim()) qs.set(k, inputs[k].value.trim()); });
  return qs.toString();
}

function incidentResult(r, params, note) {
  var encrypted = r.encrypted ? "あり" : "なし";
  var files = h("p", { "class": "actions" }, [["csv", "CSV"], ["xlsx", "Excel"], ["pdf", "PDF"]].map(function (f) {
    return h("button", { type: "button", "class": "small", id: "inc-" + f[0], "data-format": f[0], onclick: function () {
      download("privacy/incident/report?" + params + "&format=" + f[0], "incident." + f[0]).then(function (name) {
        note.textContent = name + " をダウンロードしました（監査ログに記録されます）。";
      }, function (err) { setFlash("error", err instanceof ApiError ? err.message : "ダウンロードできませんでした"); });
    }, text: f[1] + " で出力" });
  }));
  return h("section", { "class": "card", id: "incident-result", "aria-labelledby": "inc-result-h" },
    h("h2", { id: "inc-result-h", text: "調査結果" }),
    h("dl", { "class": "stats" },
      stat("漏えい等の対象", r.kind_details.map(function (k) { return k.label; }).join("、") || "該当なし", "inc-kinds"),
      stat("人数", number(r.persons) + " 人" + (r.exact ? "" : "（上限）"), "inc-persons"),
      stat("件数（記録）", number(r.records) + " 件" + (r.exact ? "" : "（上限）"), "inc-records"),
      stat("暗号化の有無", encrypted, "inc-encrypted"),
      stat("操作", number(r.events) + " 件", "inc-events")),
    h("p", { "class": "hint", text: r.encryption.note + " 保存時暗号化: " + r.encryption.at_rest_how + "。" }),
    h("h3", { text: "保存場所" }),
    h("ul", { id: "inc-stored" }, r.stored_in.map(function (s) { return h("li", { text: (s.kind === "table" ? "テーブル " : "バケット ") + s.physical }); })),
    h("h3", { text: "アクセスした担当者" }),
    r.accessed_by.length ? table("inc-accessed", ["担当者", "役割", ["件数", "num"], "最初", "最後", "操作"], r.accessed_by.map(function (w) {
      return h("tr", { "data-user": w.user }, h("td", { text: w.user }), h("td", { text: w.role }), numCell(w.count),
        h("td", { text: fmt(w.first) }), h("td", { text: fmt(w.last) }),
        h("td", { text: w.actions.map(function (a) { return a.label + " " + a.count; }).join("、") }));
    })) : h("p", { "class": "muted", text: "この条件で個人情報にアクセスした記録はありません。" }),
    h("h3", { text: "操作の一覧（監査ログ）" }),
    r.entries.length ? table("inc-entries", ["日時", "担当者", "操作", "対象", "情報の種類"], r.entries.map(function (e) {
      return h("tr", null, h("td", { text: fmt(e.at) }), h("td", { text: e.user }), h("td", { text: e.action_label }),
        h("td", { text: e.subject }), h("td", { text: e.kind_label }));
    })) : null,
    r.entries_truncated ? h("p", { "class": "hint", text: "一覧は先頭の " + r.entries.length + " 件です。すべては CSV・Excel で確認してください。" }) : null,
    h("h3", { text: "県への第一報の資料" }), files, note);
}

function incidentSection() {
  var today = clockToday();
  var inputs = {
    from: h("input", { type: "datetime-local", required: "", value: today + "T00:00" }),
    to: h("input", { type: "datetime-local", required: "", value: today + "T23:59" }),
    actor: h("input", { type: "text", autocomplete: "off", placeholder: "例: screener" }),
    store_id: h("input", { type: "text", autocomplete: "off", placeholder: "例: MP000123" }),
    action: select(KIND_OPTIONS, ""),
    file: h("input", { type: "text", autocomplete: "off" })
  };
  var ids = { from: "inc-from", to: "inc-to", actor: "inc-actor", store_id: "inc-store", action: "inc-kind", file: "inc-file" };
  var labels = { from: "開始日時", to: "終了日時", actor: "担当者（任意）", store_id: "店舗ID（任意）", action: "情報の種類（任意）", file: "ファイル名（任意）" };
  var box = h("div");
  var out = h("div", { id: "incident-out", "aria-live": "polite" });
  var button = h("button", { type: "submit", id: "inc-run", text: "調査する" });
  var form = h("form", { "class": "filters", id: "incident-form", novalidate: "" },
    Object.keys(inputs).map(function (k) { return field(ids[k], labels[k], inputs[k]); }), button);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, box);
    var params = incidentParams(inputs);
    button.disabled = true;
    api("privacy/incident?" + params).then(function (r) {
      button.disabled = false;
      out.replaceChildren(incidentResult(r, params, h("p", { "class": "hint", id: "inc-note", role: "status" })));
    }, function (err) {
      button.disabled = false;
      if (err.status === 422 || err.status === 400) fieldErrors(err, inputs, box); else setFlash("error", err.message);
    });
  });
  return h("section", { "class": "card", "aria-labelledby": "incident-h" },
    h("h2", { id: "incident-h", text: "漏えい等の調査（別記2 第17）" }),
    h("p", { "class": "hint", text: "期間と、必要なら担当者・店舗・情報の種類・ファイルを指定すると、監査ログから対象の個人情報の種類・人数・件数・保存場所・暗号化の有無・アクセスした担当者をまとめます（期間は93日以内）。" }),
    box, form, out);
}

function accessSection() {
  var month = shiftMonth(clockToday().slice(0, 7), -1);
  var input = h("input", { type: "month", value: month });
  var out = h("div", { id: "access-out", "aria-live": "polite" });
  var note = h("p", { "class": "hint", role: "status" });
  function show() {
    var m = input.value;
    if (!/^\d{4}-\d{2}$/.test(m)) return;
    api("privacy/access-report?month=" + m).then(function (r) {
      out.replaceChildren(
        h("p", { "class": "muted", text: r.delivered_at ? "県へ送付済み（" + fmt(r.delivered_at) + "）" : "まだ送付していません（翌月の最初の開庁日に自動で送付します）" }),
        r.rows.length ? table("access-table", ["担当者", "役割", ["閲覧", "num"], ["口座番号の表示", "num"], ["出力", "num"], ["取込", "num"], ["合計", "num"]],
          r.rows.map(function (x) {
            return h("tr", { "data-user": x.user }, h("td", { text: x.user }), h("td", { text: x.role }), numCell(x.view), numCell(x.reveal),
              numCell(x.export), numCell(x["import"]), numCell(x.total));
          })) : h("p", { "class": "muted", text: "この月に個人情報へのアクセスはありません。" }),
        h("p", { "class": "actions" }, [["csv", "CSV"], ["xlsx", "Excel"]].map(function (f) {
          return h("button", { type: "button", "class": "small", onclick: function () {
            download("privacy/access-report/file?month=" + m + "&format=" + f[0], "access-report-" + m + "." + f[0]).then(function (name) {
              note.textContent = name + " をダウンロードしました（記録されます）。";
            }, function (err) { setFlash("error", err.message); });
          }, text: f[1] });
        })), note);
    }, function (err) { setFlash("error", err.message); });
  }
  input.addEventListener("change", show);
  show();
  return h("section", { "class": "card", "aria-labelledby": "access-h" },
    h("h2", { id: "access-h", text: "個人情報アクセス月報（別記2 第14・第15）" }),
    h("p", { "class": "hint", text: "担当者ごとの閲覧・口座番号の表示・出力・取込の件数（監査ログより）。毎月、翌月の最初の開庁日に県へ送付します。" }),
    field("access-month", "対象月", input), out);
}

function auditSection() {
  var today = clockToday();
  var inputs = { from: h("input", { type: "date", value: today }), to: h("input", { type: "date", value: today }),
                 kind: select([["", "すべて"], ["view", "閲覧"], ["reveal", "口座番号の表示"], ["export", "出力・ダウンロード"], ["import", "取込"]]
                   .concat(KIND_OPTIONS.slice(1)), "") };
  var box = h("div");
  var out = h("div", { id: "privacy-audit-out", "aria-live": "polite" });
  var button = h("button", { type: "submit", id: "pa-run", text: "表示" });
  var form = h("form", { "class": "filters", novalidate: "" }, field("pa-from", "開始日", inputs.from), field("pa-to", "終了日", inputs.to),
    field("pa-kind", "種類", inputs.kind), button);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, box);
    var qs = new URLSearchParams({ from: inputs.from.value, to: inputs.to.value });
    if (inputs.kind.value) qs.set("kind", inputs.kind.value);
    api("privacy/audit?" + qs.toString()).then(function (r) {
      out.replaceChildren(h("p", { "class": "muted", text: r.items.length + " 件" }),
        r.items.length ? table("privacy-audit-table", ["日時", "担当者", "役割", "操作", "対象", "情報の種類"], r.items.map(function (i) {
          return h("tr", null, h("td", { text: fmt(i.at) }), h("td", { text: i.user }), h("td", { text: i.role }),
            h("td", { text: i.action_label }), h("td", { text: i.subject }), h("td", { text: i.kind_label }));
        })) : null);
    }, function (err) { if (err.status === 422) fieldErrors(err, inputs, box); else setFlash("error", err.message); });
  });
  return h("section", { "class": "card", "aria-labelledby": "pa-h" },
    h("h2", { id: "pa-h", text: "個人情報の操作記録（監査ログ）" }),
    h("p", { "class": "hint", text: "個人情報の閲覧・表示・出力・取込だけを表示します（31日以内）。この閲覧も記録されます。" }),
    box, form, out);
}

PAGES.privacy = function () {
  document.title = "個人情報 | 事務局コンソール";
  render(h("h1", { text: "個人情報の保護" }), incidentSection(), accessSection(), auditSection());
  return Promise.resolve();
};
