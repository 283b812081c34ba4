// The sessions of a month: a calendar, the list, and (coordinator, admin) the planning form.
import { api, h } from "./client.js";
import { PAGES, link, q, render, setFlash } from "./console-kit.js";
import { headRow, numCell, shiftMonth } from "./console-forms.js";
import { planningForm } from "./console-sessions-form.js";
import { manualCard } from "./console-sessions-manual.js";
import { SESSIONS, WEEK, areaName, canWrite, dayLabel, jst, monthBounds, regionOf, statusBadge, statusLabel, tabs, thisMonth, validMonth, whenLabel } from "./console-sessions-kit.js";

function monthTitle(month) { return month.slice(0, 4) + "年" + Number(month.slice(5, 7)) + "月"; }

function sessionLink(s, text) {
  return h("a", { href: SESSIONS + "/" + encodeURIComponent(s.session_id), text: text || s.session_id });
}

// A month as a calendar: one cell per day, each session as a link (area, time, status in words).
function calendar(month, items) {
  var b = monthBounds(month);
  var byDay = {};
  items.forEach(function (s) {
    var p = jst(s.starts_at);
    if (p) (byDay[p.date] = byDay[p.date] || []).push(s);
  });
  var grid = h("div", { "class": "calendar", id: "calendar", role: "table", "aria-label": monthTitle(month) + "の相談会" });
  var head = h("div", { "class": "cal-row cal-head", role: "row" });
  WEEK.forEach(function (d, i) { head.appendChild(h("div", { role: "columnheader", "class": i === 0 ? "sun" : i === 6 ? "sat" : null, text: d })); });
  grid.appendChild(head);
  var row = h("div", { "class": "cal-row", role: "row" });
  for (var i = 0; i < b.firstDay; i++) row.appendChild(h("div", { "class": "cal-cell empty", role: "cell" }));
  for (var d = 1; d <= b.days; d++) {
    var date = month + "-" + (d < 10 ? "0" : "") + d;
    var today = byDay[date] || [];
    var cell = h("div", { "class": "cal-cell" + (today.length ? " has" : ""), role: "cell", "data-date": date },
      h("span", { "class": "cal-day", text: String(d) }),
      today.map(function (s) {
        var p = jst(s.starts_at);
        return h("a", { "class": "cal-item session-" + s.status, href: SESSIONS + "/" + encodeURIComponent(s.session_id),
          "data-session": s.session_id },
          h("span", { "class": "cal-time", text: p.time }), " ", s.area_name || areaName(s.area_code),
          s.status !== "scheduled" ? h("span", { "class": "cal-status", text: "（" + statusLabel(s.status) + "）" }) : null);
      }));
    row.appendChild(cell);
    if ((b.firstDay + d) % 7 === 0) { grid.appendChild(row); row = h("div", { "class": "cal-row", role: "row" }); }
  }
  if (row.childNodes.length) {
    while (row.childNodes.length < 7) row.appendChild(h("div", { "class": "cal-cell empty", role: "cell" }));
    grid.appendChild(row);
  }
  return grid;
}

function table(items) {
  if (!items.length) return h("p", { "class": "muted", id: "no-sessions", text: "この月の相談会はまだありません。" });
  return h("div", { "class": "table-wrap" }, h("table", { id: "session-list" },
    headRow(["番号", "日時", "地域", "会場", ["定員", "num"], "告知日", "状態", ["参加者", "num"]]),
    h("tbody", null, items.map(function (s) {
      return h("tr", { "data-session": s.session_id },
        h("td", null, sessionLink(s)),
        h("td", { text: whenLabel(s.starts_at, s.ends_at) }),
        h("td", null, s.area_name || areaName(s.area_code), h("br"), h("small", { "class": "muted", text: regionOf(s.area_code) })),
        h("td", { text: s.venue || "—" }),
        numCell(s.capacity),
        h("td", { text: s.announce_on ? dayLabel(s.announce_on + "T00:00:00+09:00") : "—" }),
        h("td", null, statusBadge(s.status)),
        numCell(s.attendees));
    }))));
}

PAGES.sessions = function () {
  tabs();
  var month = validMonth(q("month")) ? q("month") : thisMonth();
  var b = monthBounds(month);
  return api("sessions/list?from=" + b.from + "&to=" + b.to).then(function (items) {
    items = (items || []).slice().sort(function (x, y) { return String(x.starts_at).localeCompare(String(y.starts_at)); });
    var picker = h("input", { type: "month", id: "month", value: month });
    var nav = h("form", { "class": "filters", role: "search", onsubmit: function (e) {
      e.preventDefault();
      if (validMonth(picker.value)) go(picker.value);
    } },
      h("div", null, h("a", { "class": "btn", id: "prev-month", href: link("/sessions", { month: shiftMonth(month, -1) }), text: "← 前の月" })),
      h("div", null, h("label", { "for": "month", text: "表示する月" }), picker),
      h("div", null, h("button", { type: "submit", text: "表示" })),
      h("div", null, h("a", { "class": "btn", id: "next-month", href: link("/sessions", { month: shiftMonth(month, 1) }), text: "次の月 →" })));
    var counts = { scheduled: 0, held: 0, cancelled: 0 };
    items.forEach(function (s) { counts[s.status] = (counts[s.status] || 0) + 1; });
    render(
      h("h1", { text: "相談会の日程（" + monthTitle(month) + "）" }),
      nav,
      h("p", { id: "month-caption", "aria-live": "polite",
        text: monthTitle(month) + "：" + items.length + "件（" + Object.keys(counts).map(function (k) {
          return statusLabel(k) + " " + counts[k];
        }).join("・") + "）" }),
      h("div", { "class": "grid-plan" + (canWrite() ? "" : " read-only") },
        h("div", null,
          h("section", { "class": "card", "aria-labelledby": "cal-h" }, h("h2", { id: "cal-h", text: "カレンダー" }), calendar(month, items)),
          h("section", { "class": "card", "aria-labelledby": "list-h" }, h("h2", { id: "list-h", text: "一覧" }), table(items))),
        canWrite() ? h("div", null, h("section", { "class": "card", id: "plan-card", "aria-labelledby": "plan-h" },
          h("h2", { id: "plan-h", text: "新しい相談会を計画" }),
          planningForm(null, function (id) {
            return api("sessions/" + encodeURIComponent(id)).then(function (s) {
              var m = jst(s.starts_at).date.slice(0, 7);
              return go(m).then(function () { setFlash("ok", id + " を登録しました（" + whenLabel(s.starts_at, s.ends_at) + " " + (s.area_name || areaName(s.area_code)) + "）。"); });
            });
          })), manualCard()) : manualCard()));
  });
};

function go(month) {
  history.replaceState(null, "", link("/sessions", { month: month }));
  return PAGES.sessions();
}
