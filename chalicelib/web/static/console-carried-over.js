// Carried-over stores (/console/carried-over): upload the prefecture's list of last year's stores, read the
// preview (new / matches an existing store or application, with the differences / rejected with the line
// and reason), confirm. docs/carried-over.md describes the columns and the API.
import { CONSOLE, api, h } from "./client.js";
import { PAGES, fmt, link, q, refLink, render, setFlash, showProblem } from "./console-kit.js";

var KINDS = { "new": "新規", matched: "一致あり", rejected: "取込不可" };
var STATES = { previewed: "確認待ち", confirmed: "確定済み" };

function failed(err) { setFlash("error", err.message || "操作できませんでした"); }

function uploadCard() {
  var input = h("input", { type: "file", id: "carried-file", accept: ".csv,text/csv", "aria-describedby": "carried-hint" });
  var button = h("button", { type: "button", "class": "primary", id: "upload-carried", onclick: function () {
    var file = input.files && input.files[0];
    if (!file) { setFlash("error", "県から提供された一覧（CSV）を選んでください"); input.focus(); return; }
    button.disabled = true;
    api("stores/carried-over", { method: "POST", raw: file, contentType: "text/csv" }).then(function (made) {
      location.assign(link("/carried-over", { "import": made.import_id, again: made.created ? null : "1" }));
    }, function (err) { button.disabled = false; failed(err); });
  }, text: "読み込んでプレビュー" });
  return h("section", { "class": "card", "aria-labelledby": "carried-upload-h" },
    h("h2", { id: "carried-upload-h", text: "県から提供された一覧の取込" }),
    h("p", { "class": "hint", id: "carried-hint",
      text: "列: 昨年度店舗番号, 店舗名, 店舗名カナ, 代表者名, 郵便番号, 地域コード, 住所, 電話番号, メールアドレス, 金融機関コード, 支店コード, 預金種目, 口座番号, 口座名義カナ。UTF-8（BOM 付き可）または Shift_JIS。同じ内容のファイルをもう一度読み込んでも、同じ取込が開くだけで何も変わりません。" }),
    h("div", { "class": "filters" }, h("div", null, h("label", { "for": "carried-file", text: "一覧ファイル（CSV）" }), input), button));
}

function differences(match) {
  var head = h("p", null, match.ref.indexOf("store#") === 0 ? refLink("store", match.ref.slice(6))
    : refLink("application", match.ref.slice(12)), "（" + match.by_labels.join("・") + "が一致）");
  if (!match.differences.length) return h("div", { "class": "match" }, head, h("p", { "class": "muted", text: "登録内容と同じです" }));
  return h("div", { "class": "match" }, head, h("ul", { "class": "differences" }, match.differences.map(function (d) {
    return h("li", null, h("strong", { text: d.label + ": " }), (d.current || "（なし）") + " → " + (d.incoming || "（なし）"));
  })));
}

function detail(row) {
  if (row.kind === "rejected") return h("span", { "class": "problem-text", text: row.reason });
  var parts = [];
  if (row.kind === "matched") parts = row.matches.map(differences);
  else parts.push(h("span", { text: [row.municipality_name, row.address].join(" ") }));
  if (row.warnings && row.warnings.length) parts.push(h("p", { "class": "muted", text: "注意: 郵便番号が宮城県外です" }));
  return h("div", null, parts);
}

function previewTable(p) {
  return h("div", { "class": "table-wrap" }, h("table", { id: "carried-preview" },
    h("caption", { text: "行ごとの判定（新規の行だけが、確定すると店舗になります）" }),
    h("thead", null, h("tr", null, ["行", "判定", "昨年度店舗番号", "店舗名", "内容・差分・理由"].map(function (t) {
      return h("th", { scope: "col", text: t }); }))),
    h("tbody", null, p.preview.map(function (row) {
      return h("tr", { "class": "kind-" + row.kind, "data-line": String(row.line) },
        h("td", { "class": "num", text: String(row.line) }), h("td", { text: KINDS[row.kind] || row.kind }),
        h("td", { "class": "mono", text: row.previous_store_id || "—" }), h("td", { text: row.store_name || "—" }),
        h("td", null, detail(row)));
    }))));
}

function summaryCard(p) {
  var confirm = p.state === "previewed" && p["new"] > 0 ? h("button", { type: "button", "class": "primary", id: "confirm-carried",
    onclick: function () {
      confirm.disabled = true;
      api("stores/carried-over/" + p.import_id + "/confirm", { method: "POST" }).then(function (done) {
        return load(p.import_id).then(function () {
          setFlash("ok", done.stores.length + "店舗を「継続確認待ち」で登録し、確認のメールを送りました。" +
            (done.skipped.length ? "（" + done.skipped.length + "行はプレビュー後に一致する登録があったため見送りました）" : ""));
        });
      }, function (err) { confirm.disabled = false; failed(err); });
    }, text: "新規の " + p["new"] + " 店舗を登録してメールを送る" }) : null;
  var stores = p.stores && p.stores.length ? h("p", { id: "carried-stores" }, "登録した店舗: ",
    p.stores.map(function (id, i) { return [i ? "、" : "", refLink("store", id)]; })) : null;
  return h("section", { "class": "card", "aria-labelledby": "carried-summary-h" },
    h("h2", { id: "carried-summary-h", text: "取込 " + p.import_id + "（" + (STATES[p.state] || p.state) + "）" }),
    h("p", { id: "carried-counts", text: "全 " + p.rows + " 行: 新規 " + p["new"] + "、一致あり " + p.matched + "、取込不可 " +
      p.rejected.length + "（読込 " + fmt(p.created_at) + " " + p.created_by + "、文字コード " + (p.encoding || "—") + "）" }),
    p.rejected.length ? h("ul", { id: "carried-rejected" }, p.rejected.map(function (r) {
      return h("li", { text: r.line + "行目: " + r.reason }); })) : null,
    p.state === "confirmed" ? h("p", { text: "確定: " + fmt(p.confirmed_at) + " " + (p.confirmed_by || "") }) : null,
    stores, confirm);
}

function load(importId) {
  return api("stores/carried-over/" + encodeURIComponent(importId)).then(function (p) {
    render(h("h1", { text: "継続店舗の取込" }), h("p", null, h("a", { href: CONSOLE + "/carried-over", text: "別の一覧を読み込む" })),
      summaryCard(p), previewTable(p));
    if (q("again")) setFlash("warn", "同じ内容の一覧は取込済みです。既存の取込 " + p.import_id + " を表示しています。");
  });
}

PAGES["carried-over"] = function () {
  document.title = "継続店舗の取込 | 事務局コンソール";
  var importId = q("import");
  if (importId) return load(importId).catch(showProblem);
  render(h("h1", { text: "継続店舗の取込" }),
    h("p", { "class": "muted", text: "県から提供された前年度の参加店舗の一覧を読み込み、新規・既存との一致・取込不可を確認してから登録します。登録した店舗には、今年度の誓約事項の確認を求めるメールが届きます。" }),
    uploadCard());
  return null;
};
