// What the consultation-session screens share: labels from Python, areas and regions, dates in JST,
// the sub-menu, who may write.
import { CONSOLE, h } from "./client.js";
import { AREAS, PAGE, hasRole } from "./console-kit.js";
import { clockToday } from "./console-forms.js";
import { AGE_BANDS, COULD_DO, COVERAGE_STATES, PURPOSES, READ_SESSION_REPORTS, SATISFACTION_LEVELS, SESSION_STATUSES, WHAT_TO_BRING, WRITE_SESSIONS } from "./labels.js";
export { AGE_BANDS, COULD_DO, COVERAGE_STATES, PURPOSES, READ_SESSION_REPORTS, SATISFACTION_LEVELS, SESSION_STATUSES, WHAT_TO_BRING, WRITE_SESSIONS };

export var WEEK = ["日", "月", "火", "水", "木", "金", "土"];
export var SESSIONS = CONSOLE + "/sessions";

// Coordinators and admins plan and record; the prefecture only reads (no write button is shown).
export function canWrite() { return hasRole(WRITE_SESSIONS); }

export var AREA_BY_CODE = {};
AREAS.forEach(function (a) { AREA_BY_CODE[a.code] = a; });
// Regions in the order of the areas' master data.
export var REGIONS = AREAS.reduce(function (acc, a) { if (acc.indexOf(a.region) < 0) acc.push(a.region); return acc; }, []);
export function areaName(code) { return AREA_BY_CODE[code] ? AREA_BY_CODE[code].name : code; }
export function regionOf(code) { return AREA_BY_CODE[code] ? AREA_BY_CODE[code].region : ""; }

export function statusLabel(status) { return SESSION_STATUSES[status] || status; }
export function statusBadge(status) {
  return h("span", { "class": "badge status session-" + status, text: statusLabel(status) });
}
export function labelOf(pairs, code) {
  var hit = pairs.filter(function (p) { return p[0] === code; })[0];
  return hit ? hit[1] : code;
}

// "2025-06-14T10:00:00+09:00" → parts in JST (the API answers JST; other offsets are converted).
export function jst(iso) {
  var d = new Date(iso);
  if (isNaN(d.getTime())) return null;
  var s = new Date(d.getTime() + 9 * 3600 * 1000).toISOString();
  return { date: s.slice(0, 10), time: s.slice(11, 16), day: WEEK[new Date(s.slice(0, 10) + "T00:00:00Z").getUTCDay()] };
}
export function dayLabel(iso) {
  var p = jst(iso);
  if (!p) return "—";
  return Number(p.date.slice(5, 7)) + "/" + Number(p.date.slice(8, 10)) + "（" + p.day + "）";
}
export function whenLabel(startIso, endIso) {
  var a = jst(startIso), b = endIso ? jst(endIso) : null;
  if (!a) return "—";
  return a.date.replace(/-/g, "/") + "（" + a.day + "） " + a.time + (b ? "〜" + b.time : "");
}
// A date and a time typed in the form → ISO 8601 with the JST offset.
export function isoJst(date, time) {
  return date && time ? date + "T" + time + ":00+09:00" : "";
}
export function thisMonth() { return clockToday().slice(0, 7); }
export function monthBounds(month) {
  var y = Number(month.slice(0, 4)), m = Number(month.slice(5, 7));
  var last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: month + "-01", to: month + "-" + (last < 10 ? "0" : "") + last, days: last,
           firstDay: new Date(Date.UTC(y, m - 1, 1)).getUTCDay() };
}
export function validMonth(v) { return /^\d{4}-(0[1-9]|1[0-2])$/.test(v || ""); }

// The sub-menu of the session pages; the prefecture sees coverage and report only.
export function tabs() {
  var nav = document.getElementById("session-tabs");
  nav.textContent = "";
  var items = [];
  items.push(["sessions", "", canWrite() ? "日程・計画" : "日程"]);
  items.push(["coverage", "/coverage", "実施状況（39地域）"]);
  if (hasRole(READ_SESSION_REPORTS)) items.push(["report", "/report", "報告・集計"]);
  items.forEach(function (it) {
    var current = PAGE === it[0] || (it[0] === "sessions" && PAGE === "session");
    nav.appendChild(h("a", { href: SESSIONS + it[1], text: it[2], "aria-current": current ? "page" : null }));
  });
  nav.hidden = false;
}
