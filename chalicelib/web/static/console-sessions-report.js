// The month's report: totals, simple charts (CSS bars with their numbers written out), the free-text
// needs, the proposals (改善提案) the coordinator writes, and the CSV / Excel files.
import { api, download, h } from "./client.js";
import { PAGES, link, q, render, setFlash } from "./console-kit.js";
import { act, fieldErrors, headRow, number, numCell, shiftMonth } from "./console-forms.js";
import { AGE_BANDS, COULD_DO, PURPOSES, REGIONS, SESSIONS, canWrite, statusBadge, tabs, thisMonth, validMonth, whenLabel } from "./console-sessions-kit.js";

function monthTitle(month) { return month.slice(0, 4) + "年" + Number(month.slice(5, 7)) + "月"; }

// [[label, n], …] → a bar chart; each bar's length is its share of the largest, its number is written beside it.
export function bars(id, title, rows, unit) {
  var max = rows.reduce(function (m, r) { return Math.max(m, r[1] || 0); }, 0);
  var total = rows.reduce(function (t, r) { return t + (r[1] || 0); }, 0);
  return h("figure", { "class": "chart", id: id },
    h("figcaption", { text: title + "（計 " + number(total) + (unit || "件") + "）" }),
    h("ul", { "class": "bars" }, rows.map(function (r) {
      var pct = max ? Math.round((r[1] || 0) / max * 100) : 0;
      return h("li", null, h("span", { "class": "bar-label", text: r[0] }),
        h("span", { "class": "bar-track", "aria-hidden": "true" }, h("span", { "class": "bar", style: "width:" + pct + "%" })),
        h("span", { "class": "bar-value", text: number(r[1] || 0) }));
    })));
}
function fromCodes(pairs, counts) {
  counts = counts || {};
  return pairs.map(function (p) { return [p[1], counts[p[0]] || 0]; });
}
function regionRows(byRegion) {
  // {region: n} or {region: {sessions_held, attendees, surveys}} or [{region, …}]
  var map = {};
  if (Array.isArray(byRegion)) byRegion.forEach(function (r) { map[r.region] = r; });
  else map = byRegion || {};
  return REGIONS.map(function (r) {
    var v = map[r];
    var n = typeof v === "number" ? v : v ? (v.attendees !== undefined ? v.attendees : v.sessions_held || 0) : 0;
    return [r, n];
  });
}
function needsList(needs) {
  needs = needs || [];
  if (!needs.length) return h("p", { "class": "muted", text: "自由記述はありません。" });
  return h("ul", { "class": "needs", id: "needs-list" }, needs.map(function (n) {
    if (typeof n === "string") return h("li", { text: n });
    return h("li", null, n.text || "", h("small", { "class": "muted",
      text: "（" + [n.area_name, n.date ? n.date.replace(/-/g, "/") : null, n.session_id].filter(Boolean).join("・") + "）" }));
  }));
}

// The month's sessions, one line each.
function lines(items) {
  if (!items || !items.length) return null;
  return h("section", { "class": "card", "aria-labelledby": "lines-h" }, h("h2", { id: "lines-h", text: "相談会ごと" }),
    h("div", { "class": "table-wrap" }, h("table", { id: "report-lines" },
      headRow(["番号", "日時", "地域", "会場", "状態", ["参加者", "num"], ["手引き", "num"], ["アンケート", "num"], ["満足度", "num"]]),
      h("tbody", null, items.map(function (l) {
        return h("tr", null, h("td", null, h("a", { href: SESSIONS + "/" + encodeURIComponent(l.session_id), text: l.session_id })),
          h("td", { text: whenLabel(l.starts_at, l.ends_at) }), h("td", { text: l.area_name }), h("td", { text: l.venue }),
          h("td", null, statusBadge(l.status)), numCell(l.attendees), numCell(l.manuals), numCell(l.surveys),
          h("td", { "class": "num", text: l.satisfaction_average || "—" }));
      })))));
}

function proposalsBlock(month, proposals, proposalsVersion) {
  var p = typeof proposals === "string" ? { text: proposals, version: proposalsVersion } : (proposals || {});
  if (!canWrite()) {
    return h("div", { id: "proposals-text", "class": "proposals-read" }, p.text ? p.text : h("span", { "class": "muted", text: "まだ書かれていません。" }));
  }
  var inputs = { text: h("textarea", { id: "proposals", name: "text", maxlength: "4000", rows: "8" }) };
  inputs.text.value = p.text || "";
  var version = p.version;
  var errors = h("div");
  var button = h("button", { type: "submit", "class": "primary", id: "proposals-save", text: "改善提案を保存" });
  return h("form", { id: "proposals-form", novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    fieldErrors(null, inputs, errors);
    act(button, function () {
      var body = { text: inputs.text.value.trim() };
      if (version !== undefined && version !== null) body.version = version;
      return api("sessions/report/" + month + "/proposals", { method: "PUT", body: body }).then(function (res) {
        button.disabled = false;
        if (res && res.version !== undefined) version = res.version;
        setFlash("ok", monthTitle(month) + "の改善提案を保存しました。");
      });
    }, function (err) { fieldErrors(err, inputs, errors); });
  } }, errors,
    h("p", { "class": "hint", id: "proposals-hint", text: "県への月次報告に添えられます。個人が特定できる内容は書かないでください。" }),
    h("div", { "class": "field" }, h("label", { "for": "proposals", "class": "visually-hidden", text: "改善提案" }), inputs.text,
      h("p", { "class": "err", id: "proposals-err" })),
    h("div", { "class": "actions" }, button));
}

PAGES.report = function () {
  tabs();
  var month = validMonth(q("month")) ? q("month") : thisMonth();
  return api("sessions/report?month=" + month).then(function (r) {
    var picker = h("input", { type: "month", id: "report-month", value: month });
    var sat = [1, 2, 3, 4, 5].map(function (n) { return [n + "", (r.satisfaction || {})[String(n)] || 0]; });
    var satTotal = sat.reduce(function (t, x) { return t + x[1]; }, 0);
    var satAvg = r.satisfaction_average ? Number(r.satisfaction_average)
      : satTotal ? sat.reduce(function (t, x) { return t + Number(x[0]) * x[1]; }, 0) / satTotal : null;
    var files = h("div", { "class": "actions", id: "report-files" }, ["csv", "xlsx"].map(function (fmt) {
      var button = h("button", { type: "button", id: "report-" + fmt, text: fmt === "csv" ? "CSV をダウンロード" : "Excel をダウンロード" });
      button.addEventListener("click", function () {
        act(button, function () {
          return download("sessions/report/file?month=" + month + "&format=" + fmt, "sessions-" + month + "." + fmt).then(function (name) {
            button.disabled = false;
            setFlash("ok", name + " をダウンロードしました。");
          });
        }, function (err) { setFlash("error", "ダウンロードできませんでした：" + err.message); });
      });
      return button;
    }));
    render(
      h("h1", { text: "相談会の報告（" + monthTitle(month) + "）" }),
      h("form", { "class": "filters", role: "search", onsubmit: function (e) {
        e.preventDefault();
        if (!validMonth(picker.value)) return;
        history.replaceState(null, "", link("/sessions/report", { month: picker.value }));
        PAGES.report();
      } },
        h("div", null, h("a", { "class": "btn", href: link("/sessions/report", { month: shiftMonth(month, -1) }), text: "← 前の月" })),
        h("div", null, h("label", { "for": "report-month", text: "対象月" }), picker),
        h("div", null, h("button", { type: "submit", id: "report-show", text: "表示" })),
        h("div", null, h("a", { "class": "btn", href: link("/sessions/report", { month: shiftMonth(month, 1) }), text: "次の月 →" }))),
      h("dl", { "class": "stats", id: "report-totals" },
        h("div", null, h("dt", { text: "開催した相談会" }), h("dd", { id: "t-held", text: number(r.sessions_held) + "回" })),
        h("div", null, h("dt", { text: "参加者" }), h("dd", { id: "t-attendees", text: number(r.attendees) + "人" })),
        h("div", null, h("dt", { text: "アンケート" }), h("dd", { id: "t-surveys", text: number(r.surveys) + "件" +
          (r.survey_rate_percent ? "（" + r.survey_rate_percent + "%）" : "") })),
        r.manuals !== undefined ? h("div", null, h("dt", { text: "手引きの配布" }), h("dd", { id: "t-manuals", text: number(r.manuals) + "部" })) : null,
        h("div", null, h("dt", { text: "満足度の平均" }), h("dd", { id: "t-satisfaction", text: satAvg === null ? "—" : satAvg.toFixed(1) + " / 5" }))),
      files,
      h("section", { "class": "card", "aria-labelledby": "charts-h" }, h("h2", { id: "charts-h", text: "グラフ" }),
        h("div", { "class": "charts" },
          bars("chart-age", "年代", fromCodes(AGE_BANDS, r.by_age_band), "人"),
          bars("chart-satisfaction", "満足度（1 不満〜5 満足）", sat, "人"),
          bars("chart-purposes", "来られた目的", fromCodes(PURPOSES, r.by_purpose || r.purposes)),
          bars("chart-could-do", "できるようになったこと", fromCodes(COULD_DO, r.by_could_do || r.could_do)),
          bars("chart-region", "地域別（参加者）", regionRows(r.by_region), "人"))),
      lines(r.session_lines),
      h("section", { "class": "card", "aria-labelledby": "needs-h" }, h("h2", { id: "needs-h", text: "ご意見・困っていること" }), needsList(r.needs)),
      h("section", { "class": "card", "aria-labelledby": "prop-h" }, h("h2", { id: "prop-h", text: "改善提案" }),
        proposalsBlock(month, r.proposals, r.proposals_version)));
  });
};
