// The coverage board: the 39 areas as a picture (tiles by region, colored by state, with the state in
// words and a mark, never color alone), the month × region grid that shows clusters, and the warnings.
import { api, h } from "./client.js";
import { PAGES, render } from "./console-kit.js";
import { COVERAGE_STATES, REGIONS, areaName, dayLabel, tabs } from "./console-sessions-kit.js";

// The board's states (GET /sessions/coverage: areas[].state; labels from sessions/coverage.py) with a
// mark that reads without color.
var MARKS = { held: "✔", scheduled: "○", none: "！" };
export var STATES = {};
Object.keys(COVERAGE_STATES).forEach(function (k) { STATES[k] = { mark: MARKS[k] || "・", label: COVERAGE_STATES[k] }; });
function stateOf(a) {
  if (STATES[a.state]) return a.state;
  return a.held > 0 ? "held" : a.scheduled > 0 ? "scheduled" : "none";
}

function legend() {
  return h("ul", { "class": "legend", id: "coverage-legend", "aria-label": "凡例" }, Object.keys(STATES).map(function (k) {
    return h("li", null, h("span", { "class": "swatch state-" + k, "aria-hidden": "true", text: STATES[k].mark }), " " + STATES[k].label);
  }));
}

function tile(a) {
  var state = stateOf(a);
  var next = a.next_date ? dayLabel(String(a.next_date).slice(0, 10) + "T00:00:00+09:00") : null;
  return h("li", { "class": "tile state-" + state, "data-area": a.code, "data-state": state },
    h("span", { "class": "tile-name", text: a.name || areaName(a.code) }),
    h("span", { "class": "tile-state" }, h("span", { "aria-hidden": "true", text: STATES[state].mark + " " }), STATES[state].label),
    h("span", { "class": "tile-counts", text: "予定 " + (a.scheduled || 0) + "・済 " + (a.held || 0) }),
    h("span", { "class": "tile-next", text: next ? "次回 " + next : "次回 未定" }));
}

function board(areas) {
  var regions = REGIONS.slice();
  areas.forEach(function (a) { if (a.region && regions.indexOf(a.region) < 0) regions.push(a.region); });
  return h("div", { "class": "board", id: "coverage-board" }, regions.map(function (region) {
    var mine = areas.filter(function (a) { return a.region === region; });
    if (!mine.length) return null;
    var done = mine.filter(function (a) { return stateOf(a) !== "none"; }).length;
    return h("section", { "class": "region", "aria-label": region },
      h("h3", null, region, h("small", { text: " " + done + "/" + mine.length + " 地域で計画済み" })),
      h("ul", { "class": "tiles" }, mine.map(tile)));
  }));
}

// GET /sessions/coverage's grid: {months, regions, cells: [[n per region] per month]}; the warnings name
// what is crowded: {kind: "month" | "region", key, message}.
function gridModel(grid, warnings) {
  grid = grid || {};
  var months = grid.months || [], regions = grid.regions || REGIONS, counts = {};
  months.forEach(function (m, i) {
    counts[m] = {};
    regions.forEach(function (r, j) { counts[m][r] = ((grid.cells || [])[i] || [])[j] || 0; });
  });
  var flagged = (warnings || []).filter(function (w) { return w && w.kind; }).map(function (w) {
    return w.kind === "month" ? { month: w.key } : { region: w.key };
  });
  return { months: months, regions: regions, counts: counts, flagged: flagged };
}
function isFlagged(model, month, region) {
  return model.flagged.some(function (f) {
    return (f.month && f.month === month) || (f.region && region && f.region === region);
  });
}
function heat(n, max) {
  if (!n) return 0;
  return Math.min(4, Math.ceil((n / Math.max(1, max)) * 4));
}

function monthGrid(grid, warnings) {
  var model = gridModel(grid, warnings);
  if (!model.months.length) return h("p", { "class": "muted", text: "まだ相談会がありません。" });
  var max = 0;
  model.months.forEach(function (m) { model.regions.forEach(function (r) { max = Math.max(max, ((model.counts[m] || {})[r]) || 0); }); });
  return h("div", { "class": "table-wrap" }, h("table", { "class": "heat", id: "month-grid" },
    h("caption", { "class": "visually-hidden", text: "月別・地域別の相談会の数（「集中」は偏りのあるところ）" }),
    h("thead", null, h("tr", null, h("th", { scope: "col", text: "地域＼月" }), model.months.map(function (m) {
      var total = model.regions.reduce(function (t, r) { return t + (((model.counts[m] || {})[r]) || 0); }, 0);
      var flag = isFlagged(model, m, null);
      return h("th", { scope: "col", "class": "num" + (flag ? " flagged" : ""), "data-month": m },
        Number(m.slice(5, 7)) + "月", h("br"), h("small", { text: total + "件" }), flag ? h("span", { "class": "cluster", text: "集中" }) : null);
    }))),
    h("tbody", null, model.regions.map(function (r) {
      var rowFlag = isFlagged(model, null, r);
      return h("tr", null, h("th", { scope: "row", "class": rowFlag ? "flagged" : null, "data-region": r }, r,
        rowFlag ? h("span", { "class": "cluster", text: "集中" }) : null), model.months.map(function (m) {
        var n = ((model.counts[m] || {})[r]) || 0;
        return h("td", { "class": "num heat-" + heat(n, max) + (n && isFlagged(model, m, r) ? " flagged" : ""), "data-month": m, "data-region": r,
          text: String(n) });
      }));
    }))));
}

// Crowded months or regions, and the areas with nothing planned as the period runs out.
function warningList(warnings, late) {
  var items = (warnings || []).map(function (w) { return typeof w === "string" ? w : w.message; });
  if (late && late.length) items.push("期間の終わりが近いのに計画のない地域：" + late.map(areaName).join("、"));
  if (!items.length) return null;
  return h("section", { "class": "notice", id: "coverage-warnings", "aria-labelledby": "warn-h" },
    h("h2", { id: "warn-h", text: "注意" }), h("ul", null, items.map(function (t) { return h("li", { text: t }); })));
}

PAGES.coverage = function () {
  tabs();
  return api("sessions/coverage").then(function (cov) {
    var areas = cov.areas || [];
    var counts = { held: 0, scheduled: 0, none: 0 };
    areas.forEach(function (a) { counts[stateOf(a)] += 1; });
    var missing = (cov.missing || []).map(areaName);
    render(
      h("h1", { text: "相談会の実施状況（39地域）" }),
      cov.period ? h("p", { "class": "muted", text: "実施期間 " + cov.period.start.replace(/-/g, "/") + "〜" + cov.period.end.replace(/-/g, "/") +
        "・計画中の相談会 " + (cov.total || 0) + "件" }) : null,
      h("dl", { "class": "stats", id: "coverage-stats" },
        Object.keys(STATES).map(function (k) {
          return h("div", { "class": k === "none" && counts.none ? "alert" : null, "data-state": k },
            h("dt", { text: STATES[k].label }), h("dd", { text: (counts[k] || 0) + " 地域" }));
        })),
      warningList(cov.warnings, cov.needs_warning),
      h("section", { "class": "card", "aria-labelledby": "board-h" },
        h("h2", { id: "board-h", text: "地域ごとの状況" }), legend(), board(areas),
        missing.length ? h("p", { id: "missing", "class": "missing" }, h("strong", { text: STATES.none.label + "の地域：" }), missing.join("、")) : null),
      h("section", { "class": "card", "aria-labelledby": "grid-h" },
        h("h2", { id: "grid-h", text: "月別・地域別の件数（偏りの確認）" }),
        h("p", { "class": "hint", text: "色が濃いほど件数が多い月・地域です。「集中」は一つの月や地域に相談会が偏っているところです。" }),
        monthGrid(cov.grid, cov.warnings)));
  });
};
