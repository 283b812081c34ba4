// The prefecture's view (issue 12 points 1–3): the overview with charts drawn on the server (SVG from
// GET /overview/charts/{name}.svg, shown as images; their numbers one click away in a table under each),
// the funds ledger with the monthly claim sheet, and the library of files delivered to the prefecture.
import { ApiError, api, download, h } from "./client.js";
import { PAGES, hasRole, link, q, render, setFlash } from "./console-kit.js";
import { headRow, number, numCell, shiftMonth } from "./console-forms.js";
import { READ_FUNDS, READ_REPORTS, REPORT_KINDS } from "./labels.js";

function validMonth(m) { return /^\d{4}-(0[1-9]|1[0-2])$/.test(m || "") ? m : null; }
function monthTitle(m) { return m.slice(0, 4) + "年" + Number(m.slice(5, 7)) + "月"; }

// A chart: the server's SVG as an <img> (a data: URL; the SVG has no script), its title as the alt text,
// and its numbers in a table under <details>.
function chart(name, title, month, table) {
  var img = h("img", { "class": "chart-img", alt: title + "（数値は下の表にあります）", width: "640", height: "300", "data-chart": name });
  var fig = h("figure", { "class": "chart-card card", id: "chart-" + name },
    h("h3", { "class": "visually-hidden", text: title }), img,
    h("details", { "class": "chart-numbers" }, h("summary", { text: "数値を表で見る" }), table));
  api("overview/charts/" + name + ".svg" + (month ? "?month=" + month : ""), { accept: "image/svg+xml", blob: true })
    .then(function (blob) { return blob.text(); })
    .then(function (svg) {
      var m = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
      if (m) { img.setAttribute("width", m[1]); img.setAttribute("height", m[2]); }
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    }, function (err) {
      img.replaceWith(h("p", { "class": "muted", text: "グラフを読み込めませんでした: " + (err.message || "") }));
    });
  return fig;
}

function table(id, cols, rows, foot) {
  return h("div", { "class": "table-wrap" }, h("table", { id: id, "class": "compact" }, headRow(cols),
    h("tbody", null, rows), foot ? h("tfoot", null, foot) : null));
}
function cells(values) {
  return values.map(function (v) { return typeof v === "number" ? numCell(v) : h("td", { text: v === null || v === undefined ? "—" : String(v) }); });
}

function stat(label, value, note, alert) {
  return h("div", alert ? { "class": "alert" } : null, h("dt", { text: label }), h("dd", { text: value }),
    note ? h("dd", { "class": "muted stat-note", text: note }) : null);
}

function ledgerTable(f, id) {
  return table(id || "ledger-table", ["精算月", "状態", ["利用（原資）", "num"], ["手数料の基礎", "num"], ["手数料", "num"],
    ["請求額", "num"], ["支払", "num"], ["保留", "num"], ["繰越分", "num"], ["累計", "num"], ["計画比", "num"]],
    f.months.map(function (m) {
      return h("tr", { "data-month": m.month }, cells([m.month, m.status_label, m.usage, m.fee_base, m.fee, m.claim, m.paid,
        m.held, m.carried, m.cumulative]).concat([h("td", { "class": "num", text: m.share_of_plan + "%" })]));
    }),
    f.months.length ? h("tr", null, h("th", { scope: "row", text: "合計" }), h("td"), cells([f.totals.usage, f.totals.fee_base,
      f.totals.fee, f.totals.claim, f.totals.paid, f.totals.held, f.totals.carried, f.used_points]),
      h("td", { "class": "num", text: f.share_of_plan + "%" })) : null);
}

function fundsSection(d) {
  var f = d.funds;
  return h("section", { "aria-labelledby": "funds-h" }, h("h2", { id: "funds-h", text: "ポイント原資の利用" }),
    h("div", { "class": "chart-grid" },
      chart("usage", "月別のポイント利用（原資）", null, ledgerTable(f, "usage-table")),
      chart("cumulative", "累計のポイント利用と計画", null, table("cumulative-table", ["精算月", ["累計", "num"], ["計画", "num"], ["計画比", "num"]],
        f.months.map(function (m) { return h("tr", null, cells([m.month, m.cumulative, f.planned_points, m.share_of_plan + "%"])); })))));
}

function storesSection(d) {
  var s = d.stores;
  return h("section", { "aria-labelledby": "stores-h" }, h("h2", { id: "stores-h", text: "参加店舗" }),
    h("div", { "class": "chart-grid" },
      chart("stores-status", "状態別の店舗数", null, table("stores-status-table", ["状態", ["店舗数", "num"]],
        s.by_status.map(function (r) { return h("tr", null, cells([r.label, r.count])); }))),
      chart("stores-area", "地域別の利用中店舗（39地域）", null, table("stores-area-table", ["地域", "圏域", ["店舗数", "num"]],
        s.by_area.map(function (r) { return h("tr", null, cells([r.name, r.region, r.count])); })))));
}

function inquiriesSection(d, month) {
  var i = d.inquiries;
  var nav = h("nav", { "class": "month-nav", "aria-label": "問い合わせの月" },
    h("a", { href: link("/overview", { month: shiftMonth(i.month, -1) }), text: "← 前月" }), " ",
    h("strong", { text: monthTitle(i.month) }), " ",
    h("a", { href: link("/overview", { month: shiftMonth(i.month, 1) }), text: "翌月 →" }));
  return h("section", { "aria-labelledby": "inq-h" }, h("h2", { id: "inq-h", text: "問い合わせ" }), nav,
    h("div", { "class": "chart-grid" },
      chart("inquiries-daily", "日別の問い合わせ件数と見込み", month, table("inquiries-daily-table", ["日付", ["件数", "num"]],
        i.days.map(function (r) { return h("tr", null, cells([r.date, r.count])); }))),
      chart("inquiries-monthly", "月別の問い合わせ件数と見込み（月 " + number(i.forecast_monthly) + " 件）", month,
        table("inquiries-monthly-table", ["月", ["件数", "num"], ["見込み", "num"]],
          i.monthly.map(function (r) { return h("tr", null, cells([r.month, r.count, r.forecast])); }))),
      chart("inquiries-category", "分類別の問い合わせ件数", month, table("inquiries-category-table", ["分類", ["件数", "num"]],
        i.by_category.map(function (r) { return h("tr", null, cells([r.label, r.count])); }))),
      chart("escalations", "未完了のエスカレーション", null, table("escalations-table", ["番号", "受付日時", "分類", ["経過日数", "num"], "県の回答"],
        d.escalations.items.map(function (r) {
          return h("tr", null, cells([r.inquiry_id, r.received_at.replace("T", " ").slice(0, 16), r.category_label, r.days_open, r.answered ? "あり" : "なし"]));
        })))));
}

function sessionsSection(d) {
  var s = d.sessions;
  return h("section", { "aria-labelledby": "ses-h" }, h("h2", { id: "ses-h", text: "相談会" }),
    h("div", { "class": "chart-grid" },
      chart("sessions-area", "地域別の相談会開催回数", null, table("sessions-area-table", ["地域", "圏域", ["開催済み", "num"], ["予定", "num"]],
        s.by_area.map(function (r) { return h("tr", null, cells([r.name, r.region, r.held, r.scheduled])); })))));
}

PAGES.overview = function () {
  document.title = "概況 | 事務局コンソール";
  var month = validMonth(q("month"));
  return api("overview/data" + (month ? "?month=" + month : "")).then(function (d) {
    var f = d.funds;
    var active = (d.stores.by_status.filter(function (r) { return r.status === "active"; })[0] || {}).count || 0;
    var stats = h("dl", { "class": "stats", id: "overview-stats" },
      stat("累計のポイント利用", number(f.used_points) + " pt", "計画 " + number(f.planned_points) + " pt の " + f.share_of_plan + "%", f.reached.length > 0),
      stat("利用中の店舗", number(active) + " 店", "登録 " + number(d.stores.total) + " 店"),
      stat(monthTitle(d.inquiries.month) + "の問い合わせ", number(d.inquiries.month_total) + " 件", "見込み 月 " + number(d.inquiries.forecast_monthly) + " 件"),
      stat("未完了のエスカレーション", number(d.escalations.open) + " 件", null, d.escalations.open > 0),
      stat("相談会を開催した地域", d.sessions.areas_held + " / " + d.sessions.areas_total, "開催 " + number(d.sessions.held_total) + " 回"));
    var links = h("p", { "class": "actions" },
      hasRole(READ_FUNDS) ? h("a", { "class": "btn", href: link("/funds"), text: "原資の台帳と請求書" }) : null, " ",
      hasRole(READ_REPORTS) ? h("a", { "class": "btn", href: link("/reports"), text: "報告ファイル一覧" }) : null);
    render(h("h1", { text: "概況" }),
      h("p", { "class": "muted", id: "as-of", text: d.as_of.replace("T", " ").slice(0, 16) + " 時点。グラフの数値は各グラフの「数値を表で見る」で確認できます。" }),
      stats, links, fundsSection(d), storesSection(d), inquiriesSection(d, month), sessionsSection(d));
  });
};

PAGES.funds = function () {
  document.title = "原資の台帳 | 事務局コンソール";
  return api("funds/ledger").then(function (f) {
    var note = h("p", { "class": "hint", id: "claim-note", role: "status" });
    var rows = f.months.map(function (m) {
      return h("tr", null, h("td", { text: m.month }), h("td", { text: m.status_label }), numCell(m.fee_base), numCell(m.fee), numCell(m.claim),
        h("td", null, ["csv", "xlsx"].map(function (fmt) {
          return h("button", { type: "button", "class": "small", "data-claim": m.month + "-" + fmt, onclick: function () {
            download("funds/claim?month=" + m.month + "&format=" + fmt, "claim-" + m.month + "." + fmt).then(function (name) {
              note.textContent = name + " をダウンロードしました（記録されます）。";
            }, function (err) { setFlash("error", err.message); });
          }, text: fmt === "csv" ? "CSV" : "Excel" });
        })));
    });
    render(h("h1", { text: "ポイント原資の台帳" }),
      h("p", { "class": "hint", text: "精算ごとの原資・手数料・支払・保留。金額は精算の数値そのもの（円）です。計画 " + number(f.planned_points) +
        " pt に対して累計 " + number(f.used_points) + " pt（" + f.share_of_plan + "%）。80%・90%・100% に達すると事務局と県にメールでお知らせします。" }),
      h("section", { "class": "card" }, ledgerTable(f)),
      h("section", { "class": "card", "aria-labelledby": "claim-h" }, h("h2", { id: "claim-h", text: "月次の請求書（原資 + 手数料）" }),
        table("claim-table", ["精算月", "状態", ["原資", "num"], ["手数料", "num"], ["請求額", "num"], "ダウンロード"], rows), note));
  });
};

PAGES.reports = function () {
  document.title = "報告ファイル | 事務局コンソール";
  var month = validMonth(q("month"));
  return api("reports/files" + (month ? "?month=" + month : "")).then(function (files) {
    var note = h("p", { "class": "hint", id: "report-note", role: "status" });
    var form = h("form", { "class": "filters", method: "get", role: "search" },
      h("div", null, h("label", { "for": "report-month", text: "月" }), h("input", { type: "month", id: "report-month", name: "month", value: month || "" })),
      h("button", { type: "submit", text: "表示" }), month ? h("a", { href: link("/reports"), text: "すべての月" }) : null);
    var body = files.length ? table("report-files", ["月", "種類", "ファイル", "形式", "送付日時", "ダウンロード"], files.map(function (f) {
      return h("tr", { "data-kind": f.kind }, h("td", { text: f.day || f.month || "—" }), h("td", { text: REPORT_KINDS[f.kind] || f.kind_label }),
        h("td", { text: f.title }), h("td", { text: f.format }), h("td", { text: f.delivered_at.replace("T", " ").slice(0, 16) }),
        h("td", null, h("button", { type: "button", "class": "small", "data-key": f.key, onclick: function () {
          download(f.download, f.name).then(function (name) { note.textContent = name + " をダウンロードしました（記録されます）。"; },
            function (err) { setFlash("error", err instanceof ApiError ? err.message : "ダウンロードできませんでした"); });
        }, text: f.name })));
    })) : h("p", { "class": "muted", text: "この月に送付したファイルはありません。" });
    render(h("h1", { text: "県への報告ファイル" }),
      h("p", { "class": "hint", text: "県に送付したファイル（問い合わせの日報・月報、精算明細書・概要、相談会報告など）。ダウンロードは監査ログに記録されます。" }),
      form, h("section", { "class": "card" }, h("p", { "class": "muted", text: (month ? monthTitle(month) : "すべての月") + ": " + files.length + " 件" }), body, note));
  });
};
